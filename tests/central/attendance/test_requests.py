"""Leave (请假) and missed-tap corrections (补卡): the security company files, the property firm approves, and
only then does attendance change; every refusal in words, every step in the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access import auth
from central.access.models import AccountCreate, AuditEntry, Role
from central.app import create_app
from central.checkins.store import record_event
from central.registry.models import ServiceContract
from central.registry.roster import Shift, ShiftAssignment
from central.registry.upsert import upsert
from tests.fixtures.central import add_terminal, make_event
from tests.fixtures.tenants import Apps, demo_settings, keys_for

DAY = date(2026, 11, 2)  # a Monday; G1 (平安卫士, C1) rostered 08:00-20:00 at S1 (锦绣物业 C2 manages it)


@pytest.fixture
def s1_shift(engine: Engine) -> int:
    """C1 serves S1 under contract; G1 is rostered there every day on a day shift. The shift's id."""
    with Session(engine) as session:
        upsert(session, ServiceContract, {"company_id": "C1", "site_id": "S1", "valid_from": date(2026, 1, 1),
                                          "valid_to": date(2027, 12, 31), "contract_number": "PA-2026-S1"})  # fmt: skip
        shift, _ = upsert(session, Shift, {"site_id": "S1", "name_zh": "白班", "starts": time(8), "ends": time(20)})
        session.flush()
        shift_id: int = shift.id
        upsert(session, ShiftAssignment, {"shift_id": shift_id, "guard_id": "G1", "valid_from": date(2026, 11, 1)})
        session.commit()
        return shift_id


def attendance(client: TestClient, day: date = DAY) -> dict[str, Any]:
    answer = client.get("/api/attendance", params={"site_id": "S1", "date": day.isoformat()})
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = [r for r in answer.json()["data"] if r["guard_id"] == "G1"]
    assert len(rows) == 1
    return rows[0]


def leave(client: TestClient, **fields: object) -> httpx.Response:
    body = {"kind": "leave", "guard_id": "G1", "site_id": "S1", "first_day": DAY.isoformat(),
            "leave_kind": "sick", "reason": "发烧就医"} | fields  # fmt: skip
    answer: httpx.Response = client.post("/api/attendance/requests", json=body)
    return answer


def test_an_approved_leave_removes_the_absence_and_shows_on_the_timesheet(apps: Apps, s1_shift: int) -> None:
    pingan, jinxiu = apps.client("pingan"), apps.client("jinxiu")
    assert attendance(pingan)["absent"] is True

    filed = leave(pingan, shift_id=s1_shift)
    assert filed.status_code == 201, filed.text
    request = filed.json()
    assert (request["status"], request["guard_name_zh"], request["site_name_zh"]) == ("pending", "张伟", "锦绣花园小区")
    assert request["next"] == ["withdraw"]  # the filer cannot approve its own request
    assert attendance(pingan)["absent"] is True  # pending changes nothing

    seen = jinxiu.get("/api/attendance/requests", params={"status": "pending"}).json()
    assert [r["id"] for r in seen["data"]] == [request["id"]]
    assert seen["data"][0]["next"] == ["approve", "reject"]
    approved = jinxiu.post(f"/api/attendance/requests/{request['id']}/approve", json={"note": "同意"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "jinxiu")

    row = attendance(pingan)
    assert (row["absent"], row["on_leave"], row["leave_kind"]) == (False, True, "sick")
    monthly = {"site_id": "S1", "date": DAY.isoformat(), "kind": "monthly"}
    sheet = pingan.get("/api/exports/timesheet.xlsx", params=monthly)
    book = load_workbook(BytesIO(sheet.content))
    matrix = book.worksheets[1]
    (g1,) = [r for r in matrix.iter_rows(min_row=2, values_only=True) if len(r) > 3 and r[1] == "G1"]
    assert g1[3 + DAY.day - 1] == "假"
    assert g1[-3:] == (0, 29, 1)  # present, absent (every other day of November), leave
    matrix_csv = pingan.get("/api/exports/timesheet.csv", params=monthly | {"layout": "matrix"}).text
    (line,) = [line for line in matrix_csv.splitlines() if ",G1," in line]
    assert line.split(",")[3 + DAY.day - 1] == "假"

    with Session(apps.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.target == str(request["id"])))]
    assert actions == ["attendance_request.leave", "attendance_request.approve"]


def test_an_approved_correction_stands_for_the_missed_tap_out(apps: Apps, s1_shift: int, tmp_path: Path) -> None:
    terminal = add_terminal(apps.engine, "S1")
    tapped_in = datetime(2026, 11, 2, 0, 1, tzinfo=UTC)  # 08:01 in Beijing
    record_event(apps.engine, make_event(terminal, card_uid="DEADBEEF", occurred_at=tapped_in, direction="in"),
                 data_dir=tmp_path, default_jurisdiction="unassigned")  # fmt: skip
    pingan, jinxiu = apps.client("pingan"), apps.client("jinxiu")
    assert attendance(pingan)["last_out"] is None

    filed = pingan.post("/api/attendance/requests", json={
        "kind": "correction", "guard_id": "G1", "site_id": "S1", "direction": "out",
        "at": "2026-11-02T20:05:00", "reason": "读卡器故障，未能签退"})  # fmt: skip
    assert filed.status_code == 201, filed.text
    assert filed.json()["at"].startswith("2026-11-02T12:05:00")  # local time at the site, stored in UTC
    jinxiu.post(f"/api/attendance/requests/{filed.json()['id']}/approve", json={}).raise_for_status()

    row = attendance(pingan)
    assert row["last_out"].startswith("2026-11-02T20:05:00")
    assert (row["corrected"], row["early_leave"], row["taps"]) == (True, False, 1)  # a correction is not a tap


