"""The police alerts page in headless Chromium: a new match draws attention, the workflow refuses what it must.

The browser's Notification is replaced in the page before the alert arrives, so
that the test sees what the page asked for; the beep is counted by the page.
"""

from __future__ import annotations

import time
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlmodel import Session

from central.alerts.models import Alert, AlertStatus
from protocol.checkin import CheckinEvent
from tests.fixtures.browser import Live, face_jpeg, login
from tests.fixtures.central import make_event, wanted_hit
from tests.fixtures.tenants import PASSWORDS

pytestmark = pytest.mark.mosquitto

STUB_NOTIFICATION = """
window.shown = [];
window.Notification = function (title, options) { window.shown.push([title, options.body]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def _open_page(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "police", PASSWORDS["police"])
    browser.get(f"{live.url}/police/alerts")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "live")


def _match(live: Live) -> CheckinEvent:
    """A wanted-person match of 赵磊's card, stored now (the page hears of it from the database)."""
    event = make_event(live.terminal, card_uid="55667788", hit=wanted_hit(score=0.83), seq=int(time.time() * 1000))
    event = event.model_copy(
        update={"occurred_at": event.occurred_at.now(event.occurred_at.tzinfo), "photo": face_jpeg("s6", 3)}
    )
    live.record(event)
    return event


def _card(browser: webdriver.Chrome, event_id: uuid.UUID) -> WebElement:
    return WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda d: d.find_element(By.ID, f"alert-{event_id}"))


def _error(browser: webdriver.Chrome, card: WebElement) -> str:
    box = card.find_element(By.CSS_SELECTOR, ".card-error")
    WebDriverWait(browser, 5).until(lambda _: box.is_displayed())
    return str(box.text)


def test_a_new_match_sounds_notifies_and_changes_the_title(live: Live, browser: webdriver.Chrome) -> None:
    _open_page(live, browser)
    browser.execute_script(STUB_NOTIFICATION)
    title = browser.title
    event = _match(live)
    card = _card(browser, event.event_id)
    assert "孙立军" in card.text
    assert "赵磊" in card.find_element(By.CSS_SELECTOR, ".holder").text  # whose card it was, as registered
    assert card.find_element(By.CSS_SELECTOR, ".employer").text == "平安卫士保安服务有限公司"
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return window.shown.length") == 1)
    shown = browser.execute_script("return window.shown[0]")
    assert "孙立军" in shown[0]
    assert "星光大厦" in shown[1]
    assert browser.execute_script("return window.guardpostBeeps") == 1
    WebDriverWait(browser, 3).until(lambda d: "1 条新告警" in d.title)
    assert [b.is_enabled() for b in card.find_elements(By.CSS_SELECTOR, ".actions button")] == [
        True,  # 确认
        False,  # 已出警: only after 确认
        False,  # 结案
        True,  # 误报
    ]
    card.find_element(By.CSS_SELECTOR, ".act-ack").click()  # acting on the page is looking at it
    WebDriverWait(browser, 3).until(lambda d: d.title == title)
    WebDriverWait(browser, 5).until(lambda _: card.get_attribute("data-status") == "acknowledged")
    assert card.find_element(By.CSS_SELECTOR, ".act-dispatch").is_enabled()
    assert not card.find_element(By.CSS_SELECTOR, ".act-ack").is_enabled()

    browser.find_element(By.ID, "mute").click()  # muted, for this user, across reloads
    assert browser.execute_script("return localStorage.getItem('guardpost.alerts.muted.police')") == "1"
    _open_page(live, browser)
    assert "关" in browser.find_element(By.ID, "mute").text
    _card(browser, _match(live).event_id)
    assert browser.execute_script("return window.guardpostBeeps || 0") == 0
    browser.find_element(By.ID, "mute").click()


def test_an_invalid_step_and_a_bare_false_positive_are_refused_on_the_card(
    live: Live, browser: webdriver.Chrome
) -> None:
    _open_page(live, browser)
    event = _match(live)
    card = _card(browser, event.event_id)
    dispatch = card.find_element(By.CSS_SELECTOR, ".act-dispatch")
    assert not dispatch.is_enabled()
    browser.execute_script("arguments[0].disabled = false", dispatch)  # as on a page gone stale
    dispatch.click()
    assert "不能改为「已出警」" in _error(browser, card)
    assert card.get_attribute("data-status") == "new"

    card.find_element(By.CSS_SELECTOR, ".act-fp").click()
    assert "标记误报须填写说明" in _error(browser, card)
    with Session(live.engine) as session:
        assert session.get(Alert, event.event_id).status == AlertStatus.NEW  # type: ignore[union-attr]

    card.find_element(By.CSS_SELECTOR, ".note").send_keys("持卡人与照片不符，系同事代打卡")
    card.find_element(By.CSS_SELECTOR, ".act-fp").click()
    WebDriverWait(browser, 5).until(lambda _: card.get_attribute("data-status") == "false_positive")
    assert not card.find_element(By.CSS_SELECTOR, ".card-error").is_displayed()
    assert "系同事代打卡" in card.find_element(By.CSS_SELECTOR, ".history").text
    assert not any(b.is_enabled() for b in card.find_elements(By.CSS_SELECTOR, ".actions button"))


def test_filters_by_status(live: Live, browser: webdriver.Chrome) -> None:
    _open_page(live, browser)
    browser.get(f"{live.url}/police/alerts?status=false_positive")
    cards = browser.find_elements(By.CSS_SELECTOR, "#alerts .alert-card")
    assert cards
    assert {c.get_attribute("data-status") for c in cards} == {"false_positive"}
    browser.get(f"{live.url}/police/alerts?status=new&to=2020-01-02")
    assert browser.find_elements(By.ID, "no-alerts")
