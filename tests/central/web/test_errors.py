"""Refusals people read: styled pages in Chinese, English second, with the way back; the API answers JSON in both."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.fixtures.tenants import PASSWORDS, Apps


@pytest.fixture(name="engine")
def sqlite_only(sqlite_engine: Engine) -> Engine:
    """How a refusal is worded does not depend on the database: SQLite only."""
    return sqlite_engine


def test_an_unknown_page_is_a_styled_404_with_the_way_back(apps: Apps) -> None:
    firm = apps.client("jinxiu")
    page = firm.get("/no-such-page", headers={"Referer": "http://testserver/violations?date=2026-03-01"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "未找到，或不属于您的单位" in page.text
    assert "Not found, or not yours" in page.text  # English second
    assert 'href="/violations?date=2026-03-01"' in page.text  # back where the reader came from
    assert "返回首页" in page.text
    english = firm.get("/no-such-page", cookies={"gp_lang": "en"})
    assert english.text.index("Not found, or not yours") < english.text.index("未找到，或不属于您的单位")


def test_a_bad_date_on_a_page_says_which_field_and_why(apps: Apps) -> None:
    page = apps.client("jinxiu").get("/attendance", params={"site_id": "S1", "date": "2026-13-40"})
    assert page.status_code == 422
    assert "请求参数有误" in page.text
    assert "<b>日期</b>：日期格式应为 年-月-日" in page.text  # the field by its label on the page
    assert "2026-13-40" not in page.text  # the value sent is not echoed


def test_api_refusals_stay_json_with_both_languages(apps: Apps) -> None:
    firm = apps.client("jinxiu")
    missing = firm.get("/api/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {"code": "not_found", "detail": "未找到 / not found"}
    bad = firm.get("/api/attendance", params={"site_id": "S1", "date": "yesterday"})
    assert bad.status_code == 422
    body = bad.json()
    assert body["code"] == "invalid_request"
    assert body["message"] == "请求参数有误 / invalid request"
    assert body["detail"][0]["loc"] == ["query", "date"]
    assert body["detail"][0]["msg_zh"].startswith("日期格式应为")
    assert firm.delete("/api/sites").json()["code"] == "method_not_allowed"
    assert firm.get("/api/sites/S2/on-duty").json()["code"] == "not_found.site"  # the domain's own code is kept


def test_the_login_form_says_how_long_the_lockout_lasts(apps: Apps) -> None:
    browser = apps.client("jinxiu")
    form = {"username": "pingan", "password": "wrong-password", "next": "/"}
    answers = [browser.post("/login", data=form, headers={"X-API-Key": ""}) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]  # the fifth failure locks, and says so
    assert "账号暂时锁定：请 15 分钟后再试" in answers[-1].text
    assert int(answers[-1].headers["Retry-After"]) > 890
    right = browser.post("/login", data=form | {"password": PASSWORDS["pingan"]}, headers={"X-API-Key": ""})
    assert right.status_code == 429  # locked out: the right password is not even checked
    assert "分钟后再试" in right.text
