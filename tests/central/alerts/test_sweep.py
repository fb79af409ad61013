"""Registry sweeps: registered guards' ID numbers against the wanted list, one record per pair, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access.models import AuditEntry
from central.alerts.models import RegistryHit, RegistryHitStatus
from central.alerts.sweep import mark_notified, pending_notices, sweep
from central.registry.models import Guard, Site, SiteKind
from central.registry.roster import Shift, ShiftAssignment
from central.watchlist.models import WatchlistEntry
from tests.fixtures.tenants import Apps

WANTED_NUMBER = "23010319780615341X"  # W-0001 孙立军 of the demo list: no photo
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def register_wanted_guard(engine: Engine, guard_id: str = "G-W") -> None:
    with Session(engine) as session:
        session.add(Guard(id=guard_id, name_zh="孙立军", id_number=WANTED_NUMBER, employer_id="C1"))
        session.commit()


def hits(engine: Engine) -> list[RegistryHit]:
    with Session(engine) as session:
        return list(session.exec(select(RegistryHit).order_by(RegistryHit.id)).all())  # type: ignore[arg-type]


def test_a_wanted_guard_is_one_hit_however_often_swept(engine: Engine) -> None:
    with Session(engine) as session:
        assert sweep(session, now=T0).hits == ()
    register_wanted_guard(engine)
    with Session(engine) as session:
        first = sweep(session, now=T0)
        second = sweep(session, now=T0 + timedelta(hours=1))
    assert [(h.guard_id, h.entry_id, h.new) for h in first.hits] == [("G-W", "W-0001", True)]
    assert [(h.guard_id, h.entry_id, h.new) for h in second.hits] == [("G-W", "W-0001", False)]
    assert second.new == ()
    [row] = hits(engine)
    assert (row.status, row.first_seen_at, row.last_seen_at) == (RegistryHitStatus.OPEN, T0, T0 + timedelta(hours=1))
    assert row.jurisdiction == "110105-WJ"  # not rostered anywhere: the entry's own police


def test_a_hit_no_longer_found_is_cleared_and_a_new_one_when_found_again(engine: Engine) -> None:
    register_wanted_guard(engine)
    with Session(engine) as session:
        sweep(session, now=T0)
        entry = session.get(WatchlistEntry, "W-0001")
        assert entry is not None
        entry.id_number = "110105198503120012"  # the police corrected the entry: now G1's number
        session.add(entry)
        session.commit()
        moved = sweep(session, entry_ids=["W-0001"], now=T0 + timedelta(minutes=5))
        assert [(h.guard_id, h.new) for h in moved.hits] == [("G1", True)]
        assert moved.cleared == 1
        entry.id_number = WANTED_NUMBER
        session.add(entry)
        session.commit()
        back = sweep(session, now=T0 + timedelta(minutes=10))
    assert [(h.guard_id, h.new) for h in back.hits] == [("G-W", True)]
    assert {(r.guard_id, r.status) for r in hits(engine)} == {("G-W", "open"), ("G1", "cleared")}


def test_a_sweep_of_some_guards_leaves_the_others_alone(engine: Engine) -> None:
    register_wanted_guard(engine)
    with Session(engine) as session:
        assert sweep(session, guard_ids=["G1"], now=T0).hits == ()
        assert hits(engine) == []
        assert [h.guard_id for h in sweep(session, guard_ids=["G-W"], now=T0).new] == ["G-W"]


def test_the_police_of_the_site_the_guard_is_rostered_at_are_told_once(engine: Engine) -> None:
    register_wanted_guard(engine)
    with Session(engine) as session:
        session.add(Site(id="S-FAR", name_zh="远处", kind=SiteKind.OFFICE, region="310101", jurisdiction="310101-HP"))
        session.add(Shift(site_id="S-FAR", name_zh="夜班", starts=time(20), ends=time(8)))
        session.commit()
        shift = session.exec(select(Shift).where(Shift.site_id == "S-FAR")).one()
        session.add(ShiftAssignment(shift_id=shift.id or 0, guard_id="G-W", valid_from=date(2026, 1, 1)))
        session.commit()
        [hit] = sweep(session, now=T0).hits
        [notice] = pending_notices(session)
        assert (notice.hit_id, notice.jurisdiction, hit.jurisdiction) == (hit.hit_id, "310101-HP", "310101-HP")
        assert (notice.guard_id, notice.guard_name, notice.employer_id) == ("G-W", "孙立军", "C1")
        assert (notice.watchlist_entry_id, notice.matched_by) == ("W-0001", "id_number")
        mark_notified(session, [notice.hit_id])
        assert pending_notices(session) == []
        sweep(session, now=T0 + timedelta(hours=1))
        assert pending_notices(session) == []


def test_a_guard_written_and_a_list_entry_changed_are_swept_through_the_api(apps: Apps) -> None:
    admin, police = apps.client("admin"), apps.client("police")
    guard = {"id": "G-W", "name_zh": "孙立军", "id_number": WANTED_NUMBER, "employer_id": "C1"}
    assert admin.put("/api/admin/guards", json=guard).status_code == 200
    assert _open_hits(police) == [("G-W", "W-0001")]

    # The police correct the entry: now it is 赵磊's (G6) number; G-W's hit is cleared.
    changed = police.patch("/api/watchlist/W-0001", json={"id_number": "410105198306110035"})
    assert changed.status_code == 200, changed.text
    assert _open_hits(police) == [("G6", "W-0001")]
    assert apps.client("pingan").get("/api/police/registry-hits").status_code == 403
    with Session(apps.engine) as session:
        audited = session.exec(select(AuditEntry.target).where(AuditEntry.action == "registry_hit.new")).all()
    assert sorted(audited) == ["G-W/W-0001", "G6/W-0001"]


def _open_hits(client: TestClient) -> list[tuple[str, str]]:
    rows = client.get("/api/police/registry-hits", params={"status": "open"}).json()["data"]
    return [(r["guard_id"], r["watchlist_entry_id"]) for r in rows]
