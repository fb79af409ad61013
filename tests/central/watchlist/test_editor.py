"""The watchlist editor's API: add, change, remove (each a new version, each audited), scoping, and push.

Photos are real ORL faces; a push goes through a private Mosquitto and the
terminal's own ``apply_update`` must accept what arrives.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central.access import auth
from central.api import watchlist as watchlist_api
from central.app import create_app
from central.registry.terminals import record_status
from central.watchlist import editor as crud_watchlist
from central.watchlist.sync import generate_keys
from edge.watchlist import Watchlist
from edge.watchlist_sync import apply_update, load_public_key
from protocol.messages import TerminalStatus
from protocol.mqtt import MqttSettings
from protocol.topics import cmd_topic
from tests.fixtures.brokers import free_port
from tests.fixtures.central import Collector, add_terminal
from tests.fixtures.faces import frame
from tests.fixtures.identity import id_number
from tests.fixtures.tenants import (
    OTHER_POLICE,
    PASSWORDS,
    SECOND_TERMINAL,
    USERS,
    add_second_firm,
    demo_settings,
    keys_for,
)

JURISDICTION, OTHER_JURISDICTION = "110105-WJ", "110106-XX"


@dataclass
class Editor:
    engine: Engine
    data_dir: Path
    clients: dict[str, TestClient]
    public_key_file: Path
    mqtt_port: int

    def client(self, username: str) -> TestClient:
        return self.clients[username]


def _jpeg(image: np.ndarray[Any, np.dtype[np.uint8]]) -> str:
    ok, buffer = cv2.imencode(".jpg", image)
    assert ok
    return base64.b64encode(buffer.tobytes()).decode()


def face(person: int, shot: int) -> str:
    """An ORL face on a camera-sized frame, as a base64 JPEG."""
    return _jpeg(frame(person, shot))


def no_face() -> str:
    return _jpeg(np.full((480, 640, 3), 128, dtype=np.uint8))


def new_id_number() -> str:
    return id_number(secrets.randbelow(10**6))


def seq(version: str) -> int:
    return int(version[1:].split(".")[0])


def _app(engine: Engine, data_dir: Path, mqtt_port: int) -> dict[str, TestClient]:
    settings = demo_settings(data_dir, mqtt=MqttSettings(port=mqtt_port, session_expiry_s=0))
    app = create_app(settings, engine=engine, run_ingest=False)
    keys = keys_for(engine)
    return {user: TestClient(app, headers={auth.API_KEY_HEADER: keys[user]}) for user in USERS}


@pytest.fixture(name="editor")
def editor_fixture(engine: Engine, tmp_path: Path, mosquitto: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Editor]:
    """The app on the seeded database, central's MQTT on the private broker, a signing key configured."""
    add_second_firm(engine)
    private, public = tmp_path / "central-watchlist.pem", tmp_path / "watchlist.pub.pem"
    generate_keys(private, public)
    monkeypatch.setenv(crud_watchlist.KEY_ENV, str(private))
    clients = _app(engine, tmp_path, mosquitto)
    with clients["admin"]:
        yield Editor(engine, tmp_path, clients, public, mosquitto)


