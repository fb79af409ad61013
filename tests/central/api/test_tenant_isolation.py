"""Tenant isolation in the queries: no account reads another tenant's records by any URL or parameter.

Each account gets, for every list and detail endpoint, a foreign id or
parameter: lists leave the foreign rows out, look-ups answer 404 (as for an
id that does not exist), police-only routes answer 403 to employers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from central.checkins.store import record_event
from protocol.checkin import CheckinEvent
from tests.fixtures.central import add_terminal, make_event, wanted_hit
from tests.fixtures.tenants import OTHER_POLICE, SECOND_CARD, SECOND_TERMINAL, SECOND_USER, Apps

DAY = date(2026, 4, 7)
AT = datetime(2026, 4, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class Taps:
    c1_at_s2: CheckinEvent  # G1 of the security company C1 at S2 (contract site of C1)
    c2_at_s1: CheckinEvent  # G5 of the property firm C2 at S1 (C2's own site)
    t2_at_st2: CheckinEvent  # G-T2 of the second firm at its own site
    wanted_at_s2: CheckinEvent  # a wanted-person match at S2 (jurisdiction 110105-WJ)


def _tap(apps: Apps, terminal: str, card: str, **kw: object) -> CheckinEvent:
    event = make_event(terminal, card_uid=card, occurred_at=AT, **kw)
    record_event(apps.engine, event, data_dir=apps.data_dir, default_jurisdiction="unassigned")
    return event


@pytest.fixture
def taps(apps: Apps, engine: Engine) -> Taps:
    s1, s2 = add_terminal(engine, "S1"), add_terminal(engine, "S2")
    return Taps(
        c1_at_s2=_tap(apps, s2, "DEADBEEF"),
        c2_at_s1=_tap(apps, s1, "11223344"),
        t2_at_st2=_tap(apps, SECOND_TERMINAL, SECOND_CARD),
        wanted_at_s2=_tap(apps, s2, "55667788", hit=wanted_hit()),
    )


def _ids(rows: list[dict[str, object]], key: str = "event_id") -> set[str]:
    return {str(row[key]) for row in rows}


# (user, sites it must see, sites it must not see)
SITES = [
    ("jinxiu", {"S1"}, {"S2", "S3", "S-T2"}),
    (SECOND_USER, {"S-T2"}, {"S1", "S2", "S3"}),
    ("pingan", {"S2", "S3"}, {"S1", "S-T2"}),
    ("police", {"S1", "S2", "S3"}, {"S-T2"}),
    (OTHER_POLICE, {"S-T2"}, {"S1", "S2", "S3"}),
]


@pytest.mark.parametrize(("user", "mine", "foreign"), SITES)
def test_site_endpoints_answer_404_for_foreign_sites(
    apps: Apps, taps: Taps, user: str, mine: set[str], foreign: set[str]
) -> None:
    client = apps.client(user)
    listed = {s["id"] for s in client.get("/api/sites").json()["data"]}
    assert mine <= listed
    assert not listed & foreign
    for site in foreign:
        for url, params in [
            ("/api/attendance", {"site_id": site, "date": DAY.isoformat()}),
            (f"/api/sites/{site}/on-duty", {"date": DAY.isoformat()}),
            (f"/api/sites/{site}/calendar", {"month": "2026-04"}),
            ("/api/violations", {"site_id": site}),
            ("/api/checkins", {"site_id": site, "date": DAY.isoformat()}),
            ("/api/exports/timesheet.csv", {"site_id": site, "date": DAY.isoformat()}),
            ("/api/exports/timesheet.xlsx", {"site_id": site, "date": DAY.isoformat(), "kind": "monthly"}),
            ("/attendance", {"site_id": site, "date": DAY.isoformat()}),
            ("/calendar", {"site_id": site}),
        ]:
            response = client.get(url, params=params)
            assert response.status_code == 404, (user, url, site, response.status_code)


# (user, events it sees, events it must not see)
EVENTS = [
    ("jinxiu", {"c2_at_s1"}, {"c1_at_s2", "t2_at_st2", "wanted_at_s2"}),
    (SECOND_USER, {"t2_at_st2"}, {"c1_at_s2", "c2_at_s1", "wanted_at_s2"}),
    ("pingan", {"c1_at_s2", "wanted_at_s2"}, {"c2_at_s1", "t2_at_st2"}),
    ("police", {"c1_at_s2", "c2_at_s1", "wanted_at_s2"}, {"t2_at_st2"}),
    (OTHER_POLICE, {"t2_at_st2"}, {"c1_at_s2", "c2_at_s1", "wanted_at_s2"}),
    ("admin", {"c1_at_s2", "c2_at_s1", "t2_at_st2", "wanted_at_s2"}, set()),
]


@pytest.mark.parametrize(("user", "mine", "foreign"), EVENTS)
def test_checkins_and_photos_of_other_tenants_are_invisible(
    apps: Apps, taps: Taps, user: str, mine: set[str], foreign: set[str]
) -> None:
    client = apps.client(user)
    ids = {name: str(getattr(taps, name).event_id) for name in mine | foreign}
    listed = _ids(client.get("/api/checkins", params={"date": DAY.isoformat(), "limit": 1000}).json()["data"])
    for name in mine:
        assert ids[name] in listed, (user, name)
        assert client.get(f"/api/checkins/{ids[name]}").status_code == 200
        assert client.get(f"/api/checkins/{ids[name]}/photo").status_code == 200
    for name in foreign:
        assert ids[name] not in listed, (user, name)
        assert client.get(f"/api/checkins/{ids[name]}").status_code == 404, (user, name)
        assert client.get(f"/api/checkins/{ids[name]}/photo").status_code == 404, (user, name)


def test_violations_of_other_tenants_are_invisible(apps: Apps, engine: Engine) -> None:
    s2 = add_terminal(engine, "S2")
    revoked = _tap(apps, s2, "04C3D4E5")  # G3 of C1, certificate revoked: a violation at S2
    for user, sees in [("pingan", True), ("police", True), ("admin", True), ("jinxiu", False), (SECOND_USER, False)]:
        listed = _ids(apps.client(user).get("/api/violations", params={"limit": 1000}).json()["data"])
        assert (str(revoked.event_id) in listed) is sees, user


def test_alerts_are_for_the_police_of_the_jurisdiction_only(apps: Apps, taps: Taps) -> None:
    alert_id = str(taps.wanted_at_s2.event_id)
    assert alert_id in _ids(apps.client("police").get("/api/alerts").json()["data"], "alert_id")
    assert apps.client("police").get(f"/api/alerts/{alert_id}").status_code == 200
    other = apps.client(OTHER_POLICE)
    # Naming the other jurisdiction does not widen the scope.
    assert alert_id not in _ids(
        other.get("/api/alerts", params={"jurisdiction": "110105-WJ"}).json()["data"], "alert_id"
    )
    assert other.get(f"/api/alerts/{alert_id}").status_code == 404
    assert other.post(f"/api/alerts/{alert_id}/status", json={"status": "acknowledged"}).status_code == 404
    assert other.get("/api/watchlist/W-0001").status_code == 404
    for employer in ("jinxiu", "pingan", SECOND_USER):
        client = apps.client(employer)
        for url in [
            "/api/alerts",
            f"/api/alerts/{alert_id}",
            "/api/watchlist",
            "/api/alerts/stream",
            "/api/police/violations",
        ]:
            assert client.get(url).status_code == 403, (employer, url)
        assert client.post(f"/api/alerts/{alert_id}/status", json={"status": "acknowledged"}).status_code == 403
        assert client.get("/police/alerts").status_code == 403
        assert client.get("/admin").status_code == 403


def test_guards_of_other_tenants_are_invisible_and_id_numbers_masked(apps: Apps) -> None:
    pingan = apps.client("pingan")
    assert {g["employer_id"] for g in pingan.get("/api/guards").json()["data"]} == {"C1"}
    assert pingan.get("/api/guards/G5").status_code == 404  # C2's guard
    assert apps.client("jinxiu").get("/api/guards/G1").status_code == 404
    assert apps.client(SECOND_USER).get("/api/guards/G5").status_code == 404
    masked = pingan.get("/api/guards/G1").json()["id_number"]
    assert masked == "1101**********0012"
    assert "110105198503120012" not in pingan.get("/guards").text
    assert "1101**********0012" in pingan.get("/guards").text
    for user in ("police", "admin"):
        assert apps.client(user).get("/api/guards/G1").json()["id_number"] == "110105198503120012"


def test_unknown_and_foreign_ids_look_alike(apps: Apps, taps: Taps) -> None:
    jinxiu = apps.client("jinxiu")
    foreign = jinxiu.get(f"/api/checkins/{taps.c1_at_s2.event_id}")
    unknown = jinxiu.get(f"/api/checkins/{uuid.uuid4()}")
    assert (foreign.status_code, foreign.json()) == (unknown.status_code, unknown.json())
