"""The police alert card in headless Chromium: the site's address, and a 地图 link to Amap (高德) at the site's
coordinates when the registry has them — on a card pushed live and on the page as served."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlmodel import Session

from central.registry.models import Site
from tests.central.web.test_browser_alerts import ZHANG_WEI, _card, _match, _open_page
from tests.fixtures.browser import Live

pytestmark = pytest.mark.mosquitto


def _place(live: Live, latitude: float | None, longitude: float | None) -> None:
    with Session(live.engine) as session:
        site = session.get(Site, "S2")
        assert site is not None
        site.address, site.latitude, site.longitude = "朝阳区望京街10号", latitude, longitude
        session.add(site)
        session.commit()


def test_the_alert_card_links_to_the_site_on_amap(live: Live, browser: webdriver.Chrome) -> None:
    _place(live, 39.99609, 116.47336)
    _open_page(live, browser)
    event = _match(live)
    card = _card(browser, event.event_id)  # pushed live, drawn by the page's script

    assert card.find_element(By.CSS_SELECTOR, ".address-text").text == "朝阳区望京街10号"
    link = card.find_element(By.CSS_SELECTOR, ".map-link")
    assert link.is_displayed()
    assert link.text == "地图"
    assert link.get_attribute("target") == "_blank"
    href = str(link.get_attribute("href"))
    parts = urlsplit(href)
    assert (parts.netloc, parts.path) == ("uri.amap.com", "/marker")
    assert parse_qs(parts.query) == {"position": ["116.473360,39.996090"], "name": ["星光大厦"],
                                     "coordinate": ["wgs84"]}  # fmt: skip

    browser.refresh()  # the same card as the server renders it
    served = _card(browser, event.event_id).find_element(By.CSS_SELECTOR, ".map-link")
    assert served.get_attribute("href") == href


def test_a_site_without_coordinates_shows_its_address_and_no_map_link(live: Live, browser: webdriver.Chrome) -> None:
    _place(live, None, None)
    _open_page(live, browser)
    card = _card(browser, _match(live, ZHANG_WEI).event_id)
    assert card.find_element(By.CSS_SELECTOR, ".address-text").text == "朝阳区望京街10号"
    assert not card.find_element(By.CSS_SELECTOR, ".map-link").is_displayed()
    browser.refresh()
    card = _card(browser, _match(live, ZHANG_WEI).event_id)
    assert not card.find_element(By.CSS_SELECTOR, ".map-link").is_displayed()
