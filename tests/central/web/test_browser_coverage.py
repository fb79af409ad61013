"""The coverage page in headless Chromium at phone width: the demo registry's gaps, no sideways scrolling.

Writes ``coverage-phone.png`` (375 px wide) with the other screenshots.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.central.web.test_browser import SHOTS, text_of
from tests.fixtures.browser import Live, login
from tests.fixtures.collection import enrol_demo_collection
from tests.fixtures.tenants import PASSWORDS

pytestmark = pytest.mark.mosquitto
PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}


@pytest.fixture(scope="module")
def collected(live: Live) -> Live:
    enrol_demo_collection(live.engine)
    return live


@pytest.fixture
def phone(browser: webdriver.Chrome) -> Iterator[webdriver.Chrome]:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def sideways_overflow(driver: webdriver.Chrome) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling)."""
    width = driver.execute_script("return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    return int(width) - int(driver.execute_script("return window.innerWidth"))


def test_the_coverage_page_shows_the_gaps_at_phone_width(collected: Live, phone: webdriver.Chrome) -> None:
    live = collected
    login(phone, live.url, "admin", PASSWORDS["admin"])
    phone.get(f"{live.url}/coverage")
    assert phone.execute_script("return window.innerWidth") == PHONE["width"]
    page = text_of(phone)
    assert "采集率" in page
    c1 = phone.find_element(By.ID, "coverage-C1").text
    assert "平安卫士保安服务有限公司" in c1
    assert "20.0%" in c1
    assert "100.0%" in phone.find_element(By.ID, "coverage-C2").text
    g4 = phone.find_element(By.ID, "missing-G4").text  # 刘洋: nothing on file
    assert "刘洋" in g4
    assert "缺人像" in g4
    assert "缺指纹" in g4
    assert "缺指纹" not in phone.find_element(By.ID, "missing-G3").text  # 王强: fingerprints, no portrait
    assert not phone.find_elements(By.ID, "missing-G1")  # 张伟: both on file
    assert sideways_overflow(phone) <= 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.save_screenshot(str(SHOTS / "coverage-phone.png"))
    csv_text = phone.execute_async_script(
        "const done = arguments[0];"
        "fetch(document.getElementById('export-missing-csv').href).then(r => r.text()).then(done);"
    )
    assert "刘洋" in csv_text
    assert "人像、指纹 / portrait, fingerprints" in csv_text


# (user, text on its page, text never on it)
ROLES = [
    ("jinxiu", "锦绣物业管理有限公司", "刘洋"),  # the firm's one guard has both: nobody is missing
    ("pingan", "刘洋", "周敏"),
    ("police", "刘洋", "周敏"),  # 周敏's firm has no site in 望京
]


@pytest.mark.parametrize(("user", "sees", "never"), ROLES)
def test_each_role_finds_the_page_in_its_navigation(
    collected: Live, phone: webdriver.Chrome, user: str, sees: str, never: str
) -> None:
    live = collected
    login(phone, live.url, user, PASSWORDS[user])
    phone.find_element(By.ID, "nav-toggle").click()  # on a phone the navigation is behind the menu button
    phone.find_element(By.ID, "nav-coverage").click()
    assert phone.current_url.endswith("/coverage")
    page = text_of(phone)
    assert sees in page
    assert never not in page
    assert sideways_overflow(phone) <= 0
