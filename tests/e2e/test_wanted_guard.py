"""A wanted person registered as a guard: caught by ID number at import and at the first tap of their IC card.

The wanted-list entry (W-0001 of the demo list) has no photo, so no terminal
can match it by face. Through the whole chain: the guard is imported through
the administrator's API (a registry-sweep hit), taps their MIFARE card on a
terminal (PN532 on a pty served by its firmware mock, camera, face, outbox,
uplink) whose events go through a private Mosquitto to central's own app
(ingest, API); the police get one alert by ID number, the employer sees a
normal check-in, and the terminal showed one. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import queue
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.access import auth
from central.access.models import AuditEntry
from central.alerts.models import Alert, RegistryHit
from central.app import create_app
from central.checkins.models import Checkin
from edge.checkin import CheckinResult
from edge.config import TerminalSettings
from edge.drivers.camera import SnapshotCameraConfig
from edge.terminal import Terminal
from firmware_mocks.camera import MockCamera
from firmware_mocks.readers import create_mock
from guardpost.cli import main as guardpost
from guardpost.demo_script import faces_dir
from protocol.messages import PoliceAlert, RegistryHitAlert
from protocol.mqtt import MqttSettings
from protocol.topics import event_topic, police_alert_topic, police_registry_hit_topic, receipt_topic
from shared.face import FaceEngine, FaceSettings
from tests.edge.test_terminal import tap_until_answered
from tests.fixtures.central import Collector
from tests.fixtures.tenants import demo_settings, keys_for
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mosquitto

WANTED_NUMBER = "23010319780615341X"  # W-0001 孙立军, listed by 110105-WJ, no photo
CARD_UID = "5A17C0DE"  # the guard's IC card, as a PN532 reads it
TERMINAL = "T-S2-GATE"  # at S2 (星光大厦), jurisdiction 110105-WJ
GUARDS_CSV = (
    "编号,姓名,身份证号,用人单位,等级,保安员证号,证书发证日期,卡号\n"
    f"G-W,孙立军,{WANTED_NUMBER},C1,5,京保证2024000001,2024-01-02,{CARD_UID}\n"
).encode("utf-8-sig")


@pytest.fixture(scope="module")
def face() -> FaceEngine:
    return FaceEngine(FaceSettings())


@pytest.fixture
def central(engine: Engine, mosquitto: int, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    """Central's app with its MQTT ingest on the test's broker; a client per account (by API key)."""
    keys = keys_for(engine)
    mqtt = MqttSettings(port=mosquitto, session_expiry_s=0, reconnect_max_s=1)
    settings = demo_settings(tmp_path / "central", mqtt=mqtt, client_id=f"central-{uuid.uuid4().hex[:10]}")
    app = create_app(settings, engine=engine)
    clients = {
        user: TestClient(app, headers={auth.API_KEY_HEADER: keys[user]}) for user in ("admin", "police", "pingan")
    }
    with clients["admin"]:
        assert app.state.ingest.wait_ready(15), "central did not connect and subscribe"
        yield clients


def _tap(engine: Engine, face: FaceEngine, port: int, workdir: Path, uids: list[str]) -> list[CheckinResult]:
    """Each card tapped once on the S2 gate terminal; returns once central has stored every tap."""
    results: queue.Queue[CheckinResult] = queue.Queue()
    workdir.mkdir()
    with create_mock("pn532", link=str(workdir / "reader")) as reader, MockCamera() as camera:
        camera.show(faces_dir() / "s1" / "1.pgm")
        settings = TerminalSettings(
            terminal_id=TERMINAL,
            data_dir=workdir,
            reader={"type": "pn532", "port": reader.port},
            camera=SnapshotCameraConfig(url=camera.url),
            mqtt=MqttSettings(port=port),
            repeat_window_s=0,
        )
        terminal = Terminal(settings, face=face, on_feedback=results.put)
        terminal.start()
        try:
            answers = [tap_until_answered(reader, uid, results) for uid in uids]
            ids = [a.event.event_id for a in answers if a.event is not None]
            wait_until(lambda: _stored(engine, ids), 20, lambda: "central did not store every tap")
        finally:
            terminal.stop()
    return answers


def _stored(engine: Engine, event_ids: list[uuid.UUID]) -> bool:
    with Session(engine) as session:
        return len(session.exec(select(Checkin.event_id).where(col(Checkin.event_id).in_(event_ids))).all()) == len(
            event_ids
        )


def _sweep_from_the_command_line(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    tmp_path.mkdir()
    config = tmp_path / "central.toml"
    url = engine.url.render_as_string(hide_password=False)
    config.write_text(f"data_dir = '{tmp_path.as_posix()}'\ndatabase_url = '{url}'\n[access]\ndemo = true\n", "utf-8")
    capsys.readouterr()
    assert guardpost(["watchlist", "sweep", "--config", str(config)]) == 0
    return capsys.readouterr().out


def test_a_wanted_guard_is_caught_by_id_number_at_import_and_at_the_first_tap(
    engine: Engine,
    central: dict[str, TestClient],
    collector: Callable[[list[str]], Collector],
    mosquitto: int,
    face: FaceEngine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    police = collector(
        [police_alert_topic("110105-WJ"), police_registry_hit_topic("110105-WJ"), receipt_topic(TERMINAL)]
    )
    admin, police_api, employer = central["admin"], central["police"], central["pingan"]

    # Imported: one registry-sweep hit, told to the police; a second sweep adds none.
    imported = admin.post("/api/admin/import/guards", files={"file": ("保安员.csv", GUARDS_CSV, "text/csv")})
    assert imported.status_code == 200, imported.text
    assert imported.json()["refused"] == []
    [notice] = police.wait_for(lambda m: m.topic.endswith("/registry_hit"))
    told = RegistryHitAlert.model_validate_json(notice.payload)
    assert (told.guard_id, told.watchlist_entry_id, told.matched_by) == ("G-W", "W-0001", "id_number")
    out = _sweep_from_the_command_line(engine, tmp_path / "cli", capsys)
    assert "比中 1 人（新增 0，解除 0）" in out, out
    assert "[已知 / known] 保安员 / guard G-W 孙立军 — 布控 / entry W-0001" in out, out
    hits = police_api.get("/api/police/registry-hits").json()["data"]
    assert [(h["guard_id"], h["watchlist_entry_id"], h["matched_by"], h["status"]) for h in hits] == [
        ("G-W", "W-0001", "id_number", "open")
    ]

    # The first tap of the guard's IC card (and one of G1, a guard like any other, to compare with).
    normal, wanted = _tap(engine, face, mosquitto, tmp_path / "terminal", ["DEADBEEF", CARD_UID])
    assert normal.event is not None
    assert wanted.event is not None
    event_id = wanted.event.event_id
    assert wanted.event.face.watchlist.hit is None  # the terminal knew nothing: a normal check-in there
    assert (wanted.event.decision.outcome, wanted.feedback) == (normal.event.decision.outcome, normal.feedback)
    [message] = police.wait_for(lambda m: m.topic.endswith("/alert"))
    alert = PoliceAlert.model_validate_json(message.payload)
    assert (alert.alert_id, alert.matched_by, alert.watchlist_entry_id) == (event_id, "id_number", "W-0001")
    assert (alert.jurisdiction, alert.score) == ("110105-WJ", 1.0)

    # Delivered again: receipted again, and nothing more raised.
    police.publish(event_topic(TERMINAL), wanted.event.to_json())
    police.wait_for(lambda m: m.topic.endswith("/receipt") and str(event_id) in m.payload.decode(), count=2)
    assert len([m for m in police.seen if m.topic.endswith("/alert")]) == 1

    listed = police_api.get("/api/alerts").json()["data"]
    assert [(a["alert_id"], a["matched_by"]) for a in listed] == [(str(event_id), "id_number")]
    detail = police_api.get(f"/api/alerts/{event_id}").json()
    assert (detail["guard"]["id"], detail["guard"]["id_number"], detail["guard"]["employer_id"]) == (
        "G-W", WANTED_NUMBER, "C1"
    )  # fmt: skip
    assert police_api.get(detail["photo_url"]).headers["content-type"] == "image/jpeg"

    # The employer sees a check-in like any other, and no alert.
    day = wanted.event.occurred_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    seen = employer.get("/api/checkins", params={"date": day, "site_id": "S2"})
    assert seen.status_code == 200, seen.text
    rows = {r["event_id"]: r for r in seen.json()["data"]}
    mine, other = rows[str(event_id)], rows[str(normal.event.event_id)]
    assert mine.keys() == other.keys()
    assert mine["violations"] == other["violations"]
    assert "W-0001" not in seen.text
    assert "id_number" not in seen.text
    assert employer.get("/api/alerts").status_code == 403
    assert employer.get("/api/police/registry-hits").status_code == 403

    with Session(engine) as session:
        assert len(session.exec(select(Alert)).all()) == 1
        assert len(session.exec(select(RegistryHit)).all()) == 1
        actions = session.exec(select(AuditEntry.action, AuditEntry.target)).all()
    assert ("registry_hit.new", "G-W/W-0001") in actions
    assert ("alert.raise", str(event_id)) in actions
