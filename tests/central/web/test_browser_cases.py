"""A case in headless Chromium across the two roles, each through its own login.

The police open a case on 王强's tap (certificate revoked, employed by 平安, C1) and on 陈静's (employed by
锦绣, C2); 平安 sees only its own, answers with text and an attachment; the police close it. Every step
shows who took it and when.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlmodel import Session, col, select

from central.access.models import AuditEntry
from central.cases.models import Case, CaseStep
from tests.fixtures.browser import Live, login
from tests.fixtures.tenants import PASSWORDS

pytestmark = pytest.mark.mosquitto

STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _violation_row(browser: webdriver.Chrome, guard: str) -> WebElement:
    rows = browser.find_elements(By.CSS_SELECTOR, "#open-violations tbody tr")
    return next(r for r in rows if guard in r.text)


def _open_case(live: Live, browser: webdriver.Chrome, guard: str) -> int:
    browser.get(f"{live.url}/cases")
    _violation_row(browser, guard).find_element(By.CSS_SELECTOR, "button").click()
    WebDriverWait(browser, 10).until(lambda d: re.search(r"/cases/\d+$", d.current_url))
    _wait_status(browser, "已立案")
    return int(browser.current_url.rsplit("/", 1)[1])


def _steps(browser: webdriver.Chrome) -> list[str]:
    return [str(li.text) for li in browser.find_elements(By.CSS_SELECTOR, "#case-steps > li")]


def _status(browser: webdriver.Chrome) -> str:
    return str(browser.find_element(By.ID, "case-status").text)


def _wait_status(browser: webdriver.Chrome, word: str) -> None:
    """Until the case page after a step shows ``word`` (the page before it goes stale on the way)."""
    wait = WebDriverWait(browser, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    wait.until(lambda d: _status(d) == word)


def test_a_case_from_violation_to_closed_across_police_and_company(
    live: Live, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    login(browser, live.url, "police", PASSWORDS["police"])
    wang = _open_case(live, browser, "王强")
    assert _status(browser) == "已立案"
    [opened] = _steps(browser)
    assert "立案" in opened
    assert "police" in opened
    assert "公安" in opened
    assert STAMP.search(opened)
    assert browser.find_elements(By.ID, "step-order")
    assert not browser.find_elements(By.ID, "step-answer")  # the company's step, not the regulator's
    chen = _open_case(live, browser, "陈静")
    browser.get(f"{live.url}/cases")
    assert not any("王强" in r.text for r in browser.find_elements(By.CSS_SELECTOR, "#open-violations tbody tr"))

    browser.get(f"{live.url}/cases/{wang}")
    order = browser.find_element(By.ID, "step-order")
    deadline = order.find_element(By.NAME, "deadline")
    browser.execute_script("arguments[0].value = '2030-06-30'", deadline)
    order.find_element(By.NAME, "note").send_keys("立即停止其上岗，15日内补办证件")
    order.find_element(By.CSS_SELECTOR, "button").click()
    _wait_status(browser, "整改中")
    ordered = _steps(browser)[1]
    assert "责令整改" in ordered
    assert "police" in ordered
    assert "2030-06-30" in ordered
    assert "立即停止其上岗" in ordered
    assert STAMP.search(ordered)

    login(browser, live.url, "pingan", PASSWORDS["pingan"])
    browser.get(f"{live.url}/cases")
    shown = {r.get_attribute("id") for r in browser.find_elements(By.CSS_SELECTOR, "#cases-table tbody tr")}
    assert shown == {f"case-{wang}"}  # not 锦绣's case
    assert not browser.find_elements(By.ID, "open-violations")  # a company opens no case
    browser.get(f"{live.url}/cases/{chen}")
    refused = browser.find_element(By.TAG_NAME, "main").text
    assert "不属于您的单位" in refused
    assert "陈静" not in browser.page_source

    browser.get(f"{live.url}/cases/{wang}")
    assert not browser.find_elements(By.ID, "step-close")
    answer = browser.find_element(By.ID, "step-answer")
    report = tmp_path / "整改报告.txt"
    report.write_text("王强已停岗，证件补办中\n", encoding="utf-8")
    answer.find_element(By.NAME, "note").send_keys("已停止王强上岗，附整改报告")
    answer.find_element(By.NAME, "attachment").send_keys(str(report))
    answer.find_element(By.CSS_SELECTOR, "button").click()
    _wait_status(browser, "已回复")
    answered = _steps(browser)[2]
    assert "整改回复" in answered
    assert "pingan" in answered
    assert "保安服务公司" in answered
    assert "整改报告.txt" in answered
    assert STAMP.search(answered)
    link = browser.find_element(By.CSS_SELECTOR, "#case-steps a").get_attribute("href")
    got = browser.execute_script(
        "return await (await fetch(arguments[0])).text()", link
    )  # the attachment, as the company's browser downloads it
    assert got == "王强已停岗，证件补办中\n"

    login(browser, live.url, "police", PASSWORDS["police"])
    browser.get(f"{live.url}/cases/{wang}")
    assert "已停止王强上岗" in browser.find_element(By.ID, "case-steps").text
    close = browser.find_element(By.ID, "step-close")
    close.find_element(By.NAME, "note").send_keys("复查属实，结案")
    close.find_element(By.CSS_SELECTOR, "button").click()
    _wait_status(browser, "已结案")
    steps = _steps(browser)
    assert len(steps) == 4
    assert "结案" in steps[3]
    assert "police" in steps[3]
    assert STAMP.search(steps[3])
    assert browser.find_elements(By.ID, "step-reopen")

    with Session(live.engine) as session:
        case = session.get(Case, wang)
        assert case is not None
        assert case.company_id == "C1"
        assert case.status == "closed"
        actors = session.exec(select(CaseStep.actor).where(CaseStep.case_id == wang).order_by(col(CaseStep.id)))
        assert list(actors) == ["police", "police", "pingan", "police"]
        audited = session.exec(select(AuditEntry.action).where(AuditEntry.target == str(wang))).all()
        assert {"case.open", "case.order", "case.answer", "case.close"} <= set(audited)


def test_a_step_refused_on_the_page_is_said_in_words_and_nothing_is_recorded(
    live: Live, browser: webdriver.Chrome
) -> None:
    login(browser, live.url, "police", PASSWORDS["police"])
    with Session(live.engine) as session:
        case_id = session.exec(select(Case.id).where(Case.guard_id == "G5")).first()
    if case_id is None:  # run on its own: open 陈静's case first
        case_id = _open_case(live, browser, "陈静")
    browser.get(f"{live.url}/cases/{case_id}")
    order = browser.find_element(By.ID, "step-order")
    browser.execute_script("arguments[0].removeAttribute('required')", order.find_element(By.NAME, "note"))
    order.find_element(By.CSS_SELECTOR, "button").click()
    error = WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "case-error"))
    assert "请填写说明" in error.text
    assert "a note is required" in error.text
    assert _status(browser) == "已立案"
    assert len(_steps(browser)) == 1
    with Session(live.engine) as session:
        assert len(session.exec(select(CaseStep).where(CaseStep.case_id == case_id)).all()) == 1

    login(browser, live.url, "jinxiu", PASSWORDS["jinxiu"])  # 陈静's employer: no answer before an order
    browser.get(f"{live.url}/cases/{case_id}")
    assert _status(browser) == "已立案"
    assert not browser.find_elements(By.CSS_SELECTOR, "form[id^=step-]")
