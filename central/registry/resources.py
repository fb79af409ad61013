"""The registry's record kinds by name, as the administrator's API and ``guardpost registry list`` know them."""

from __future__ import annotations

from sqlmodel import SQLModel

from central.registry.credentials import Certificate, CompanyCredential, CrossRegionFiling, GuardBar
from central.registry.models import Card, Company, Guard, ServiceContract, Site, Terminal
from central.registry.roster import Post, Shift, ShiftAssignment

# path -> (table, query parameters it can be filtered by)
RESOURCES: dict[str, tuple[type[SQLModel], tuple[str, ...]]] = {
    "companies": (Company, ("kind", "region")),
    "credentials": (CompanyCredential, ("company_id", "kind")),
    "filings": (CrossRegionFiling, ("company_id", "region")),
    "sites": (Site, ("kind", "region", "jurisdiction", "managed_by")),
    "posts": (Post, ("site_id",)),
    "guards": (Guard, ("employer_id",)),
    "certificates": (Certificate, ("guard_id",)),
    "bars": (GuardBar, ("guard_id", "kind")),
    "cards": (Card, ("guard_id",)),
    "contracts": (ServiceContract, ("company_id", "site_id")),
    "terminals": (Terminal, ("site_id", "post_id")),
    "shifts": (Shift, ("site_id", "post_id")),
    "assignments": (ShiftAssignment, ("shift_id", "guard_id")),
}
KEPT = frozenset({"contracts"})  # never deleted
# Written only through their own actions: a card is issued and returned (central.registry.cards).
READ_ONLY = frozenset({"cards"})