def test_refusals_say_why_and_nothing_changes(apps: Apps, s1_shift: int) -> None:
    pingan, jinxiu, police, firm2 = (apps.client(u) for u in ("pingan", "jinxiu", "police", "firm2"))
    by_firm = leave(jinxiu)
    assert by_firm.status_code == 403
    assert "此申请应由保安员所属公司提交" in by_firm.json()["detail"]
    assert leave(pingan, reason=" ").status_code == 422
    backwards = leave(pingan, last_day="2026-11-01")
    assert "结束日期早于开始日期" in backwards.json()["detail"]
    future = pingan.post("/api/attendance/requests", json={
        "kind": "correction", "guard_id": "G1", "site_id": "S1", "direction": "in", "at": "2999-01-01T08:00:00",
        "reason": "x"})  # fmt: skip
    assert (future.status_code, "补卡时间不能晚于现在" in future.json()["detail"]) == (422, True)
    foreign_guard = leave(pingan, guard_id="G5")  # 陈静 is C2's
    assert foreign_guard.status_code == 403

    request = leave(pingan, shift_id=s1_shift).json()
    duplicate = leave(pingan, first_day="2026-11-01", last_day="2026-11-03")
    assert (duplicate.status_code, "该时段已有请假申请" in duplicate.json()["detail"]) == (409, True)
    own = pingan.post(f"/api/attendance/requests/{request['id']}/approve", json={})
    assert (own.status_code, "不能审批自己提交的申请" in own.json()["detail"]) == (403, True)
    no_note = jinxiu.post(f"/api/attendance/requests/{request['id']}/reject", json={"note": ""})
    assert (no_note.status_code, "驳回请填写原因" in no_note.json()["detail"]) == (422, True)
    assert police.get(f"/api/attendance/requests/{request['id']}").status_code == 404
    assert firm2.get(f"/api/attendance/requests/{request['id']}").status_code == 404
    assert firm2.post(f"/api/attendance/requests/{request['id']}/approve", json={}).status_code == 404
    assert attendance(pingan)["absent"] is True

    rejected = jinxiu.post(f"/api/attendance/requests/{request['id']}/reject", json={"note": "无病假证明"})
    assert rejected.json()["status"] == "rejected"
    again = jinxiu.post(f"/api/attendance/requests/{request['id']}/approve", json={})
    assert (again.status_code, "申请已驳回，不能再处理" in again.json()["detail"]) == (409, True)
    assert attendance(pingan)["absent"] is True
    assert leave(pingan).status_code == 201  # a rejected request blocks no new one


def test_where_no_firm_manages_the_site_another_account_of_the_company_approves(apps: Apps, engine: Engine) -> None:
    """S2 has no managing unit: a second 平安卫士 account decides; the filer still cannot."""
    with Session(engine) as session:
        auth.create_account(session, AccountCreate(username="pingan-lead", password="pingan-lead-password-1",
                                                   role=Role.COMPANY, company_id="C1"))  # fmt: skip
    pingan = apps.client("pingan")
    request = leave(pingan, site_id="S2").json()
    assert request["next"] == ["withdraw"]
    lead = TestClient(create_app(demo_settings(apps.data_dir), engine=engine, run_ingest=False))
    with lead:
        login = lead.post("/api/auth/login", json={"username": "pingan-lead", "password": "pingan-lead-password-1"})
        lead.headers["X-CSRF-Token"] = login.headers["X-CSRF-Token"]
        assert lead.get(f"/api/attendance/requests/{request['id']}").json()["next"] == ["approve", "reject"]
        assert lead.post(f"/api/attendance/requests/{request['id']}/approve", json={}).status_code == 200
    assert apps.client("jinxiu").get(f"/api/attendance/requests/{request['id']}").status_code == 404


def test_the_other_way_round_the_firm_files_and_the_company_approves(
    engine: Engine, tmp_path: Path, s1_shift: int
) -> None:
    keys = keys_for(engine)
    app = create_app(demo_settings(tmp_path, attendance={"requests_filed_by": "site"}), engine=engine,
                     run_ingest=False)  # fmt: skip
    pingan, jinxiu = (TestClient(app, headers={auth.API_KEY_HEADER: keys[u]}) for u in ("pingan", "jinxiu"))
    with pingan:  # the app's lifespan: one client runs it for both
        assert leave(pingan).status_code == 403
        request = leave(jinxiu, shift_id=s1_shift).json()
        assert pingan.post(f"/api/attendance/requests/{request['id']}/approve", json={}).status_code == 200
        assert attendance(pingan)["on_leave"] is True


def test_the_filer_withdraws_a_pending_request(apps: Apps, s1_shift: int) -> None:
    pingan, jinxiu = apps.client("pingan"), apps.client("jinxiu")
    request = leave(pingan).json()
    assert jinxiu.post(f"/api/attendance/requests/{request['id']}/withdraw", json={}).status_code == 403
    withdrawn = pingan.post(f"/api/attendance/requests/{request['id']}/withdraw", json={})
    assert withdrawn.json()["status"] == "withdrawn"
    listed = jinxiu.get("/api/attendance/requests", params={"status": "pending"}).json()
    assert listed["count"] == 0
