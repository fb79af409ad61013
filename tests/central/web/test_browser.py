"""The dashboard in headless Chromium: each role logs in, sees its pages, and cannot reach another tenant's data.

Screenshots of the main pages are written to docs/screenshots/. The live
alerts page is timed: a wanted-person match published through the broker must
appear on the page within two seconds.
"""

from __future__ import annotations

import re
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.registry.faces import enrol_photos
from central.registry.models import Company, Site
from central.web.labels import known_codes
from guardpost.demo_script import faces_dir
from protocol.topics import event_topic
from tests.fixtures.browser import SHOTS as SHOTS  # the other browser modules take them from here
from tests.fixtures.browser import Live, face_jpeg, login, open_board
from tests.fixtures.browser import shot as shot
from tests.fixtures.central import make_event, wanted_hit
from tests.fixtures.tenants import PASSWORDS, SECOND_PASSWORD, SECOND_USER

pytestmark = pytest.mark.mosquitto


def text_of(driver: webdriver.Chrome) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def test_firm_sees_its_site_and_nothing_else(live: Live, browser: webdriver.Chrome) -> None:
    with Session(live.engine) as session:  # 陈静 enrolled centrally: her portrait shows beside the capture
        photos = [(f"{k}.pgm", (faces_dir() / "s5" / f"{k}.pgm").read_bytes()) for k in (1, 2)]
        assert enrol_photos(session, "G5", photos).templates == 2
        session.commit()
    login(browser, live.url, "jinxiu", PASSWORDS["jinxiu"])
    open_board(browser, f"{live.url}/board")
    board = text_of(browser)
    assert "今日在岗" in board
    assert "锦绣花园小区" in board
    assert "陈静" in board
    assert "张伟" not in board  # S2 is not the firm's: only its own guard's tap there shows
    browser.find_element(By.CSS_SELECTOR, "#board-S1 .photo-link").click()
    WebDriverWait(browser, 5).until(expected_conditions.visibility_of_element_located((By.ID, "photo-modal-img")))
    assert browser.execute_script("return document.getElementById('photo-modal-img').naturalWidth") > 0
    portrait = (By.CSS_SELECTOR, "#photo-modal-portrait img")
    WebDriverWait(browser, 5).until(expected_conditions.visibility_of_element_located(portrait))
    assert browser.execute_script("return document.querySelector('#photo-modal-portrait img').naturalWidth") > 0
    assert "登记照片" in browser.find_element(By.ID, "photo-modal-portrait").text
    shot(browser, "board-firm")
    browser.find_element(By.ID, "photo-modal-close").click()
    for url in ("/attendance?site_id=S2", "/calendar?site_id=S-T2", "/attendance?site_id=S-T2"):
        browser.get(f"{live.url}{url}")
        assert "未找到，或不属于您的单位" in text_of(browser), url
    browser.get(f"{live.url}/police/alerts")
    assert "无权访问此页面" in text_of(browser)
    browser.get(f"{live.url}/api/alerts")
    assert "police only" in text_of(browser)


def test_second_firm_cannot_reach_the_first(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, SECOND_USER, SECOND_PASSWORD)
    browser.get(f"{live.url}/board")
    assert "第二小区" in text_of(browser)
    assert "锦绣花园小区" not in text_of(browser)
    browser.get(f"{live.url}/api/sites/S1/on-duty")
    assert "unknown site" in text_of(browser)


