"""A wanted-person match is invisible to the guard's employer, the property firm and other police.

The same taps are read twice through every list, detail, export and page an
employer can reach: once as stored (one of them a match, with its alert), once
after the match is turned into the ordinary tap it would have been without a
hit. Every answer must be the same, byte for byte (cell for cell for XLSX),
and none may name the match. The police of the jurisdiction and the
administrator still see it.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import Engine, delete, update
from sqlmodel import Session

from central.alerts import live
from central.alerts.models import Alert, AlertAction, AlertSuppression
from central.checkins.models import Checkin
from central.checkins.store import record_event
from protocol.checkin import CheckinEvent, Outcome, TerminalDecision
from tests.fixtures.central import add_terminal, make_event, wanted_hit
from tests.fixtures.tenants import OTHER_POLICE, SECOND_USER, Apps

DAY = date(2026, 4, 7)
ZONE = ZoneInfo("Asia/Shanghai")
MATCH = TerminalDecision(outcome=Outcome.ACCEPTED, code="WANTED_MATCH", message_zh="签到成功", message_en="checked in")
# Strings that would give the match away (the code, the entry, the alert wording).
TELLTALES = ("WANTED", "W-0001", "wanted", "逃犯", "alert_id")


def _tap(apps: Apps, terminal: str, card: str, hour: int, match: bool) -> CheckinEvent:
    event = make_event(terminal, card_uid=card, occurred_at=datetime(2026, 4, 7, hour, 0, tzinfo=ZONE))
    if match:
        event = event.model_copy(update={"face": _with_hit(event), "decision": MATCH})
    record_event(apps.engine, event, data_dir=apps.data_dir, default_jurisdiction="unassigned")
    return event


def _with_hit(event: CheckinEvent) -> object:
    watch = event.face.watchlist.model_copy(update={"hit": wanted_hit()})
    return event.face.model_copy(update={"watchlist": watch})


def _forget_match(engine: Engine, event: CheckinEvent) -> None:
    """The tap as it would have been without a hit: decision OK, no watchlist entry, no alert."""
    with Session(engine) as session:
        for table in (AlertAction, AlertSuppression):
            session.execute(delete(table).where(table.alert_id == event.event_id))  # type: ignore[arg-type]
        session.execute(delete(Alert).where(Alert.alert_id == event.event_id))  # type: ignore[arg-type]
        session.execute(
            update(Checkin)
            .where(Checkin.event_id == event.event_id)  # type: ignore[arg-type]
            .values(decision_code="OK", watchlist_entry_id=None, watchlist_score=None, watchlist_matched_by=None)
        )
        session.commit()


def _urls(event_ids: list[str]) -> list[str]:
    d = DAY.isoformat()
    urls = [
        f"/api/checkins?date={d}",
        f"/api/checkins?date={d}&site_id=S1",
        f"/api/checkins?date={d}&site_id=S1&guard_id=G1",
        f"/api/attendance?site_id=S1&date={d}",
        f"/api/sites/S1/on-duty?date={d}",
        "/api/sites/S1/calendar?month=2026-04",
        "/api/sites",
        "/api/violations?limit=200",
        f"/api/violations?site_id=S1&date={d}",
        "/api/violations?code=WANTED_MATCH",
        "/api/terminals",
        "/api/guards/G1",
        "/api/alerts",
        "/api/alerts/stream?since=2026-01-01T00%3A00%3A00%2B00%3A00",  # the replay, then the end of the stream
        "/api/police/violations",
        "/metrics",
        f"/api/exports/timesheet.csv?site_id=S1&date={d}",
        f"/api/exports/timesheet.csv?site_id=S1&date={d}&kind=monthly&group=guard",
        f"/api/exports/timesheet.xlsx?site_id=S1&date={d}",
        f"/api/exports/timesheet.xlsx?site_id=S1&date={d}&kind=monthly",
        f"/board?date={d}",
        "/calendar?site_id=S1&month=2026-04",
        f"/attendance?site_id=S1&date={d}",
        "/violations?site_id=S1",
        "/violations",
    ]
    return urls + [f"/api/checkins/{event_id}" for event_id in event_ids]


def _body(url: str, content: bytes, content_type: str) -> object:
    if "spreadsheetml" in content_type:  # the file's own timestamps differ; the cells must not
        book = openpyxl.load_workbook(io.BytesIO(content))
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    if url == "/api/terminals":  # the clock moves on between the two readings
        rows = json.loads(content)["data"]
        return [{k: v for k, v in row.items() if k != "silent_for_s"} for row in rows]
    return content


def _answers(apps: Apps, user: str, urls: list[str]) -> dict[str, tuple[int, object]]:
    client = apps.client(user)
    answers = {}
    for url in urls:
        response = client.get(url)
        answers[url] = (response.status_code, _body(url, response.content, response.headers.get("content-type", "")))
        if "spreadsheetml" not in response.headers.get("content-type", ""):
            for telltale in TELLTALES:
                assert telltale not in response.text or url.endswith("code=WANTED_MATCH"), (user, url, telltale)
    return answers


VIEWERS = ["pingan", "jinxiu", SECOND_USER, OTHER_POLICE]


def test_a_match_reads_like_an_ordinary_tap_for_employers_firms_and_other_police(
    apps: Apps, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "STREAM_MAX_S", 0.5)  # the stream's end comes at once, not after half a minute
    s1 = add_terminal(engine, "S1")
    ordinary = _tap(apps, s1, "DEADBEEF", 8, match=False)  # G1 of the security company C1, at C2's site S1
    matched = _tap(apps, s1, "DEADBEEF", 9, match=True)  # the same guard an hour later: a match
    own = _tap(apps, s1, "11223344", 10, match=True)  # G5 of the firm C2 itself: a match
    urls = _urls([str(e.event_id) for e in (ordinary, matched, own)])
    as_stored = {user: _answers(apps, user, urls) for user in VIEWERS}
    assert apps.client("pingan").get(f"/api/checkins/{matched.event_id}").json()["decision_code"] == "OK"

    for user, code in [("police", "WANTED_MATCH"), ("admin", "WANTED_MATCH")]:
        assert apps.client(user).get(f"/api/checkins/{matched.event_id}").json()["decision_code"] == code
        listed = apps.client(user).get("/api/checkins", params={"date": DAY.isoformat(), "site_id": "S1"}).json()
        assert [row["decision_code"] for row in listed["data"]] == ["OK", "WANTED_MATCH", "WANTED_MATCH"]

    _forget_match(engine, matched)
    _forget_match(engine, own)
    for user in VIEWERS:
        without = _answers(apps, user, urls)
        for url in urls:
            assert as_stored[user][url] == without[url], (user, url)


@pytest.mark.parametrize(
    ("score", "shown"), [(0.82, "OK"), (0.3, "FACE_MISMATCH"), (None, "CARD_UNKNOWN")], ids=["ok", "mismatch", "new"]
)
def test_the_cover_is_what_the_terminal_decides_without_the_hit(
    apps: Apps, engine: Engine, score: float | None, shown: str
) -> None:
    s2 = add_terminal(engine, "S2")
    event = make_event(s2, verify_score=score, occurred_at=datetime(2026, 4, 7, 9, 0, tzinfo=ZONE))
    if score is None:
        event = event.model_copy(update={"face": event.face.model_copy(update={"verify_threshold": None})})
    event = event.model_copy(update={"face": _with_hit(event), "decision": MATCH})
    record_event(apps.engine, event, data_dir=apps.data_dir, default_jurisdiction="unassigned")
    assert apps.client("pingan").get(f"/api/checkins/{event.event_id}").json()["decision_code"] == shown
    assert apps.client("police").get(f"/api/checkins/{event.event_id}").json()["decision_code"] == "WANTED_MATCH"
