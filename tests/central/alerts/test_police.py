"""The police workflow: who did what and when, the alert's detail, the regulators' overview."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from central.alerts.models import FalsePositiveDecision
from central.checkins.store import record_event
from protocol.checkin import CheckinEvent
from tests.fixtures.central import add_terminal, make_event, wanted_hit
from tests.fixtures.tenants import Apps

AT = datetime(2026, 4, 9, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def _wanted(apps: Apps, engine: Engine) -> CheckinEvent:
    event = make_event(add_terminal(engine, "S2"), card_uid="55667788", occurred_at=AT, hit=wanted_hit(score=0.77))
    record_event(apps.engine, event, data_dir=apps.data_dir, default_jurisdiction="unassigned")
    return event


def test_each_workflow_step_is_recorded_with_who_and_when(apps: Apps, engine: Engine) -> None:
    event = _wanted(apps, engine)
    police = apps.client("police")
    url = f"/api/alerts/{event.event_id}"
    assert police.post(f"{url}/status", json={"status": "acknowledged"}).json()["status"] == "acknowledged"
    assert police.post(f"{url}/status", json={"status": "dispatched", "note": "巡逻车 3"}).status_code == 200
    assert police.post(f"{url}/status", json={"status": "new"}).status_code == 409

    detail = police.get(url).json()
    assert [(a["status"], a["actor"]) for a in detail["actions"]] == [
        ("acknowledged", "police"),
        ("dispatched", "police"),
    ]
    assert detail["actions"][1]["note"] == "巡逻车 3"
    assert detail["actions"][0]["at"] <= detail["actions"][1]["at"]
    assert (detail["site_name_zh"], detail["site_timezone"], detail["score"]) == ("星光大厦", "Asia/Shanghai", 0.77)
    assert detail["watchlist"]["id_number"] == "23010319780615341X"  # police see it in clear
    audit = apps.client("admin").get("/api/audit", params={"action": "alert.status", "limit": 1000}).json()["data"]
    assert {(e["actor"], e["target"], e["detail"].split()[0]) for e in audit} >= {
        ("police", str(event.event_id), "acknowledged"),
        ("police", str(event.event_id), "dispatched"),
    }


def test_false_positive_is_recorded_by_the_administrator_too(apps: Apps, engine: Engine) -> None:
    event = _wanted(apps, engine)
    url = f"/api/alerts/{event.event_id}/status"
    refused = apps.client("admin").post(url, json={"status": "false_positive", "note": "  "})
    assert (refused.status_code, refused.json()["code"]) == (422, "alert.note_required")
    assert refused.json()["detail"].startswith("标记误报须填写说明 / ")
    response = apps.client("admin").post(url, json={"status": "false_positive", "note": "同名不同人"})
    assert response.json()["status"] == "false_positive"
    actions = apps.client("police").get(f"/api/alerts/{event.event_id}").json()["actions"]
    assert [(a["status"], a["actor"], a["note"]) for a in actions] == [("false_positive", "admin", "同名不同人")]
    with Session(apps.engine) as session:  # the decision feeds the suppression of later matches
        decision = session.get(FalsePositiveDecision, event.event_id)
    assert decision is not None
    assert (decision.decided_by, decision.guard_id) == ("admin", "G6")


def test_alerts_page_lists_the_match_in_chinese(apps: Apps, engine: Engine) -> None:
    event = _wanted(apps, engine)
    page = apps.client("police").get("/police/alerts")
    assert page.status_code == 200
    assert f'id="alert-{event.event_id}"' in page.text
    assert "孙立军" in page.text
    assert "比中告警" in page.text  # Chinese by default


def test_violations_overview_counts_per_site_and_rule(apps: Apps, engine: Engine) -> None:
    terminal = add_terminal(engine, "S2")
    for minute in (1, 2):
        revoked = make_event(terminal, card_uid="04C3D4E5", occurred_at=AT.replace(minute=minute))
        record_event(apps.engine, revoked, data_dir=apps.data_dir, default_jurisdiction="unassigned")
    rows = (
        apps.client("police")
        .get("/api/police/violations", params={"from": "2026-04-09", "to": "2026-04-09"})
        .json()["data"]
    )
    by_key = {(r["site_id"], r["code"]): r["count"] for r in rows}
    assert by_key[("S2", "CERT_REVOKED")] >= 2
    assert (
        apps.client("police")
        .get("/api/police/violations", params={"from": "2026-04-10", "to": "2026-04-09"})
        .status_code
        == 422
    )


def test_alerts_are_filtered_by_status_and_local_day(apps: Apps, engine: Engine) -> None:
    event = _wanted(apps, engine)  # 2026-04-09 10:30 Beijing time
    police = apps.client("police")

    def listed(**params: str) -> bool:
        rows = police.get("/api/alerts", params=params | {"limit": "1000"}).json()["data"]
        return str(event.event_id) in {r["alert_id"] for r in rows}

    assert listed(**{"from": "2026-04-09", "to": "2026-04-09"})
    assert not listed(to="2026-04-08")
    assert not listed(**{"from": "2026-04-10"})
    assert listed(status="new")
    assert not listed(status="closed")
    assert listed(escalated="false")
    assert not listed(escalated="true")