def test_security_company_pages_and_language_toggle(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    browser.get(f"{live.url}/attendance?site_id=S2")
    page = text_of(browser)
    assert "张伟" in page
    assert "导出 Excel" in page
    assert "陈静" not in page  # C2's guard at S2 is not the security company's
    shot(browser, "attendance-company")
    browser.get(f"{live.url}/calendar?site_id=S2")
    assert browser.find_elements(By.CSS_SELECTOR, "#calendar .day.has")
    shot(browser, "calendar-company")
    browser.get(f"{live.url}/violations")
    assert "吊销" in text_of(browser)  # the reason of CERT_REVOKED, in Chinese
    shot(browser, "violations-company")
    browser.find_element(By.ID, "lang-toggle").click()
    assert "Violations" in text_of(browser)
    assert "Legal basis" in text_of(browser)
    assert "Wang Qiang" in text_of(browser)  # English names where they exist
    assert "Certificate revoked" in text_of(browser)
    browser.find_element(By.ID, "lang-toggle").click()
    assert "违规记录" in text_of(browser)
    browser.get(f"{live.url}/guards")
    assert "1101**********0012" in text_of(browser)
    assert "110105198503120012" not in text_of(browser)


def test_admin_sees_accounts_and_the_audit_log(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "admin", PASSWORDS["admin"])
    browser.get(f"{live.url}/admin")
    page = text_of(browser)
    assert "审计日志（只读）" in page
    assert "jinxiu" in page
    shot(browser, "admin")


def test_police_overview_and_login_page(live: Live, browser: webdriver.Chrome) -> None:
    browser.delete_all_cookies()
    browser.get(f"{live.url}/login")
    shot(browser, "login")
    login(browser, live.url, "police", PASSWORDS["police"])
    browser.get(f"{live.url}/police/violations")
    page = text_of(browser)
    assert "保安员证已吊销" in page  # CERT_REVOKED, in words
    assert "CERT_REVOKED" not in page
    assert browser.find_element(By.CSS_SELECTOR, "#overview-table [title=CERT_REVOKED]")  # the code on hover
    assert "星光大厦" in page
    assert "第二小区" not in page  # another jurisdiction
    shot(browser, "overview-police")


def test_alert_reaches_the_police_page_within_two_seconds(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "police", PASSWORDS["police"])
    browser.get(f"{live.url}/police/alerts")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "live")
    event = make_event(live.terminal, card_uid="55667788", hit=wanted_hit(score=0.81), seq=int(time.time()))
    event = event.model_copy(
        update={"occurred_at": event.occurred_at.now(event.occurred_at.tzinfo), "photo": face_jpeg("s6", 2)}
    )
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"browser-test-{event.event_id.hex[:8]}")
    client.connect("127.0.0.1", live.mqtt_port)
    client.loop_start()
    try:
        started = time.monotonic()
        client.publish(event_topic(live.terminal), event.to_json(), qos=1).wait_for_publish(timeout=5)
        card = WebDriverWait(browser, 5, poll_frequency=0.05).until(
            expected_conditions.presence_of_element_located((By.ID, f"alert-{event.event_id}"))
        )
        elapsed = time.monotonic() - started
    finally:
        client.loop_stop()
        client.disconnect()
    assert elapsed < 2.0, f"alert shown after {elapsed:.2f} s"
    assert "孙立军" in card.text
    assert "0.81" in card.text
    assert "星光大厦" in card.text
    assert "23010319780615341X" in card.text  # police see the ID number in clear
    card.find_element(By.CSS_SELECTOR, ".act-ack").click()
    WebDriverWait(browser, 5).until(lambda d: "police" in card.find_element(By.CSS_SELECTOR, ".history").text)
    assert "已确认" in card.find_element(By.CSS_SELECTOR, ".status").text
    shot(browser, "alerts-police")


# Every page a role has, as the role sees it: none may show a rule, face or fingerprint code, or a site or company id.
FIRM_AND_COMPANY = ("/attendance/requests", "/rosters", "/cases", "/reports/monthly", "/terminals")
PAGES_BY_ROLE = {
    "jinxiu": ("/board", "/calendar", "/attendance?site_id=S1", "/violations", "/guards", "/coverage")
    + (*FIRM_AND_COMPANY, "/rosters?site_id=S1"),
    "pingan": ("/board", "/calendar?site_id=S2", "/attendance?site_id=S2", "/violations", "/guards", "/coverage")
    + (*FIRM_AND_COMPANY, "/rosters?site_id=S2", "/attendance/requests/new?site_id=S2&guard_id=G4"),
    "police": ("/police/violations", "/police/alerts", "/coverage", "/cases", "/reports/monthly", "/police/watchlist"),
    "admin": ("/board", "/attendance?site_id=S2", "/violations", "/guards", "/coverage", "/police/violations")
    + ("/admin", "/admin/audit", "/admin/webhooks", "/admin/import", "/attendance/requests"),
}


def _raw_codes(engine: Engine) -> re.Pattern[str]:
    with Session(engine) as session:
        ids = set(session.exec(select(Site.id)).all()) | set(session.exec(select(Company.id)).all())
    codes = sorted(known_codes() | ids, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(c) for c in codes) + r")(?![\w-])")


def _visible_text(driver: webdriver.Chrome) -> str:
    # The audit log is a verbatim record (its details quote ids on purpose): everything else must be words.
    return str(
        driver.execute_script(
            "var b = document.body.cloneNode(true);"
            "b.querySelectorAll('#audit-table td.detail, #audit-table td.target')"
            ".forEach(function (e) { e.remove(); });"
            "document.documentElement.appendChild(b); var text = b.innerText; b.remove(); return text;"
        )
    )


def test_no_page_shows_a_raw_code(live: Live, browser: webdriver.Chrome) -> None:
    raw = _raw_codes(live.engine)
    revoked = {"zh": "保安员证已吊销", "en": "Certificate revoked"}
    seen: set[str] = set()
    for user, paths in PAGES_BY_ROLE.items():
        login(browser, live.url, user, PASSWORDS[user])
        for lang in ("zh", "en") if user == "pingan" else ("zh",):  # English: the company's pages, the most codes
            browser.add_cookie({"name": "gp_lang", "value": lang})
            for path in paths:
                browser.get(f"{live.url}{path}")
                text = _visible_text(browser)
                assert browser.find_elements(By.ID, "who"), f"{user} {path}: not a page"
                found = sorted(set(raw.findall(text)))
                assert not found, f"{user} {path} ({lang}) shows {found}"
                seen |= {lang} if revoked[lang] in text else set()
    assert seen == {"zh", "en"}  # the revoked certificate is there, in words, in both languages