def add(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name_zh": "测试在逃", "id_number": new_id_number(), "notes": "案件 T-1", "photos": [face(1, 1)]} | fields
    response = client.post("/api/watchlist", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def version(editor: Editor) -> str | None:
    value: str | None = editor.client("admin").get("/api/watchlist/sync/status").json()["version"]
    return value


def audit(editor: Editor, action: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = editor.client("admin").get("/api/audit", params={"action": action}).json()["data"]
    return rows


def test_add_change_remove_each_make_a_version_and_are_audited(editor: Editor) -> None:
    police = editor.client("police")
    number = new_id_number()
    added = add(police, name_zh="韩测试", id_number=number, photos=[face(2, 1), face(2, 3)])
    entry = added["entry"]
    assert (entry["jurisdiction"], entry["templates"], entry["id_number"]) == (JURISDICTION, 2, number)
    assert added["version"] == version(editor)
    twice = police.post("/api/watchlist", json={"name_zh": "重复", "id_number": number.lower(), "photos": [face(2, 4)]})
    assert twice.status_code == 409  # one entry per ID number, whatever the case of its X
    listed = {e["id"]: e for e in police.get("/api/watchlist").json()["data"]}
    assert listed[entry["id"]]["id_number"] == number  # police see it in clear
    photo = police.get(entry["photo_url"])
    assert (photo.status_code, photo.headers["content-type"]) == (200, "image/jpeg")

    changed = police.patch(f"/api/watchlist/{entry['id']}", json={"notes": "已改 / changed", "name_en": "Han"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["entry"]["notes"], changed.json()["entry"]["templates"]) == ("已改 / changed", 2)
    rephotographed = police.patch(f"/api/watchlist/{entry['id']}", json={"photos": [face(2, 4)]}).json()
    assert rephotographed["entry"]["templates"] == 1
    assert police.patch(f"/api/watchlist/{entry['id']}", json={}).status_code == 422  # nothing to change

    removed = police.delete(f"/api/watchlist/{entry['id']}")
    assert removed.status_code == 200
    assert removed.json()["entry"] is None
    versions = [added["version"], changed.json()["version"], rephotographed["version"], removed.json()["version"]]
    assert [seq(v) for v in versions] == sorted({seq(v) for v in versions})  # each change a newer version
    assert police.get(f"/api/watchlist/{entry['id']}").status_code == 404
    assert not (editor.data_dir / "watchlist" / f"{entry['id']}.jpg").exists()

    for action, detail_starts in (("watchlist.add", versions[0]), ("watchlist.remove", versions[3])):
        rows = [r for r in audit(editor, action) if r["target"] == entry["id"]]
        assert [(r["actor"], r["detail"].split()[0]) for r in rows] == [("police", detail_starts)]
    updates = [r["detail"] for r in audit(editor, "watchlist.update") if r["target"] == entry["id"]]
    assert sorted(updates) == sorted([f"{versions[1]} changed=name_en,notes", f"{versions[2]} changed=photos"])
    assert all(number not in r["detail"] for r in audit(editor, "watchlist.add"))  # masked in the log


def test_a_photo_without_a_usable_face_is_refused_with_its_reason(editor: Editor) -> None:
    police = editor.client("police")
    before, count = version(editor), len(police.get("/api/watchlist").json()["data"])
    body = {"name_zh": "无脸", "photos": [no_face()]}
    refused = police.post("/api/watchlist", json=body)
    assert refused.status_code == 422
    assert "未检测到人脸 / " in refused.json()["detail"]
    assert "no face found" in refused.json()["detail"]
    second = police.post("/api/watchlist", json=body | {"photos": [face(3, 1), no_face()]})
    assert second.status_code == 422
    assert "photo 2" in second.json()["detail"]
    garbage = police.post("/api/watchlist", json=body | {"photos": [base64.b64encode(b"not a jpeg").decode()]})
    assert garbage.status_code == 422
    assert "不是可读取的图片" in garbage.json()["detail"]
    assert (version(editor), len(police.get("/api/watchlist").json()["data"])) == (before, count)
    # A cross-site HTML form cannot send JSON: a form-encoded body is refused.
    form = police.post(
        "/api/watchlist", content=b"name_zh=x", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 422


def test_other_jurisdictions_and_employers_cannot_edit(editor: Editor) -> None:
    entry = add(editor.client("police"))["entry"]
    url = f"/api/watchlist/{entry['id']}"
    other = editor.client(OTHER_POLICE)
    assert entry["id"] not in {e["id"] for e in other.get("/api/watchlist").json()["data"]}
    assert other.patch(url, json={"notes": "x"}).status_code == 404
    assert other.delete(url).status_code == 404
    assert other.post("/api/watchlist", json={"name_zh": "越权", "jurisdiction": JURISDICTION,
                                              "photos": [face(4, 1)]}).status_code == 403  # fmt: skip
    terminals = {t["terminal_id"] for t in other.get("/api/watchlist/sync/status").json()["terminals"]}
    assert SECOND_TERMINAL in terminals
    assert "T-S2-GATE" not in terminals
    for user in ("pingan", "jinxiu", "firm2"):
        client = editor.client(user)
        assert client.post("/api/watchlist", json={"name_zh": "x", "photos": [face(4, 1)]}).status_code == 403
        assert client.patch(url, json={"notes": "x"}).status_code == 403
        assert client.delete(url).status_code == 403
        assert client.get("/api/watchlist/sync/status").status_code == 403
        assert client.post("/api/watchlist/sync/push").status_code == 403
        assert client.get("/police/watchlist").status_code == 403
    assert editor.client("police").get(url).json()["notes"] == entry["notes"]  # untouched
    admin = editor.client("admin")
    assert admin.post("/api/watchlist", json={"name_zh": "无辖区", "photos": [face(4, 1)]}).status_code == 422
    assert admin.patch(url, json={"notes": "管理员改"}).status_code == 200


def test_the_page_lists_entries_and_terminals_in_chinese_and_english(editor: Editor) -> None:
    police = editor.client("police")
    entry = add(police, name_zh="页测试")["entry"]
    page = police.get("/police/watchlist")
    assert page.status_code == 200
    assert all(text in page.text for text in ("布控名单", "页测试", entry["id_number"], 'id="terminal-T-S2-GATE"'))
    assert any(r["target"] == JURISDICTION and "editor page" in r["detail"] for r in audit(editor, "watchlist.list"))
    police.cookies.set("gp_lang", "en")
    try:
        assert "Push to terminals" in police.get("/police/watchlist").text
    finally:
        police.cookies.delete("gp_lang")


def test_session_writes_need_the_csrf_token(editor: Editor) -> None:
    with TestClient(editor.client("admin").app) as browser_like:
        login = browser_like.post("/api/auth/login", json={"username": "police", "password": PASSWORDS["police"]})
        assert login.status_code == 200
        body = {"name_zh": "令牌测试", "photos": [face(8, 1)]}
        refused = browser_like.post("/api/watchlist", json=body)
        assert refused.status_code == 403
        assert browser_like.post("/api/watchlist/sync/push").status_code == 403
        token = {"X-CSRF-Token": login.headers["X-CSRF-Token"]}
        added = browser_like.post("/api/watchlist", json=body, headers=token)
        assert added.status_code == 201, added.text
        assert browser_like.delete(f"/api/watchlist/{added.json()['entry']['id']}").status_code == 403
        assert browser_like.delete(f"/api/watchlist/{added.json()['entry']['id']}", headers=token).status_code == 200


def _drain(collector: Collector, seconds: float = 0.5) -> None:
    with contextlib.suppress(AssertionError):  # nothing more arrives, as expected
        collector.wait_for(lambda m: False, timeout=seconds)


def test_push_sends_signed_updates_the_terminal_accepts(
    editor: Editor, collector: Callable[[list[str]], Collector]
) -> None:
    police, public = editor.client("police"), load_public_key(editor.public_key_file)
    terminal = add_terminal(editor.engine, "S2")
    listener = collector([cmd_topic(terminal), cmd_topic(SECOND_TERMINAL)])
    entry = add(police, name_zh="推送测试", photos=[face(5, 1)])["entry"]

    first = police.post("/api/watchlist/sync/push", json={})
    assert first.status_code == 200, first.text
    sent = {s["terminal_id"]: s for s in first.json()["sent"]}
    assert sent[terminal]["kind"] == "full"
    assert SECOND_TERMINAL not in sent
    message = listener.wait_for(lambda m: m.topic == cmd_topic(terminal))[0]
    held = apply_update(Watchlist.empty(), bytes(message.payload), public)
    assert held.version == first.json()["version"] == version(editor)
    assert {e.entry_id for e in held.entries} >= {entry["id"], "W-0001"}

    record_status(editor.engine, TerminalStatus(terminal_id=terminal, online=True, watchlist_version=held.version))
    states = {t["terminal_id"]: t for t in police.get("/api/watchlist/sync/status").json()["terminals"]}
    assert states[terminal]["state"] == "current"
    police.patch(f"/api/watchlist/{entry['id']}", json={"notes": "第二版"})
    states = {t["terminal_id"]: t for t in police.get("/api/watchlist/sync/status").json()["terminals"]}
    assert states[terminal]["state"] == "behind"

    second = police.post("/api/watchlist/sync/push").json()
    assert {s["terminal_id"]: s["kind"] for s in second["sent"]}[terminal] == "incremental"
    message = listener.wait_for(lambda m: m.topic == cmd_topic(terminal), count=2)[1]
    newer = apply_update(held, bytes(message.payload), public)
    assert newer.version == second["version"]
    assert [e.note for e in newer.entries if e.entry_id == entry["id"]] == ["第二版"]
    _drain(listener)
    assert not [m for m in listener.seen if m.topic == cmd_topic(SECOND_TERMINAL)]  # another jurisdiction's
    pushes = [r for r in audit(editor, "watchlist.push") if r["actor"] == "police"]
    assert {r["detail"].split()[0] for r in pushes} >= {first.json()["version"], second["version"]}


def test_push_without_a_key_or_a_broker_says_so(
    editor: Editor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    police = editor.client("police")
    add(police, photos=[face(6, 1)])
    monkeypatch.delenv(crud_watchlist.KEY_ENV)
    no_key = police.post("/api/watchlist/sync/push")
    assert no_key.status_code == 409
    assert crud_watchlist.KEY_ENV in no_key.json()["detail"]
    monkeypatch.setenv(crud_watchlist.KEY_ENV, str(tmp_path / "missing.pem"))
    assert police.post("/api/watchlist/sync/push").status_code == 409

    monkeypatch.setenv(crud_watchlist.KEY_ENV, str(tmp_path / "central-watchlist.pem"))
    monkeypatch.setattr(watchlist_api, "PUBLISH_TIMEOUT_S", 1.0)
    before = police.get("/api/watchlist/sync/status").json()["terminals"]
    unreachable = _app(editor.engine, tmp_path / "down", free_port())["police"]
    with unreachable:
        down = unreachable.post("/api/watchlist/sync/push")
    assert down.status_code == 502
    assert "not delivered" in down.json()["detail"]
    assert police.get("/api/watchlist/sync/status").json()["terminals"] == before  # nothing recorded as pushed


def test_refusals_say_what_is_wrong_in_chinese_first(editor: Editor) -> None:
    police = editor.client("police")
    bad = "110105198503120013"  # 110105198503120012 with its check digit off by one
    refused = police.post("/api/watchlist", json={"name_zh": "校验", "id_number": bad, "photos": [face(2, 1)]})
    assert refused.status_code == 422
    assert [d["msg"] for d in refused.json()["detail"]] == [
        "身份证号校验位错误 / the ID number's check digit is wrong (a digit mistyped?)"
    ]
    empty = police.post("/api/watchlist", json={"name_zh": "", "photos": []}).json()["detail"]
    assert [d["msg"].split(" / ")[0] for d in empty] == ["姓名：至少 1 个字符", "照片：至少 1 项"]
    assert all(bad not in d["msg"] for d in refused.json()["detail"])


def test_a_list_without_a_version_says_so_and_gets_one_at_the_first_push(editor: Editor) -> None:
    police = editor.client("police")
    assert version(editor) is None  # the seeded entry was stored without a version
    page = police.get("/police/watchlist").text
    assert '<dd class="mono" id="wl-version">尚未生成版本（下发时生成）</dd>' in page  # not "尚无名单"
    assert '<button id="push" class="primary" >' in page  # enabled
    pushed = police.post("/api/watchlist/sync/push", json={})
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["version"] == version(editor)
    assert seq(pushed.json()["version"]) == 1


def test_push_uses_the_configured_signing_key(editor: Editor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crud_watchlist.KEY_ENV)  # the demo's way: signing_key_file, no environment
    private, public = tmp_path / "own.pem", tmp_path / "own.pub.pem"
    generate_keys(private, public)
    settings = demo_settings(tmp_path, mqtt=MqttSettings(port=editor.mqtt_port, session_expiry_s=0),
                             signing_key_file=private)  # fmt: skip
    app = create_app(settings, engine=editor.engine, run_ingest=False)
    with TestClient(app, headers={auth.API_KEY_HEADER: keys_for(editor.engine)["police"]}) as police:
        pushed = police.post("/api/watchlist/sync/push", json={})
    assert pushed.status_code == 200, pushed.text
