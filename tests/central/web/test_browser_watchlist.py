"""The watchlist editor page in headless Chromium: the police add a wanted person with a photo and push.

Writes docs/screenshots/watchlist-police.png.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import cv2
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from central.watchlist.editor import KEY_ENV
from central.watchlist.sync import generate_keys
from tests.central.web.test_browser import shot, text_of
from tests.fixtures.browser import Live, login
from tests.fixtures.faces import frame
from tests.fixtures.identity import id_number
from tests.fixtures.tenants import PASSWORDS

pytestmark = pytest.mark.mosquitto


def test_police_add_a_wanted_person_through_the_page_and_push(
    live: Live, browser: webdriver.Chrome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "wanted.jpg"
    assert cv2.imwrite(str(photo), frame(7, 1))
    generate_keys(tmp_path / "central-watchlist.pem", tmp_path / "watchlist.pub.pem")
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "central-watchlist.pem"))  # central runs in this process
    number = id_number(secrets.randbelow(10**6))

    login(browser, live.url, "police", PASSWORDS["police"])
    browser.find_element(By.ID, "nav-watchlist").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "entries-table"))
    page = text_of(browser)
    assert "布控名单" in page
    assert "孙立军" in page  # the demo entry of the jurisdiction
    assert browser.find_elements(By.ID, f"terminal-{live.terminal}")

    browser.find_element(By.ID, "f-name-zh").send_keys("赵页面")
    browser.find_element(By.ID, "f-name-en").send_keys("Zhao Yemian")
    browser.find_element(By.ID, "f-id-number").send_keys(number[:-1] + ("0" if number[-1] != "0" else "1"))
    browser.find_element(By.ID, "f-photos").send_keys(str(photo))
    browser.find_element(By.ID, "entry-submit").click()  # a mistyped check digit: refused, in Chinese first
    # (the photo stays chosen for the second try)
    form_message = browser.find_element(By.ID, "form-message")
    WebDriverWait(browser, 10).until(lambda _: form_message.get_attribute("class") == "error")
    assert form_message.text.startswith("身份证号校验位错误 / "), form_message.text
    browser.find_element(By.ID, "f-id-number").clear()
    browser.find_element(By.ID, "f-id-number").send_keys(number)
    browser.find_element(By.ID, "f-notes").send_keys("案件 B-7：经页面登记 / entered on the page")
    table = browser.find_element(By.ID, "entries-table")
    browser.find_element(By.ID, "entry-submit").click()
    try:  # saved: the page reloads with the new entry listed
        WebDriverWait(browser, 20).until(expected_conditions.staleness_of(table))
    except TimeoutException:
        pytest.fail(f"not saved: {browser.find_element(By.ID, 'form-message').text!r}")
    row = WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "#entries-table tr") if "赵页面" in r.text), None)
    )
    assert row is not None
    assert number in row.text  # police see the ID number in clear
    assert row.find_element(By.CSS_SELECTOR, "td.num").text == "1"  # one template from one photo

    browser.find_element(By.ID, "push").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "push-message").get_attribute("class") == "ok")
    message = browser.find_element(By.ID, "push-message").text
    assert "已下发到终端" in message
    assert live.terminal in message
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "watchlist-police")
