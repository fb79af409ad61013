"""Tenant scoping: who is asking, and what each role may read.

Isolation lives in the queries, not in the pages: each domain's queries turn
a ``Scope`` into SQL conditions (``site_scope``, ``checkin_scope``,
``alert_scope``, ...); a list filters by them and a detail look-up of a row
outside them finds nothing (404, never 403, so that a foreign id does not even
confirm that it exists).

- admin: everything.
- police: the sites, check-ins and alerts of one jurisdiction (派出所); any
  guard, each look-up written to the audit log.
- company (保安服务公司) and firm (物业 / 自行招用单位): check-ins at the sites
  they manage and check-ins of the guards they employ; no alerts, no watchlist.

ID numbers are shown in clear to the police and the administrator only.
"""

from __future__ import annotations

from dataclasses import dataclass

from central.access.models import Role


@dataclass(frozen=True, slots=True)
class Scope:
    """Who is asking: the account's name, role and the tenant it is confined to, and from which address."""

    actor: str
    role: Role
    company_id: str | None = None
    jurisdiction: str | None = None
    address: str | None = None  # the client's, for the audit log

    def __post_init__(self) -> None:
        if self.role in (Role.COMPANY, Role.FIRM) and not self.company_id:
            raise ValueError(f"role {self.role} needs a company")
        if self.role is Role.POLICE and not self.jurisdiction:
            raise ValueError("role police needs a jurisdiction")

    @property
    def sees_id_numbers(self) -> bool:
        return self.role in (Role.ADMIN, Role.POLICE)

    @property
    def sees_alerts(self) -> bool:
        return self.role in (Role.ADMIN, Role.POLICE)

    @property
    def is_police(self) -> bool:
        return self.role is Role.POLICE

    def may_see_alert(self, jurisdiction: str) -> bool:
        """The in-memory form of ``alert_scope(scope)``, for alerts pushed to live pages."""
        return self.role is Role.ADMIN or (self.role is Role.POLICE and jurisdiction == self.jurisdiction)

    def id_number(self, value: str | None) -> str | None:
        """``value`` in clear for the police and the administrator, masked for everyone else."""
        if value is None or self.sees_id_numbers:
            return value
        return mask_id_number(value)


def mask_id_number(value: str) -> str:
    """``110105198503120012`` -> ``1101**********0012``: region prefix and check digits only."""
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"
