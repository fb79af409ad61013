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
from sqlmodel import Session, select

from central.alerts.models import Alert, AlertAction, AlertStatus, RegistryHit
from guardpost.police_feed import PoliceFeed
from protocol.checkin import CheckinEvent
from protocol.mqtt import MqttSettings
from tests.fixtures.browser import Live, face_jpeg, login
from tests.fixtures.central import make_event, wanted_hit
from tests.fixtures.tenants import PASSWORDS

pytestmark = pytest.mark.mosquitto

# Demo guards G6 and G1. Once a match of 赵磊 is marked false positive, later face matches of him are
# stored already decided: the last test takes 张伟's card.
ZHAO_LEI, ZHANG_WEI = "55667788", "DEADBEEF"
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


def _match(live: Live, card_uid: str = ZHAO_LEI) -> CheckinEvent:
    """A wanted-person match of the card's holder, stored now (the page hears of it from the database)."""
    event = make_event(live.terminal, card_uid=card_uid, hit=wanted_hit(score=0.83), seq=int(time.time() * 1000))
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


def test_a_registered_guard_found_on_the_list_appears_at_once(live: Live, browser: webdriver.Chrome) -> None:
    _open_page(live, browser)
    browser.execute_script(STUB_NOTIFICATION)
    with Session(live.engine) as session:  # as a registry sweep records it (central.alerts.sweep)
        hit = RegistryHit(guard_id="G4", watchlist_entry_id="W-0001", jurisdiction="110105-WJ")
        session.add(hit)
        session.commit()
        session.refresh(hit)
    row = WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda d: d.find_element(By.ID, f"hit-{hit.id}"))
    assert "刘洋" in row.text
    assert "平安卫士保安服务有限公司" in row.text  # her employer
    assert "孙立军" in row.text
    assert browser.find_element(By.ID, "registry-hits").is_displayed()
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return window.shown.length") == 1)
    assert "刘洋" in browser.execute_script("return window.shown[0][0]")


def test_filters_by_status(live: Live, browser: webdriver.Chrome) -> None:
    _open_page(live, browser)
    browser.get(f"{live.url}/police/alerts?status=false_positive")
    cards = browser.find_elements(By.CSS_SELECTOR, "#alerts .alert-card")
    assert cards
    assert {c.get_attribute("data-status") for c in cards} == {"false_positive"}
    browser.get(f"{live.url}/police/alerts?status=new&to=2020-01-02")
    assert browser.find_elements(By.ID, "no-alerts")


def test_an_alert_nobody_acknowledges_is_escalated_and_sent_again(
    live: Live, browser: webdriver.Chrome, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_page(live, browser)
    browser.execute_script(STUB_NOTIFICATION)
    with PoliceFeed(MqttSettings(port=live.mqtt_port), "110105-WJ") as feed:
        event = _match(live, ZHANG_WEI)
        card = _card(browser, event.event_id)
        assert card.get_attribute("data-status") == "new"
        assert not card.find_element(By.CSS_SELECTOR, ".escalated-badge").is_displayed()
        monkeypatch.setattr(live.settings.alerts, "escalate_after_min", 0.01)  # 0.6 s
        WebDriverWait(browser, 10).until(lambda _: "escalated" in str(card.get_attribute("class")))
        # Sent again on the police topic (other alerts left new by earlier tests are escalated as well).
        sent = WebDriverWait(browser, 10).until(
            lambda _: next((a for a in feed.alerts(live.terminal) if a.alert_id == event.event_id), None)
        )
    assert card.find_element(By.CSS_SELECTOR, ".escalated-badge").is_displayed()
    assert card.get_attribute("data-status") == "new"
    assert "已上报 police-lead" in card.find_element(By.CSS_SELECTOR, ".history").text  # the demo supervisor
    assert sent is not None
    assert sent.escalated_at is not None
    titles = [t for t, _body in browser.execute_script("return window.shown")]
    assert titles[-1].startswith("已升级")  # noticed again, as an escalation
    with Session(live.engine) as session:
        steps = session.exec(select(AlertAction).where(AlertAction.alert_id == event.event_id)).all()
    assert [s.status for s in steps] == ["escalated"]

    login(browser, live.url, "police-lead", "police-lead-demo")  # the supervisor it went to
    browser.get(f"{live.url}/police/alerts?escalated=true")
    assert "值班领导" in browser.find_element(By.ID, "supervisor").text
    cards = browser.find_elements(By.CSS_SELECTOR, "#alerts .alert-card")
    assert f"alert-{event.event_id}" in {c.get_attribute("id") for c in cards}
    assert all("escalated" in str(c.get_attribute("class")) for c in cards)
