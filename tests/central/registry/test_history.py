"""The registry as of a day: certificates, bars, licences, filings and contracts keep their dates."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.checkins.store import record_event
from central.registry.cards import issue_to
from central.registry.credentials import (
    BarKind,
    Certificate,
    CompanyCredential,
    CredentialKind,
    CrossRegionFiling,
    GuardBar,
)
from central.registry.models import (
    Card,
    CertStatus,
    Company,
    CompanyKind,
    Guard,
    ServiceContract,
    Site,
    SiteKind,
    Terminal,
)
from central.registry.roster import Post
from central.registry.snapshot import barred_on, cert_status_on, credential_valid_on, filed_regions_on, required_level
from protocol.cards import CardTech
from tests.fixtures.central import add_terminal, make_event

D = date(2026, 3, 10)


def cert(issued: date, revoked: date | None = None) -> Certificate:
    return Certificate(number=uuid.uuid4().hex, guard_id="G", issued_on=issued, revoked_on=revoked)


@pytest.mark.parametrize(
    ("certificates", "expected"),
    [
        ([], CertStatus.NONE),
        ([cert(D + timedelta(days=1))], CertStatus.NONE),  # issued tomorrow: none today
        ([cert(D)], CertStatus.VALID),
        ([cert(D - timedelta(days=400), revoked=D + timedelta(days=1))], CertStatus.VALID),  # revoked tomorrow
        ([cert(D - timedelta(days=400), revoked=D)], CertStatus.REVOKED),  # revoked today
        ([cert(date(2020, 1, 1), revoked=date(2021, 1, 1)), cert(date(2022, 1, 1))], CertStatus.VALID),  # re-issued
    ],
    ids=["none", "issued tomorrow", "issued today", "revoked tomorrow", "revoked today", "re-issued"],
)
def test_certificate_status_on_a_day(certificates: list[Certificate], expected: CertStatus) -> None:
    assert cert_status_on(certificates, D) == expected


def bar(start: date, end: date | None) -> GuardBar:
    return GuardBar(guard_id="G", kind=BarKind.BLACKLIST, valid_from=start, valid_to=end)


@pytest.mark.parametrize(
    ("bars", "expected"),
    [
        ([], False),
        ([bar(D, None)], True),
        ([bar(D + timedelta(days=1), None)], False),
        ([bar(D - timedelta(days=30), D - timedelta(days=1))], False),  # lifted yesterday
        ([bar(D - timedelta(days=30), D)], True),  # lifted from tomorrow on
    ],
    ids=["never", "from today", "from tomorrow", "lifted yesterday", "last day"],
)
def test_bar_on_a_day(bars: list[GuardBar], expected: bool) -> None:
    assert barred_on(bars, D) is expected


def licence(start: date, end: date | None = None, revoked: date | None = None) -> CompanyCredential:
    return CompanyCredential(
        company_id="C", kind=CredentialKind.LICENCE, number="n", valid_from=start, valid_to=end, revoked_on=revoked
    )


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ([licence(D - timedelta(days=1))], True),
        ([licence(D - timedelta(days=100), end=D - timedelta(days=1))], False),  # lapsed
        ([licence(D - timedelta(days=100), revoked=D)], False),
        ([licence(D - timedelta(days=100), revoked=D + timedelta(days=1))], True),
        ([licence(D + timedelta(days=1))], False),
        ([CompanyCredential(company_id="C", kind=CredentialKind.FILING, number="f", valid_from=D)], False),
    ],
    ids=["in force", "lapsed", "revoked today", "revoked tomorrow", "not yet", "a filing is no licence"],
)
def test_licence_on_a_day(credentials: list[CompanyCredential], expected: bool) -> None:
    assert credential_valid_on(credentials, CredentialKind.LICENCE, D) is expected


def test_filed_regions_on_a_day() -> None:
    filings = [
        CrossRegionFiling(company_id="C", region="1101", valid_from=D - timedelta(days=10)),
        CrossRegionFiling(
            company_id="C", region="12", valid_from=D - timedelta(days=10), valid_to=D - timedelta(days=1)
        ),
    ]
    assert filed_regions_on(filings, D) == frozenset({"1101"})


def test_required_level_is_the_stricter_of_post_and_terminal() -> None:
    terminal = Terminal(id="T", site_id="S", min_level=4)
    assert required_level(terminal, Post(id="P", site_id="S", name_zh="岗", min_level=2)) == 2
    assert required_level(terminal, Post(id="P", site_id="S", name_zh="岗")) == 4
    assert required_level(Terminal(id="T", site_id="S"), None) is None


# --- at ingest: the registry as it was when the guard tapped ---------------------------------


def _new_guard(engine: Engine, revoked_on: date | None, barred_from: date | None) -> str:
    """A guard of C1 with a certificate (revoked on ``revoked_on``) and a card; returns the card uid."""
    gid, uid = f"G-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8].upper()
    with Session(engine) as session:
        session.add(Guard(id=gid, name_zh="测试", id_number=uuid.uuid4().hex[:18], employer_id="C1"))
        session.flush()
        issue_to(session, uid, CardTech.ISO14443A, gid)
        session.add(Certificate(number=f"N-{gid}", guard_id=gid, issued_on=date(2020, 1, 1), revoked_on=revoked_on))
        if barred_from is not None:
            session.add(GuardBar(guard_id=gid, kind=BarKind.BACKGROUND_CHECK, valid_from=barred_from))
        session.commit()
    return uid


def _tap(engine: Engine, tmp_path: Path, uid: str, at: datetime, terminal: str = "T-S2-GATE") -> tuple[str, ...]:
    event = make_event(terminal, card_uid=uid, occurred_at=at, with_photo=False)
    return record_event(engine, event, data_dir=tmp_path, default_jurisdiction="unassigned").violations


def test_certificate_revoked_tomorrow_leaves_todays_tap_in_order(engine: Engine, tmp_path: Path) -> None:
    uid = _new_guard(engine, revoked_on=date(2026, 3, 3), barred_from=None)
    # 2026-03-02 23:30 in Beijing is still the 2nd there, though it is 15:30 UTC.
    assert "CERT_REVOKED" not in _tap(engine, tmp_path, uid, datetime(2026, 3, 2, 15, 30, tzinfo=UTC))
    assert "CERT_REVOKED" in _tap(engine, tmp_path, uid, datetime(2026, 3, 2, 16, 30, tzinfo=UTC))


def test_bar_applies_from_its_day(engine: Engine, tmp_path: Path) -> None:
    uid = _new_guard(engine, revoked_on=None, barred_from=date(2026, 3, 5))
    assert _tap(engine, tmp_path, uid, datetime(2026, 3, 4, 1, tzinfo=UTC)) == ()
    assert _tap(engine, tmp_path, uid, datetime(2026, 3, 5, 1, tzinfo=UTC)) == ("GUARD_BARRED",)


def test_licence_contract_and_filing_as_of_the_day(engine: Engine, tmp_path: Path) -> None:
    """A Zhejiang company, licensed until the 6th, filed for Beijing from the 4th, contracted from the 3rd."""
    company, site = f"C-{uuid.uuid4().hex[:6]}", f"S-{uuid.uuid4().hex[:6]}"
    with Session(engine) as session:
        session.add(Company(id=company, name_zh="浙保", kind=CompanyKind.SECURITY_COMPANY, region="330106"))
        session.add(Site(id=site, name_zh="楼", kind=SiteKind.OFFICE, region="110105", jurisdiction="110105-WJ"))
        session.flush()
        session.add_all(
            [
                CompanyCredential(
                    company_id=company,
                    kind=CredentialKind.LICENCE,
                    number=f"浙-{company}",
                    valid_from=date(2020, 1, 1),
                    valid_to=date(2026, 4, 6),
                ),
                CrossRegionFiling(company_id=company, region="1101", valid_from=date(2026, 4, 4)),
                ServiceContract(
                    company_id=company, site_id=site, valid_from=date(2026, 4, 3), valid_to=date(2026, 12, 31)
                ),
            ]
        )
        session.commit()
        guard = session.get(Guard, "G1")
        assert guard is not None
    uid = _new_guard(engine, revoked_on=None, barred_from=None)
    with Session(engine) as session:
        card = session.get(Card, f"iso14443a:{uid}")
        assert card is not None
        moved = session.get(Guard, card.guard_id)
        assert moved is not None
        moved.employer_id = company
        session.add(moved)
        session.commit()
    terminal = add_terminal(engine, site_id=site)

    def on(day: int) -> tuple[str, ...]:
        return _tap(engine, tmp_path, uid, datetime(2026, 4, day, 2, tzinfo=UTC), terminal)

    assert on(2) == ("NO_SERVICE_CONTRACT", "CROSS_REGION_NOT_FILED")
    assert on(3) == ("CROSS_REGION_NOT_FILED",)
    assert on(5) == ()
    assert on(7) == ("EMPLOYER_UNLICENSED",)
