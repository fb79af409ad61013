"""A seeded month of attendance, and its ground truth: 50 sites, 500 guards, ~31,000 taps.

Every site has a day shift (08:00-20:00) and a night shift (20:00-08:00, ending
the next morning); half its guards are rostered on each, every day of March
2026. Into the taps go absences, late arrivals, early leaves, repeated taps,
someone else's face on a guard's card, stray taps outside any shift, and
rule-breaking guards: three certificates revoked on the 16th, three guards
barred from the 10th, two guards of a company whose licence lapses after the
20th. The generator keeps
its own count of what each site and guard's timesheet must say (``Expected``),
computed from what it injected, not from ``central.attendance``.

Taps of rule-breaking guards and impostor taps go through the ingest write
path (``central.checkins.store.record_event``) so that the rules judge them as of their
day; the other taps are inserted directly, in bulk, with no violations.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert
from sqlmodel import Session, select

from central.attendance.rules import shift_bounds
from central.checkins.models import Checkin
from central.checkins.store import record_event
from central.registry.cards import issue_to
from central.registry.credentials import BarKind, Certificate, CompanyCredential, CredentialKind, GuardBar
from central.registry.models import Company, CompanyKind, Guard, ServiceContract, Site, SiteKind, Terminal
from central.registry.roster import Shift, ShiftAssignment
from protocol.cards import CardTech
from protocol.checkin import Card as WireCard
from protocol.checkin import (
    CardKind,
    CheckinEvent,
    Direction,
    FaceResult,
    FaceStatus,
    Outcome,
    TerminalDecision,
    WatchlistCheck,
)

ZONE = "Asia/Shanghai"
FIRST = date(2026, 3, 1)
DAYS = 31
REVOKED_FROM = date(2026, 3, 16)
BARRED_FROM = date(2026, 3, 10)
LAPSED_AFTER = date(2026, 3, 20)  # the rogue company's licence runs to this day
ROGUE = "MCR"


@dataclass
class Expected:
    """One site and guard's month, as its timesheet must show it."""

    shifts: int = 0
    present: int = 0
    absent: int = 0
    late: int = 0
    late_minutes: int = 0
    early_leave: int = 0
    early_minutes: int = 0
    worked_minutes: int = 0
    unrostered_days: int = 0
    taps: int = 0
    violations: int = 0


@dataclass(frozen=True, slots=True)
class Planned:
    guard_id: str
    site_id: str
    card_uid: str
    at: datetime
    direction: Direction
    impostor: bool = False


@dataclass
class SeededMonth:
    truth: dict[tuple[str, str], Expected] = field(default_factory=lambda: defaultdict(Expected))
    taps: int = 0  # taps stored, repeats included
    through_rules: int = 0  # of them, recorded through the ingest write path
    # By the tap's own local day in the month (a night shift's tap-out on April 1 is April's):
    taps_in_month: int = 0
    violations_by_code: Counter[str] = field(default_factory=Counter)
    violations_by_company: Counter[str] = field(default_factory=Counter)  # the guard's employer


def site_ids(sites: int) -> list[str]:
    """The month's site ids, MS00 onwards; site i's terminal is ``MT-<id>``."""
    return [f"MS{i:02d}" for i in range(sites)]


def _rogue(i: int, k: int, sites: int) -> bool:
    """Two guards of the last site work for the company whose licence lapses."""
    return i == sites - 1 and k in (1, 2)


def _revoked(i: int, k: int) -> bool:
    return i < 3 and k == 0


def _barred(i: int, k: int) -> bool:
    return 10 <= i < 13 and k == 9


def seed_registry(session: Session, sites: int = 50, guards_per_site: int = 10) -> None:
    """The month's registry, into an empty database; commits."""
    companies = [*(f"MC{i}" for i in range(5)), ROGUE]
    for cid in companies:
        session.add(Company(id=cid, name_zh=f"保安公司{cid}", kind=CompanyKind.SECURITY_COMPANY, region="110105"))
    # Parents flushed before children: the tables have no relationships to order the inserts by.
    session.flush()
    for cid in companies:
        end = LAPSED_AFTER if cid == ROGUE else None
        session.add(
            CompanyCredential(
                company_id=cid,
                kind=CredentialKind.LICENCE,
                number=f"京{cid}",
                valid_from=date(2020, 1, 1),
                valid_to=end,
            )
        )
    session.flush()
    for i, sid in enumerate(site_ids(sites)):
        session.add(Site(id=sid, name_zh=f"大厦{i}", kind=SiteKind.OFFICE, region="110105", jurisdiction="110105-WJ"))
    session.flush()
    for i, sid in enumerate(site_ids(sites)):
        session.add(Terminal(id=f"MT-{sid}", site_id=sid))
        for company in (f"MC{i % 5}", ROGUE) if i == sites - 1 else (f"MC{i % 5}",):
            contract = ServiceContract(company_id=company, site_id=sid, valid_from=FIRST, valid_to=date(2027, 12, 31))
            session.add(contract)
        session.add(Shift(site_id=sid, name_zh="白班", name_en="day", starts=time(8), ends=time(20)))
        session.add(Shift(site_id=sid, name_zh="夜班", name_en="night", starts=time(20), ends=time(8)))
    session.flush()
    shift_ids = {(s.site_id, s.name_en): s.id for s in session.exec(select(Shift)).all()}
    for i, sid in enumerate(site_ids(sites)):
        for k in range(guards_per_site):
            _add_guard(session, i, sid, k, guards_per_site, sites, shift_ids)
    session.commit()


