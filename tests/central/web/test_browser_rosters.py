"""The roster page in headless Chromium: a security company makes a shift, rosters its guard on weekdays,
copies the week and sees the cells; the board then expects the guard. At phone width the page fits.

Writes ``rosters-phone.png`` (375 px wide) with the other screenshots.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.central.web.test_browser import SHOTS, text_of
from tests.central.web.test_browser_board import row_of
from tests.central.web.test_browser_coverage import PHONE, sideways_overflow
from tests.fixtures.browser import BEIJING, Live, login, open_board
from tests.fixtures.tenants import PASSWORDS

pytestmark = pytest.mark.mosquitto


def _set(driver: webdriver.Chrome, element_id: str, value: str) -> None:
    """A time or date field's value as typed (their key-by-key entry depends on the browser's locale)."""
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), value)


def _go(driver: webdriver.Chrome, by: str, what: str) -> None:
    """Click a button or link that loads a page, and wait for the new page."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(by, what).click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(old))


def _notice(driver: webdriver.Chrome) -> str:
    return str(driver.find_element(By.ID, "roster-notice").text)


def test_a_company_rosters_a_guard_copies_the_week_and_the_board_expects_him(
    live: Live, browser: webdriver.Chrome
) -> None:
    today = datetime.now(BEIJING).date()
    monday = today - timedelta(days=today.isoweekday() - 1)
    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    _go(browser, By.ID, "nav-rosters")
    Select(browser.find_element(By.ID, "site-select")).select_by_value("S3")
    _go(browser, By.CSS_SELECTOR, "#roster-filters button")
    assert "金色年华KTV ·" in browser.find_element(By.TAG_NAME, "h2").text
    assert "本周无人排班" in text_of(browser)

    browser.find_element(By.ID, "shift-name").send_keys("全日岗")
    _set(browser, "shift-starts", "00:00")
    _set(browser, "shift-ends", "23:59")
    late = browser.find_element(By.NAME, "late_grace_min")
    late.clear()
    late.send_keys("0")
    _go(browser, By.ID, "shift-submit")
    assert _notice(browser) == "班次已保存"
    assert "全日岗 00:00–23:59" in browser.find_element(By.ID, "shifts-table").text

    Select(browser.find_element(By.ID, "assign-guard")).select_by_value("G6")  # 赵磊
    Select(browser.find_element(By.ID, "assign-shift")).select_by_visible_text("全日岗 00:00–23:59")
    for weekend in ("weekday-6", "weekday-7"):  # Monday to Friday come ticked
        browser.find_element(By.ID, weekend).click()
    _set(browser, "assign-to", (monday + timedelta(days=6)).isoformat())
    _go(browser, By.ID, "assign-submit")
    assert _notice(browser) == "已排班"
    assert "全日岗" in browser.find_element(By.ID, f"cell-G6-{today}").text

    weeks = browser.find_element(By.ID, "copy-weeks")
    weeks.clear()
    weeks.send_keys("2")
    _go(browser, By.ID, "copy-submit")
    assert _notice(browser) == "已复制本周排班"
    _go(browser, By.ID, "week-next")
    next_week = browser.find_element(By.ID, "roster-week").text
    assert f"{monday + timedelta(weeks=1)} – {monday + timedelta(days=13)}" in text_of(browser)
    assert "赵磊" in next_week
    for day in range(7):
        cell = browser.find_element(By.ID, f"cell-G6-{monday + timedelta(weeks=1, days=day)}").text
        assert "全日岗 00:00–23:59" in cell
    _go(browser, By.ID, "week-next")
    assert "全日岗" in browser.find_element(By.ID, f"cell-G6-{monday + timedelta(weeks=2)}").text
    _go(browser, By.ID, "week-next")
    assert "赵磊" not in browser.find_element(By.ID, "roster-week").text  # copied for two weeks only

    open_board(browser, f"{live.url}/board?site_id=S3")
    zhao = row_of(browser, "S3", "赵磊")
    assert "未到" in zhao or "待到岗" in zhao  # rostered from midnight today, never tapped at S3


def test_the_roster_page_fits_a_phone(live: Live, browser: webdriver.Chrome) -> None:
    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        browser.get(f"{live.url}/rosters?site_id=S2")
        assert browser.execute_script("return window.innerWidth") == PHONE["width"]
        week = browser.find_element(By.ID, "roster-week").text
        assert "张伟" in week
        assert "白班 08:00–20:00" in week
        assert sideways_overflow(browser) <= 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "rosters-phone.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
