"""The roster page's forms: a refusal shows the reason and keeps what was typed; each account sees its rights."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session

from central.registry.models import ServiceContract
from tests.fixtures.tenants import SECOND_FIRM, SECOND_USER, Apps

WEEK = "2026-03-04"  # a Wednesday: the page shows its Monday


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _post_shift(apps: Apps, user: str, **fields: str) -> str:
    values = {"site_id": "S3", "week": WEEK, "name_zh": "夜巡", "starts": "22:00", "ends": "06:00"} | fields
    response = apps.client(user).post("/rosters/shifts", data=values, follow_redirects=False)
    return f"{response.status_code} {response.headers.get('location', '')} {response.text}"


def test_a_company_adds_an_overnight_shift_and_sees_it_as_such(apps: Apps) -> None:
    done = _post_shift(apps, "pingan")
    assert done.startswith("303 /rosters?site_id=S3&week=2026-03-04&done=shift_saved")
    page = visible_text(apps.client("pingan").get("/rosters", params={"site_id": "S3", "week": WEEK}).text)
    assert "班次已保存" not in page  # the notice is shown after the redirect only
    page = visible_text(apps.client("pingan").get("/rosters?site_id=S3&week=2026-03-04&done=shift_saved").text)
    assert "班次已保存" in page
    assert "夜巡 22:00–次日 06:00" in page
    assert "跨夜" in page
    assert "2026-03-02 – 2026-03-08" in page
    assert "赵磊 (G6)" in page  # offered for rostering: its own guard
    assert "陈静" not in page  # the property firm's guard is not


def test_a_refused_form_says_why_and_keeps_what_was_typed(apps: Apps) -> None:
    refused = _post_shift(apps, "pingan", starts="25:00", name_en="night patrol")
    assert refused.startswith("422 ")
    text = visible_text(refused)
    assert "开始时间应为 时:分（如 08:00）/ starts must be HH:MM" in text
    assert 'value="night patrol"' in refused
    assert 'value="25:00"' in refused
    response = apps.client("pingan").post(
        "/rosters/assignments",
        data={"site_id": "S3", "week": WEEK, "shift_id": "999999", "guard_id": "G6", "valid_from": "2026-13-01"},
    )
    assert response.status_code == 422
    assert "起始日期格式应为 年-月-日" in visible_text(response.text)


def test_each_account_sees_its_rights_on_the_page(apps: Apps) -> None:
    with Session(apps.engine) as session:
        session.add(ServiceContract(company_id=SECOND_FIRM, site_id="S1", valid_from=date(2026, 1, 1),
                                    valid_to=date(2027, 12, 31)))  # fmt: skip
        session.commit()
    read_only = visible_text(apps.client(SECOND_USER).get("/rosters", params={"site_id": "S1"}).text)
    assert "只读：本场所的排班由管理单位编排" in read_only
    assert "添加班次" not in read_only
    assert apps.client("pingan").get("/rosters", params={"site_id": "S1"}).status_code == 404
    police = apps.client("police").get("/rosters")
    assert police.status_code == 403
    assert "排班仅限管理员、保安公司和用人单位" in visible_text(police.text)
    firm = visible_text(apps.client("jinxiu").get("/rosters").text)
    assert "锦绣花园小区" in firm
    assert "陈静 (G5)" in firm  # the self-recruiting firm rosters its own guard
    assert "排班" in firm


def test_the_page_reads_in_both_languages_without_a_bare_message_key(apps: Apps) -> None:
    client = apps.client("pingan")
    _post_shift(apps, "pingan")
    for lang, words in (
        ("zh", ("上一周", "复制", "导出排班 CSV")),
        ("en", ("Previous week", "Copy", "Assignments CSV")),
    ):
        client.cookies.set("gp_lang", lang)
        page = visible_text(client.get("/rosters", params={"site_id": "S3", "week": WEEK, "done": "copied"}).text)
        for word in words:
            assert word in page, (lang, word)
        assert "roster_" not in page
        assert "next_day" not in page
    client.cookies.delete("gp_lang")
    assert "22:00–next day 06:00" in page
