"""Leave in headless Chromium across the two parties: the security company files it from the attendance page,
the property firm approves it, and the absence becomes 请假 on the attendance page and the board."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlmodel import Session

from central.registry.models import ServiceContract
from central.registry.roster import Shift, ShiftAssignment
from central.registry.upsert import upsert
from tests.fixtures.browser import Live, login, shot
from tests.fixtures.tenants import PASSWORDS

pytestmark = pytest.mark.mosquitto


def yesterday() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)


@pytest.fixture(scope="module")
def s1_roster(live: Live) -> None:
    """平安卫士 (C1) serves 锦绣花园小区 (S1, managed by 锦绣物业 C2): 张伟 on its day shift for the last week."""
    with Session(live.engine) as session:
        upsert(session, ServiceContract, {"company_id": "C1", "site_id": "S1", "valid_from": date(2026, 1, 1),
                                          "valid_to": date(2027, 12, 31), "contract_number": "PA-2026-S1"})  # fmt: skip
        shift, _ = upsert(session, Shift, {"site_id": "S1", "name_zh": "白班", "starts": time(8), "ends": time(20)})
        session.flush()
        shift_id: int = shift.id
        upsert(session, ShiftAssignment, {"shift_id": shift_id, "guard_id": "G1",
                                          "valid_from": yesterday() - timedelta(days=6)})  # fmt: skip
        session.commit()


def g1_status(driver: webdriver.Chrome, live: Live) -> str:
    driver.get(f"{live.url}/attendance?site_id=S1&date={yesterday().isoformat()}")
    return str(driver.find_element(By.CSS_SELECTOR, "#attendance-table tr[data-guard=G1] .status").text)


def test_a_leave_filed_by_the_company_and_approved_by_the_firm_removes_the_absence(
    live: Live, browser: webdriver.Chrome, s1_roster: None
) -> None:
    wait = WebDriverWait(browser, 10)
    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    assert "缺勤" in g1_status(browser, live)
    browser.find_element(By.CSS_SELECTOR, "#attendance-table tr[data-guard=G1] a.request-link").click()

    wait.until(expected_conditions.presence_of_element_located((By.ID, "request-form")))
    assert Select(browser.find_element(By.ID, "request-guard")).first_selected_option.text.startswith("张伟")
    assert browser.find_element(By.ID, "request-first-day").get_attribute("value") == yesterday().isoformat()
    assert not browser.find_element(By.ID, "request-at").is_displayed()  # a correction's fields hide for leave
    Select(browser.find_element(By.ID, "request-leave-kind")).select_by_value("sick")
    browser.find_element(By.ID, "request-reason").send_keys("发烧就医，附医院证明")
    browser.find_element(By.ID, "request-submit").click()

    row = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#requests-table tbody tr")))
    assert "待审批" in row.text
    assert "病假" in row.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#requests-table button[id^=approve-]")  # not its own
    assert "缺勤" in g1_status(browser, live)  # nothing changes before it is approved

    login(browser, live.url, "jinxiu", PASSWORDS["jinxiu"])
    browser.get(f"{live.url}/attendance/requests?status=pending")
    browser.find_element(By.CSS_SELECTOR, "#requests-table button[id^=reject-]").click()
    error = wait.until(expected_conditions.presence_of_element_located((By.ID, "request-error")))
    assert "驳回请填写原因" in error.text  # a rejection needs its reason, in words
    browser.find_element(By.CSS_SELECTOR, "#requests-table button[id^=approve-]").click()
    first_row = (By.CSS_SELECTOR, "#requests-table tbody tr")
    wait.until(expected_conditions.text_to_be_present_in_element(first_row, "已批准"))  # the page after the post
    assert "jinxiu 处理于" in browser.find_element(*first_row).text
    shot(browser, "requests")

    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    status = g1_status(browser, live)
    assert "请假" in status
    assert "缺勤" not in status


def test_a_column_header_sorts_the_rows_shown_and_a_second_click_reverses(
    live: Live, browser: webdriver.Chrome
) -> None:
    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    browser.get(f"{live.url}/attendance?site_id=S2")
    header = browser.find_element(By.XPATH, "//table[@id='attendance-table']/thead//th[text()='签到']")

    def first_ins() -> list[str]:
        cells = browser.find_elements(By.CSS_SELECTOR, "#attendance-table tbody tr td:nth-child(3)")
        return [c.text for c in cells]

    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = first_ins()
    times = [t for t in ascending if t and t != "—"]
    assert len(times) >= 3
    assert times == sorted(times)
    assert ascending[-1] in ("", "—")  # rows without a tap in go last
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    descending = first_ins()
    assert [t for t in descending if t and t != "—"] == sorted(times, reverse=True)
    assert descending[-1] in ("", "—")
