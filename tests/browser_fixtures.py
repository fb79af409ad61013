"""A live central (uvicorn, ingest on a private Mosquitto, SQLite) with demo data, and headless Chromium.

The browser is Debian's chromium driven by Selenium through the system
chromedriver; tests that need it are skipped when it is not installed (and
fail under scripts/test, which requires it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine
from sqlmodel import Session

from central.app import create_app
from central.checkins.store import record_event
from central.db.engine import make_engine
from central.demo.seed import seed_demo_registry
from central.schema import create_db
from guardpost.demo_script import faces_dir
from protocol.checkin import CheckinEvent, Direction, Photo
from protocol.mqtt import MqttSettings
from tests.brokers import free_port
from tests.central_fixtures import add_terminal, make_event, wanted_hit
from tests.tenant_fixtures import SECOND_CARD, SECOND_TERMINAL, add_second_firm, demo_settings

CHROMEDRIVER = "/usr/bin/chromedriver"
BEIJING = ZoneInfo("Asia/Shanghai")


def face_jpeg(subject: str, index: int) -> Photo:
    """A real face from the demo set, as a check-in photo."""
    image = cv2.imread(str(faces_dir() / subject / f"{index}.pgm"))
    assert image is not None, f"no demo face {subject}/{index}"
    image = cv2.resize(image, (image.shape[1] * 2, image.shape[0] * 2))
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return Photo.from_jpeg(bytes(buf.tobytes()), image.shape[1], image.shape[0])


@dataclass
class Live:
    url: str
    engine: Engine
    data_dir: Path
    mqtt_port: int
    terminal: str  # a terminal at S2 whose events go through the broker

    def record(self, event: CheckinEvent) -> None:
        record_event(self.engine, event, data_dir=self.data_dir, default_jurisdiction="unassigned")


def _today_at(hour: int, minute: int) -> datetime:
    return datetime.now(BEIJING).replace(hour=hour, minute=minute, second=0, microsecond=0)


def _shift_day(live: Live) -> None:
    """Today's taps at S1 (the firm's site), S2 and the second firm's site, with real faces."""
    s1, s2 = add_terminal(live.engine, "S1"), add_terminal(live.engine, "S2")
    taps = [
        (s2, "DEADBEEF", "s1", 7, 52, Direction.IN, None),
        (s2, "04A1B2C3", "s2", 8, 9, Direction.IN, None),
        (s2, "04C3D4E5", "s3", 8, 15, Direction.IN, None),  # certificate revoked
        (s2, "DEADBEEF", "s1", 12, 1, Direction.OUT, None),
        (s1, "11223344", "s5", 7, 58, Direction.IN, None),
        (s2, "11223344", "s5", 13, 30, Direction.IN, None),  # self-recruited guard out of area
        (SECOND_TERMINAL, SECOND_CARD, "s8", 8, 0, Direction.IN, None),
        (s2, "55667788", "s6", 9, 40, Direction.IN, wanted_hit(score=0.74)),
    ]
    for seq, (terminal, card, subject, hour, minute, direction, hit) in enumerate(taps, start=1):
        event = make_event(
            terminal, card_uid=card, occurred_at=_today_at(hour, minute), direction=direction, hit=hit, seq=seq
        )
        live.record(event.model_copy(update={"photo": face_jpeg(subject, (1, 2, 3, 5, 6)[seq % 5])}))
    for days_ago in range(1, 12):
        day = _today_at(8, 2 + days_ago) - timedelta(days=days_ago)
        live.record(make_event(s2, occurred_at=day, seq=100 + days_ago))


@pytest.fixture(scope="module", name="live")
def live_fixture(mosquitto: int) -> Iterator[Live]:
    data_dir = Path(tempfile.mkdtemp(prefix="guardpost-live-"))
    engine = make_engine(f"sqlite:///{data_dir / 'central.sqlite3'}")
    create_db(engine)
    with Session(engine) as session:
        seed_demo_registry(session)
    add_second_firm(engine)
    (data_dir / "watchlist").mkdir()
    (data_dir / "watchlist" / "W-0001.jpg").write_bytes(face_jpeg("s6", 9).jpeg())
    settings = demo_settings(
        data_dir,
        mqtt=MqttSettings(port=mosquitto, session_expiry_s=0),
        share_group=f"live-{uuid.uuid4().hex[:8]}",
        client_id=f"central-live-{uuid.uuid4().hex[:8]}",
    )
    app = create_app(settings, engine=engine)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "central did not start"
        assert time.monotonic() < deadline, "central did not start in time"
        time.sleep(0.05)  # uvicorn offers no start event to wait on
    assert app.state.ingest.wait_ready(10), "ingest did not subscribe"
    live = Live(f"http://127.0.0.1:{port}", engine, data_dir, mosquitto, add_terminal(engine, "S2"))
    _shift_day(live)
    yield live
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[webdriver.Chrome]:
    if not Path(CHROMEDRIVER).exists():
        if os.environ.get("GUARDPOST_REQUIRE_SERVICES"):
            pytest.fail("chromium-driver not installed: apt-get install -y chromium chromium-driver")
        pytest.skip("chromium-driver not installed")
    profile = tempfile.mkdtemp(prefix="guardpost-chromium-")
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", f"--user-data-dir={profile}", "--lang=zh-CN"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def login(driver: webdriver.Chrome, base: str, username: str, password: str) -> None:
    """Log in through the form (after logging out whoever was logged in)."""
    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.ID, "who")))
