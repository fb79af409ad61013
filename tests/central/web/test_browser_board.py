"""The on-duty board in headless Chromium: who is expected, missing, late, not in order; live from the broker.

The roster (tests/fixtures/browser.py): 张伟, 李娜, 王强 (certificate revoked) on S2's day shift, 刘洋 (no
certificate) all day and never there. A tap published through Mosquitto must reach an open board within 2 s.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from central.access.models import Role
from central.access.scope import Scope
from central.checkins.live import CheckinHub
from protocol.checkin import Direction
from protocol.topics import event_topic
from tests.fixtures.browser import Live, login, open_board, shot
from tests.fixtures.central import make_event
from tests.fixtures.tenants import PASSWORDS

pytestmark = pytest.mark.mosquitto


def row_of(driver: webdriver.Chrome, site: str, name: str) -> str:
    rows = driver.find_elements(By.CSS_SELECTOR, f"#board-{site} tbody tr")
    return next(str(r.text) for r in rows if name in r.text)


def test_the_company_board_answers_who_is_missing(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    open_board(browser, f"{live.url}/board")
    counts = browser.find_element(By.ID, "board-counts").text
    assert "4 应到" in counts.replace("\n", " ")
    liu = row_of(browser, "S2", "刘洋")
    assert "未到" in liu or "待到岗" in liu  # rostered from midnight, never tapped
    assert "无保安员证" in liu  # a credential problem even without a tap
    li = row_of(browser, "S2", "李娜")
    assert "迟到 9 分钟" in li  # 08:09 against 08:00 and its grace
    assert "东门岗" in li  # her shift's post
    wang = row_of(browser, "S2", "王强")
    assert "迟到 15 分钟" in wang
    assert "保安员证已吊销" in wang
    assert "在岗" not in wang.split("保安员证已吊销")[1]  # the badge is red words, not a bare count
    zhang = row_of(browser, "S2", "张伟")
    assert "已离岗" in zhang
    assert "早退" in zhang
    assert browser.find_elements(By.CSS_SELECTOR, "#board-S2 tr[data-guard=G3] .badge.bad[title=CERT_REVOKED]")
    assert not browser.find_elements(By.ID, "board-S1")  # the firm's own site is not the company's
    # The attendance page says the same of the same rows.
    browser.get(f"{live.url}/attendance?site_id=S2")
    attendance = {
        r.get_attribute("data-guard"): r.text
        for r in browser.find_elements(By.CSS_SELECTOR, "#attendance-table tbody tr")
    }
    assert "已离岗" in attendance["G1"]
    assert "迟到 9 分钟" in attendance["G2"]
    assert "未到" in attendance["G4"] or "待到岗" in attendance["G4"]
    # The API answers the same, a page of sites at a time.
    browser.get(f"{live.url}/api/board?status=late&limit=1")
    answer = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    assert (answer["count"], answer["limit"], answer["counts"]["expected"]) == (1, 1, 4)
    rows = {r["guard_id"]: r for r in answer["data"][0]["rows"]}
    assert set(rows) == {"G2", "G3"}
    assert rows["G3"]["codes"] == ["CERT_REVOKED", "CLOCK_SKEW"] or rows["G3"]["codes"][0] == "CERT_REVOKED"
    assert rows["G2"]["presence"] == "on_post"
    assert rows["G2"]["late_minutes"] == 9
    assert rows["G2"]["post_name_zh"] == "东门岗"
    # Filters: only the missing, and only the late.
    open_board(browser, f"{live.url}/board?status=missing")
    assert "刘洋" in browser.find_element(By.ID, "board-body").text
    assert "李娜" not in browser.find_element(By.ID, "board-body").text
    open_board(browser, f"{live.url}/board?status=late&site_id=S2")
    late = browser.find_element(By.ID, "board-body").text
    assert "李娜" in late
    assert "刘洋" not in late


def test_the_firm_board_shows_its_guard_out_of_area_by_name(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "jinxiu", PASSWORDS["jinxiu"])
    open_board(browser, f"{live.url}/board")
    chen = row_of(browser, "S1", "陈静")
    assert "在岗" in chen
    assert "未排班" in chen
    thumbs = browser.find_elements(By.CSS_SELECTOR, "#board-S1 img.thumb")
    assert thumbs  # the check-in photo (and the portrait, when enrolled) beside the name
    # 陈静 also tapped at S2, a company's site the firm does not see: the firm sees her there, and only her.
    away = browser.find_element(By.ID, "board-S2")
    assert "本单位保安员在外场所" in away.text
    assert "陈静" in row_of(browser, "S2", "陈静")
    assert "自招保安越区执勤" in row_of(browser, "S2", "陈静")  # SELF_RECRUITED_OUT_OF_AREA, in words
    assert [r.get_attribute("data-guard") for r in away.find_elements(By.CSS_SELECTOR, "tbody tr")] == ["G5"]
    assert not away.find_elements(By.LINK_TEXT, "考勤明细 →")  # not the firm's site to open


def test_a_tap_reaches_an_open_board_within_two_seconds(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    open_board(browser, f"{live.url}/board?site_id=S2")
    now, seq = datetime.now(UTC), int(time.time())
    event = make_event(live.terminal, card_uid="04E5F607", occurred_at=now, direction=Direction.IN, seq=seq)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"board-test-{event.event_id.hex[:8]}")
    client.connect("127.0.0.1", live.mqtt_port)
    client.loop_start()
    try:
        started = time.monotonic()
        client.publish(event_topic(live.terminal), event.to_json(), qos=1).wait_for_publish(timeout=5)
        row = WebDriverWait(browser, 5, poll_frequency=0.05).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-event="{event.event_id}"]'))
        )
        elapsed = time.monotonic() - started
    finally:
        client.loop_stop()
        client.disconnect()
    assert elapsed < 2.0, f"tap shown after {elapsed:.2f} s"
    assert "刘洋" in row.text
    assert "在岗" in row.text  # missing no more


def test_the_live_stream_tells_each_account_only_of_its_own_taps(live: Live) -> None:
    hub = CheckinHub(live.engine)
    company, firm = Scope("pingan", Role.COMPANY, company_id="C1"), Scope("jinxiu", Role.FIRM, company_id="C2")
    hub.subscribe(company)
    event = make_event(live.terminal, card_uid="DEADBEEF", occurred_at=datetime.now(UTC), seq=int(time.time()) + 7)
    live.record(event)
    heard = hub._poll({company, firm})
    assert event.event_id in [t.event_id for t in heard[company]]
    assert heard[firm] == []  # a tap of the company's guard at the company's site: not the firm's
    assert hub._poll({company, firm}) == {}  # told once


# The company's and the firm's main pages, and pages anyone sees.
PHONE_PAGES = (
    "/board",
    "/attendance?site_id=S2",
    "/violations",
    "/guards",
    "/calendar?site_id=S2",
    "/coverage",
    "/rosters?site_id=S2",
    "/attendance/requests",
    "/attendance/requests/new?site_id=S2&guard_id=G4",
)
PHONE, DESKTOP = (375, 812), (1280, 800)


def _viewport(driver: webdriver.Chrome, size: tuple[int, int]) -> None:
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 640},
    )


def _assert_fits(driver: webdriver.Chrome, url: str, size: tuple[int, int]) -> None:
    driver.get(url)
    wide, inner = driver.execute_script("return [document.documentElement.scrollWidth, innerWidth]")
    assert wide <= inner, f"{url} at {size}: {wide} px wide in {inner} px"


def test_every_main_page_fits_a_phone_and_a_desktop(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    try:
        for size in (PHONE, DESKTOP):
            _viewport(browser, size)
            for path in (*PHONE_PAGES, "/no-such-page"):
                _assert_fits(browser, f"{live.url}{path}", size)
            if size == PHONE:  # the navigation folds behind its button, and opens
                assert not browser.find_element(By.ID, "nav-board").is_displayed()
                browser.find_element(By.ID, "nav-toggle").click()
                assert browser.find_element(By.ID, "nav-board").is_displayed()
        others = (("police", ("/police/violations", "/police/alerts")), ("admin", ("/admin", "/admin/audit")))
        for user, paths in others:
            login(browser, live.url, user, PASSWORDS[user])
            for size in (PHONE, DESKTOP):
                _viewport(browser, size)
                for path in paths:
                    _assert_fits(browser, f"{live.url}{path}", size)
        login(browser, live.url, "pingan", PASSWORDS["pingan"])
        _viewport(browser, PHONE)
        open_board(browser, f"{live.url}/board")
        shot(browser, "board-phone", full=False)
        _viewport(browser, DESKTOP)
        open_board(browser, f"{live.url}/board")
        shot(browser, "board-company", full=False)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
