"""A terminal's roster as of its site's local day: who is expected, their cards and faces, the verdict.

The guards expected at a site on a day are those employed that day by a company
with a service contract for the site, those of the unit that manages the site,
and those rostered on its shifts. Each is judged by the standing rules of
``central.checkins.rules`` (the same rules central applies to the tap) on a
snapshot as if the guard tapped at this terminal that day; a guard who holds no
card on that day cannot tap and is left out. The version is a digest of the
content, so an unchanged registry gives an unchanged version and nothing to send.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from central.checkins.rules import evaluate_standing
from central.db.types import utcnow
from central.registry.cards import CardIssue, CardKey
from central.registry.employment import Employment
from central.registry.faces import templates_of
from central.registry.fingerprints import fingerprints_of
from central.registry.local_time import local_date
from central.registry.models import Company, Guard, Site, Terminal
from central.registry.roster import Shift, ShiftAssignment
from central.registry.snapshot import RegistrySnapshot, contracted_companies, standing_snapshots
from central.watchlist.sync import TEMPLATE_MODEL
from protocol.signed import encode_template

__all__ = ["Roster", "build_roster", "expected_guards", "roster_day"]


@dataclass(frozen=True, slots=True)
class Roster:
    terminal_id: str
    site_id: str
    on: date
    entries: dict[str, dict[str, Any]]  # guard id -> protocol.roster_update.RosterGuard, JSON-ready
    version: str
    settings: dict[str, float | str]  # protocol.roster_update.TerminalOverrides: only what central sets

    def digests(self) -> dict[str, str]:
        return {guard_id: _digest(entry) for guard_id, entry in self.entries.items()}


def _digest(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:24]


def roster_day(site: Site) -> date:
    """Today at the site: the day a roster's verdicts are for."""
    return local_date(utcnow(), site.timezone)


def expected_guards(session: Session, site: Site, on: date) -> list[str]:
    """Guards employed by a contracted company or the managing unit on ``on``, or rostered at the site."""
    companies = set(contracted_companies(session, site.id, on))
    if site.managed_by:
        companies.add(site.managed_by)
    employed = select(Employment.guard_id).where(
        col(Employment.company_id).in_(companies),
        col(Employment.valid_from) <= on,
        or_(col(Employment.valid_to).is_(None), col(Employment.valid_to) >= on),
    )
    unrecorded = select(Guard.id).where(col(Guard.employer_id).in_(companies))  # no dated history (yet)
    rostered = (
        select(ShiftAssignment.guard_id)
        .join(Shift, col(Shift.id) == col(ShiftAssignment.shift_id))
        .where(
            Shift.site_id == site.id,
            col(ShiftAssignment.valid_from) <= on,
            or_(col(ShiftAssignment.valid_to).is_(None), col(ShiftAssignment.valid_to) >= on),
        )
    )
    found: set[str] = set()
    for query in (employed, unrecorded, rostered):
        found.update(session.exec(query).all())
    return sorted(found)


def _card_keys(session: Session, guard_ids: list[str], on: date) -> dict[str, list[str]]:
    """The lookup keys of every card each guard holds on ``on``."""
    query = (
        select(CardIssue.guard_id, CardKey.key)
        .join(CardKey, col(CardKey.card_uid) == col(CardIssue.card_uid))
        .where(
            col(CardIssue.guard_id).in_(guard_ids),
            col(CardIssue.issued_on) <= on,
            or_(col(CardIssue.returned_on).is_(None), col(CardIssue.returned_on) > on),
        )
        .order_by(col(CardKey.key))
    )
    keys: dict[str, list[str]] = {}
    for guard_id, key in session.exec(query).all():
        keys.setdefault(guard_id, []).append(key)
    return keys


@dataclass(frozen=True, slots=True)
class _Biometrics:
    faces: dict[str, list[bytes]]
    fingers: dict[str, list[bytes]]


def _entry(snapshot: RegistrySnapshot, keys: list[str], biometrics: _Biometrics, employer: str) -> dict[str, Any]:
    guard = snapshot.guard
    assert guard is not None, "a standing snapshot is built for a guard"
    return {
        "guard_id": guard.id,
        "name": guard.name_zh,
        "employer": employer,
        "card_keys": keys,
        "templates": [encode_template(t) for t in biometrics.faces.get(guard.id, [])],
        "fingerprints": [base64.b64encode(t).decode("ascii") for t in biometrics.fingers.get(guard.id, [])],
        "level": guard.level,
        "certificate": guard.cert_status.value,
        "refusals": [
            {
                "code": v.code,
                "message_zh": f"{v.reason_zh}，已记录，请联系主管",
                "message_en": f"{v.reason_en}: recorded; please see the supervisor",
            }
            for v in evaluate_standing(snapshot)
        ],
    }


def build_roster(session: Session, terminal: Terminal, on: date | None = None) -> Roster:
    """The roster of ``terminal`` for ``on`` (default: today at its site)."""
    site = session.get(Site, terminal.site_id)
    assert site is not None, "a terminal's site is a foreign key"
    day = on or roster_day(site)
    guard_ids = expected_guards(session, site, day)
    keys = _card_keys(session, guard_ids, day)
    holders = [g for g in guard_ids if g in keys]
    snapshots = standing_snapshots(session, terminal.id, holders, day)
    biometrics = _Biometrics(templates_of(session, holders), fingerprints_of(session, holders))
    employers = {s.guard.employer_id for s in snapshots.values() if s.guard and s.guard.employer_id}
    names = dict(session.exec(select(Company.id, Company.name_zh).where(col(Company.id).in_(employers))).all())
    entries = {
        guard_id: _entry(snapshot, keys[guard_id], biometrics,
                         names.get(snapshot.guard.employer_id or "", "") if snapshot.guard else "")
        for guard_id, snapshot in snapshots.items()
    }  # fmt: skip
    settings: dict[str, float | str] = {
        name: value
        for name in ("verify_threshold", "watchlist_threshold", "repeat_window_s")
        if (value := getattr(terminal, name)) is not None
    }
    if site.check_policy != "face":
        settings["check_policy"] = site.check_policy
    content = {"terminal": terminal.id, "on": day.isoformat(), "model": TEMPLATE_MODEL, "entries": entries}
    version = _digest(content | {"settings": settings})
    return Roster(terminal.id, site.id, day, entries, f"r-{day:%Y%m%d}-{version[:16]}", settings)