def _add_guard(
    session: Session, i: int, sid: str, k: int, per_site: int, sites: int, shift_ids: dict[tuple[str, str], Any]
) -> None:
    gid = f"MG{i:02d}{k:02d}"
    # Birth year 1990 for the first 100 sites, 1991 for the next 100...: unique past two-digit site numbers.
    id_number = f"110105{1990 + i // 100}01{i % 100:02d}{k:02d}{(i * per_site + k) % 10}"[:17] + "X"
    employer = ROGUE if _rogue(i, k, sites) else f"MC{i % 5}"
    session.add(Guard(id=gid, name_zh=f"保安{i}-{k}", id_number=id_number, employer_id=employer))
    session.flush()
    issue_to(session, card_of(i, k), CardTech.ISO14443A, gid)
    revoked = REVOKED_FROM if _revoked(i, k) else None
    session.add(Certificate(number=f"京保证{gid}", guard_id=gid, issued_on=date(2020, 1, 1), revoked_on=revoked))
    if _barred(i, k):
        session.add(GuardBar(guard_id=gid, kind=BarKind.BLACKLIST, reason="黑名单", valid_from=BARRED_FROM))
    shift = shift_ids[(sid, "day" if k < per_site // 2 else "night")]
    session.add(ShiftAssignment(shift_id=shift, guard_id=gid, valid_from=FIRST, valid_to=FIRST + timedelta(DAYS - 1)))


def rule_codes(guard_id: str, on: date, impostor: bool, sites: int = 50) -> list[str]:
    """The violations the generator expects of one tap (its own account of the rules it broke)."""
    i, k = int(guard_id[2:4]), int(guard_id[4:6])
    broken = {
        "FACE_MISMATCH": impostor,
        "CERT_REVOKED": _revoked(i, k) and on >= REVOKED_FROM,
        "GUARD_BARRED": _barred(i, k) and on >= BARRED_FROM,
        "EMPLOYER_UNLICENSED": _rogue(i, k, sites) and on > LAPSED_AFTER,
    }
    return [code for code, yes in broken.items() if yes]


def employer_of(guard_id: str, sites: int = 50) -> str:
    i, k = int(guard_id[2:4]), int(guard_id[4:6])
    return ROGUE if _rogue(i, k, sites) else f"MC{i % 5}"


def _through_rules(guard_id: str, sites: int) -> bool:
    i, k = int(guard_id[2:4]), int(guard_id[4:6])
    return _revoked(i, k) or _barred(i, k) or _rogue(i, k, sites)


def _plan_duty(
    rng: random.Random, month: SeededMonth, gid: str, sid: str, uid: str, start: datetime, end: datetime
) -> list[Planned]:
    truth = month.truth[(sid, gid)]
    truth.shifts += 1
    roll = rng.random()
    if roll < 0.03:
        truth.absent += 1
        return []
    late = rng.randint(6, 60) if roll < 0.08 else 0
    early = rng.randint(6, 90) if 0.08 <= roll < 0.11 else 0
    tap_in = start + timedelta(minutes=late or -rng.randint(0, 20))
    tap_out = end - timedelta(minutes=early or -rng.randint(0, 20))
    truth.present += 1
    truth.late, truth.late_minutes = truth.late + bool(late), truth.late_minutes + late
    truth.early_leave, truth.early_minutes = truth.early_leave + bool(early), truth.early_minutes + early
    truth.worked_minutes += int((min(tap_out, end) - max(tap_in, start)).total_seconds() // 60)
    planned = [Planned(gid, sid, uid, tap_in, Direction.IN), Planned(gid, sid, uid, tap_out, Direction.OUT)]
    if rng.random() < 0.03:  # a repeat: folded into the first tap, so not counted
        planned.append(Planned(gid, sid, uid, tap_in + timedelta(seconds=rng.randint(20, 100)), Direction.IN))
    if 0.11 <= roll < 0.115:  # someone else's face on the guard's card, mid-shift: a tap, not presence
        planned.append(Planned(gid, sid, uid, start + timedelta(hours=3), Direction.IN, impostor=True))
        truth.taps += 1
    truth.taps += 2
    return planned


def plan(sites: int = 50, guards_per_site: int = 10, seed: int = 7) -> tuple[list[Planned], SeededMonth]:
    """Every tap of the month and the ground truth, without touching a database."""
    rng, month, taps = random.Random(seed), SeededMonth(), []  # noqa: S311  (reproducible test data)
    for i, sid in enumerate(site_ids(sites)):
        for k in range(guards_per_site):
            gid, uid, day_shift = f"MG{i:02d}{k:02d}", card_of(i, k), k < guards_per_site // 2
            for d in range(DAYS):
                day = FIRST + timedelta(days=d)
                starts, ends = (time(8), time(20)) if day_shift else (time(20), time(8))
                start, end = shift_bounds(day, starts, ends, ZONE)
                taps += _plan_duty(rng, month, gid, sid, uid, start, end)
                if rng.random() < 0.004:  # a stray tap far from any shift of this guard
                    stray = datetime.combine(day, time(3) if day_shift else time(14), ZoneInfo(ZONE))
                    taps.append(Planned(gid, sid, uid, stray, Direction.IN))
                    month.truth[(sid, gid)].unrostered_days += 1
                    month.truth[(sid, gid)].taps += 1
    for tap in taps:  # a folded repeat's violations stay: they are carried by the tap it folds into
        on = tap.at.astimezone(ZoneInfo(ZONE)).date()
        codes = rule_codes(tap.guard_id, on, tap.impostor, sites)
        month.truth[(tap.site_id, tap.guard_id)].violations += len(codes)
        if FIRST <= on < FIRST + timedelta(days=DAYS):
            month.taps_in_month += 1
            month.violations_by_code.update(codes)
            month.violations_by_company[employer_of(tap.guard_id, sites)] += len(codes)
    return taps, month


def _event(tap: Planned, seq: int) -> CheckinEvent:
    score = 0.2 if tap.impostor else 0.8
    return CheckinEvent(
        event_id=uuid.uuid4(),
        terminal_id=f"MT-{tap.site_id}",
        seq=seq,
        occurred_at=tap.at,
        card=WireCard(kind=CardKind.MIFARE, uid=tap.card_uid),
        direction=tap.direction,
        photo_missing="seeded month: no photo",
        face=FaceResult(
            status=FaceStatus.OK,
            detected=True,
            verify_score=score,
            verify_threshold=0.5,
            watchlist=WatchlistCheck(list_version="seed", checked=True),
        ),
        decision=TerminalDecision(outcome=Outcome.ACCEPTED, code="OK", message_zh="通过", message_en="OK"),
    )


def card_of(i: int, k: int) -> str:
    """The 4-byte UID of guard ``k`` of site ``i``."""
    return f"{0xAB + i // 100:02X}{i % 100:02d}{k:02d}00"  # AB... for the first 100 sites, AC... for the next


def _row(tap: Planned, seq: int, employers: dict[str, str | None]) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "terminal_id": f"MT-{tap.site_id}",
        "seq": seq,
        "occurred_at": tap.at.astimezone(UTC),
        "received_at": tap.at.astimezone(UTC),
        "site_id": tap.site_id,
        "guard_id": tap.guard_id,
        "employer_id": employers[tap.guard_id],
        "card_kind": CardKind.MIFARE.value,
        "card_uid": tap.card_uid,
        "direction": tap.direction.value,
        "face_status": FaceStatus.OK.value,
        "verify_score": 0.8,
        "verify_threshold": 0.5,
        "decision_outcome": Outcome.ACCEPTED.value,
        "decision_code": "OK",
        "raw_event": "{}",
    }


def generate(engine: Engine, data_dir: Path, sites: int = 50, guards_per_site: int = 10, seed: int = 7) -> SeededMonth:
    """Seed the registry and the month's taps into the (empty) database behind ``engine``."""
    with Session(engine) as session:
        seed_registry(session, sites, guards_per_site)
        employers = dict(session.exec(select(Guard.id, Guard.employer_id)).all())
    taps, month = plan(sites, guards_per_site, seed)
    bulk = []
    for seq, tap in enumerate(taps):
        if tap.impostor or _through_rules(tap.guard_id, sites):
            record_event(engine, _event(tap, seq), data_dir=data_dir, default_jurisdiction="110105-WJ")
            month.through_rules += 1
        else:
            bulk.append(_row(tap, seq, employers))
    with Session(engine) as session:
        for start in range(0, len(bulk), 2000):
            session.execute(insert(Checkin), bulk[start : start + 2000])
        session.commit()
    month.taps = len(taps)
    return month
