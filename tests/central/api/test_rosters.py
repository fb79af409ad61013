"""The roster API: each account writes only its own sites and guards, inputs are refused in words,
a week copies forward without duplicates, the CSV round-trips, and the board then expects the guard.

The demo registry: C1 (security company, account ``pingan``) serves S2 and S3
and employs G1-G4 and G6; C2 (property firm, ``jinxiu``) manages S1 and employs
G5; the second firm (``firm2``) manages S-T2 and employs G-T2.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from central.access.models import AuditEntry
from central.registry.models import ServiceContract
from tests.fixtures.tenants import SECOND_FIRM, SECOND_USER, Apps

MONDAY = date(2026, 3, 2)


def _shift(apps: Apps, user: str, site: str, **body: Any) -> Any:
    values = {"name_zh": "早班", "starts": "07:00", "ends": "15:00"} | body
    return apps.client(user).post(f"/api/rosters/sites/{site}/shifts", json=values)


def _assign(apps: Apps, user: str, shift_id: int, guard: str, **body: Any) -> Any:
    values = {"shift_id": shift_id, "guard_id": guard, "weekdays": "12345", "valid_from": MONDAY.isoformat()} | body
    return apps.client(user).post("/api/rosters/assignments", json=values)


def _audited(apps: Apps, action: str) -> list[str]:
    with Session(apps.engine) as session:
        return list(session.exec(select(AuditEntry.detail).where(AuditEntry.action == action)).all())


def test_a_company_rosters_its_guard_on_weekdays_and_sees_the_week(apps: Apps) -> None:
    made = _shift(apps, "pingan", "S3", name_zh="夜班", name_en="night", starts="22:00", ends="06:00",
                  late_grace_min=10)  # fmt: skip
    assert made.status_code == 201, made.text
    shift = made.json()
    assert shift["overnight"] is True
    assert shift["late_grace_min"] == 10
    one_week = (MONDAY + timedelta(days=6)).isoformat()
    assigned = _assign(apps, "pingan", shift["id"], "G6", weekdays="1,3,5", valid_to=one_week)
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["weekdays"] == "135"
    week = apps.client("pingan").get("/api/rosters/sites/S3/week", params={"date": "2026-03-04"}).json()
    assert week["monday"] == MONDAY.isoformat()
    (row,) = week["rows"]
    assert row["guard_id"] == "G6"
    assert [bool(cells) for cells in row["days"]] == [True, False, True, False, True, False, False]
    assert row["days"][0][0]["name_zh"] == "夜班"
    assert row["days"][0][0]["overnight"] is True
    assert any("name=夜班" in d for d in _audited(apps, "roster.shift_create"))
    assert any("guard=G6 weekdays=135" in d for d in _audited(apps, "roster.assign"))
    listed = apps.client("pingan").get("/api/rosters/sites/S3/assignments", params={"limit": 1}).json()
    assert (listed["count"], len(listed["data"])) == (1, 1)


def test_a_company_cannot_touch_another_tenants_site_or_guards(apps: Apps) -> None:
    shift = _shift(apps, "pingan", "S3").json()
    foreign_site = _shift(apps, "pingan", "S1")  # the property firm's own site
    assert foreign_site.status_code == 404
    assert foreign_site.json()["detail"] == "场所不存在 / unknown site"
    foreign_guard = _assign(apps, "pingan", shift["id"], "G5")  # the firm's guard
    assert foreign_guard.status_code == 404
    assert foreign_guard.json()["code"] == "not_found.guard"
    assert "无此保安员 / unknown guard" in foreign_guard.json()["detail"]
    assert apps.client("jinxiu").put(f"/api/rosters/shifts/{shift['id']}", json={
        "name_zh": "改", "starts": "07:00", "ends": "15:00"}).status_code == 404  # fmt: skip
    assert apps.client("jinxiu").delete(f"/api/rosters/shifts/{shift['id']}").status_code == 404
    assert apps.client("jinxiu").get("/api/rosters/sites/S3/week", params={"date": "2026-03-02"}).status_code == 404
    police = apps.client("police").get("/api/rosters/sites")
    assert police.status_code == 403
    assert "排班仅限" in police.json()["detail"]
    guards = {g["id"] for g in apps.client("pingan").get("/api/rosters/guards").json()["data"]}
    assert guards == {"G1", "G2", "G3", "G4", "G6"}


def test_a_firm_rosters_its_own_guards_at_its_own_site_and_only_reads_a_served_site(apps: Apps) -> None:
    shift = _shift(apps, "jinxiu", "S1").json()
    assert _assign(apps, "jinxiu", shift["id"], "G5").status_code == 201
    assert _assign(apps, "jinxiu", shift["id"], "G1").status_code == 404  # the security company's guard
    with Session(apps.engine) as session:  # the second firm serves S1 too: it reads, it may not write
        session.add(ServiceContract(company_id=SECOND_FIRM, site_id="S1", valid_from=date(2026, 1, 1),
                                    valid_to=date(2027, 12, 31)))  # fmt: skip
        session.commit()
    second = apps.client(SECOND_USER)
    sites = {s["id"]: s["editable"] for s in second.get("/api/rosters/sites").json()["data"]}
    assert sites == {"S-T2": True, "S1": False}
    refused = _shift(apps, SECOND_USER, "S1", name_zh="晚班")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("只有管理本场所的用人单位可编排排班 / ")
    week = second.get("/api/rosters/sites/S1/week", params={"date": MONDAY.isoformat()}).json()
    assert week["rows"] == []  # G5 is the first firm's guard: not shown to the second


def test_bad_input_is_refused_with_reasons(apps: Apps) -> None:
    bad_time = _shift(apps, "pingan", "S3", starts="25:00")
    assert bad_time.status_code == 422
    assert bad_time.json()["code"] == "roster.invalid_time"
    assert "开始时间应为 时:分" in bad_time.json()["detail"]
    assert _shift(apps, "pingan", "S3", post_id="P-S2-EAST").json()["code"] == "roster.invalid_post"
    assert _shift(apps, "pingan", "S3", name_zh=" ").json()["code"] == "roster.invalid_name"
    shift = _shift(apps, "pingan", "S3").json()
    assert _shift(apps, "pingan", "S3").status_code == 409  # the same name twice
    for weekdays in ("8", "mon", ""):
        refused = _assign(apps, "pingan", shift["id"], "G6", weekdays=weekdays)
        assert refused.status_code == 422, weekdays
        assert "星期应为 1-7 的数字" in refused.json()["detail"]
    unknown = _assign(apps, "pingan", shift["id"], "G-NOBODY")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found.guard")
    backwards = _assign(apps, "pingan", shift["id"], "G6", valid_to="2026-03-01")
    assert backwards.json()["code"] == "roster.invalid_dates"
    assert _assign(apps, "pingan", 999999, "G6").json()["code"] == "not_found.shift"
    first = _assign(apps, "pingan", shift["id"], "G6").json()
    overlap = _assign(apps, "pingan", shift["id"], "G6", weekdays="5", valid_from="2026-03-20")
    assert (overlap.status_code, overlap.json()["code"]) == (409, "roster.overlap")
    in_use = apps.client("pingan").delete(f"/api/rosters/shifts/{shift['id']}")
    assert (in_use.status_code, in_use.json()["code"]) == (409, "roster.shift_in_use")
    ended = apps.client("pingan").post(f"/api/rosters/assignments/{first['id']}/end", json={"last_day": "2026-03-13"})
    assert ended.json()["valid_to"] == "2026-03-13"
    too_early = apps.client("pingan").post(f"/api/rosters/assignments/{first['id']}/end",
                                           json={"last_day": "2026-02-01"})  # fmt: skip
    assert too_early.json()["code"] == "roster.invalid_dates"
    copy = apps.client("pingan").post("/api/rosters/sites/S3/copy", json={"date": "2026-03-02", "weeks": 13})
    assert copy.status_code == 422


def test_copying_a_week_creates_the_missing_weeks_once(apps: Apps) -> None:
    client = apps.client("pingan")
    shift = _shift(apps, "pingan", "S3").json()
    sunday = (MONDAY + timedelta(days=6)).isoformat()
    assert _assign(apps, "pingan", shift["id"], "G6", weekdays="135", valid_to=sunday).status_code == 201
    assert _assign(apps, "pingan", shift["id"], "G1", weekdays="67").status_code == 201  # open-ended: covered
    copied = client.post("/api/rosters/sites/S3/copy", json={"date": "2026-03-04", "weeks": 3})
    assert copied.status_code == 200, copied.text
    (made,) = copied.json()["data"]
    assert (made["guard_id"], made["weekdays"]) == ("G6", "135")
    assert (made["valid_from"], made["valid_to"]) == ("2026-03-09", "2026-03-29")
    assert client.post("/api/rosters/sites/S3/copy", json={"date": "2026-03-04", "weeks": 3}).json()["count"] == 0
    later = client.get("/api/rosters/sites/S3/week", params={"date": "2026-03-25"}).json()
    g6 = next(r for r in later["rows"] if r["guard_id"] == "G6")
    assert [bool(cells) for cells in g6["days"]] == [True, False, True, False, True, False, False]
    after = client.get("/api/rosters/sites/S3/week", params={"date": "2026-03-30"}).json()
    assert "G6" not in {r["guard_id"] for r in after["rows"]}
    assert any("created=1" in d for d in _audited(apps, "roster.copy"))


def test_the_exported_roster_imports_back_unchanged_and_a_foreign_row_is_refused(apps: Apps) -> None:
    client = apps.client("pingan")
    shift = _shift(apps, "pingan", "S3", ends="06:00", starts="22:00").json()
    assert _assign(apps, "pingan", shift["id"], "G6", weekdays="246", valid_to="2026-04-30").status_code == 201
    for kind, rows in (("shifts", 1), ("assignments", 1)):
        exported = client.get(f"/api/rosters/sites/S3/{kind}.csv")
        assert exported.status_code == 200
        text = exported.content.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("场所,")
        files = {"file": (f"{kind}.csv", exported.content, "text/csv")}
        report = client.post(f"/api/rosters/sites/S3/import/{kind}", files=files, params={"preview": "true"}).json()
        assert report["outcomes"] == {"created": 0, "updated": 0, "unchanged": rows}, (kind, report)
    assignments = client.get("/api/rosters/sites/S3/assignments.csv").content.decode("utf-8-sig")
    assert "S3,早班,G6,2026-03-02,2026-04-30,246" in assignments
    moved = assignments.replace("2026-04-30", "2026-05-31").encode("utf-8-sig")
    done = client.post("/api/rosters/sites/S3/import/assignments", files={"file": ("a.csv", moved, "text/csv")})
    assert done.json()["outcomes"]["updated"] == 1
    assert any("updated" in d for d in _audited(apps, "roster.import.assignments"))
    foreign = (assignments.splitlines()[0] + "\nS3,早班,G5,2026-03-02,,12345\n").encode("utf-8")
    refused = client.post("/api/rosters/sites/S3/import/assignments", files={"file": ("a.csv", foreign, "text/csv")})
    assert (refused.status_code, refused.json()["code"]) == (422, "roster.import_scope")
    assert refused.json()["detail"].startswith("第 2 行「保安员」")
    other_site = (assignments.splitlines()[0] + "\nS2,白班,G1,2026-03-02,,12345\n").encode("utf-8")
    refused = client.post("/api/rosters/sites/S3/import/assignments", files={"file": ("a.csv", other_site, "t/csv")})
    assert "「场所」应为 S3" in refused.json()["detail"]


def test_the_board_expects_a_guard_rostered_through_the_api(apps: Apps) -> None:
    client = apps.client("pingan")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    def s3_row() -> dict[str, Any] | None:
        board = client.get("/api/board", params={"site_id": "S3"}).json()
        return next((r for site in board["data"] for r in site["rows"] if r["guard_id"] == "G6"), None)

    assert s3_row() is None
    shift = _shift(apps, "pingan", "S3", name_zh="全天", starts="00:00", ends="23:59", late_grace_min=0).json()
    assigned = _assign(apps, "pingan", shift["id"], "G6", weekdays="1234567", valid_from=today.isoformat())
    assert assigned.status_code == 201
    row = s3_row()
    assert row is not None
    assert row["presence"] in ("missing", "absent")  # 未到 (缺勤 only in the day's last minute)
    with Session(apps.engine) as session:
        assert session.exec(select(AuditEntry).where(col(AuditEntry.action) == "roster.assign")).first() is not None


def test_an_assignment_is_deleted_only_before_its_first_day(apps: Apps) -> None:
    client = apps.client("pingan")
    shift = _shift(apps, "pingan", "S3").json()
    begun = _assign(apps, "pingan", shift["id"], "G6").json()  # from 2026-03-02: in the past
    future = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=7)).isoformat()
    planned = _assign(apps, "pingan", shift["id"], "G1", valid_from=future).json()
    refused = client.delete(f"/api/rosters/assignments/{begun['id']}")
    assert (refused.status_code, refused.json()["code"]) == (409, "roster.assignment_begun")
    assert "只能结束" in refused.json()["detail"]
    assert apps.client("jinxiu").delete(f"/api/rosters/assignments/{planned['id']}").status_code == 404
    assert client.delete(f"/api/rosters/assignments/{planned['id']}").status_code == 204
    assert client.delete(f"/api/rosters/assignments/{planned['id']}").status_code == 404
    assert any("guard=G1" in d for d in _audited(apps, "roster.delete"))


def test_an_imported_shift_must_name_a_post_of_the_site(apps: Apps) -> None:
    header = apps.client("pingan").get("/api/rosters/sites/S3/shifts.csv").content.decode("utf-8-sig").splitlines()[0]
    body = f"{header}\nS3,门岗,,07:00,19:00,P-S2-EAST,5,5\n".encode()
    refused = apps.client("pingan").post(
        "/api/rosters/sites/S3/import/shifts", files={"file": ("s.csv", body, "text/csv")}
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "roster.import_scope")
    assert "「岗位」不属于本场所" in refused.json()["detail"]
    assert apps.client("pingan").get("/api/rosters/sites/S3/shifts").json()["count"] == 0
