"""List pages count and page: 共 N 条, the page size, page links that keep the filters, no silent cap."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from central.registry.models import Guard
from central.web.pager import PageAsk
from tests.fixtures.tenants import Apps


@pytest.fixture(name="engine")
def sqlite_only(sqlite_engine: Engine) -> Engine:
    """Paging is the queries' own (tested on both databases with the API): the pages on SQLite only."""
    return sqlite_engine


def test_page_links_show_the_ends_and_the_neighbours() -> None:
    pager = PageAsk(page=7, size=10, path="/guards", params=(("q", "王"),)).of(200)
    assert pager.pages == 20
    assert (pager.first_row, pager.last_row) == (61, 70)
    assert pager.links() == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert pager.url(8) == "/guards?q=%E7%8E%8B&page=8&size=10"
    assert PageAsk(1, 50, "/guards", ()).of(0).links() == [1]
    assert PageAsk(3, 50, "/guards", ()).of(120).last_row == 120


def test_the_guards_page_counts_all_and_pages_with_the_filter_kept(apps: Apps) -> None:
    admin = apps.client("admin")
    with Session(apps.engine) as session:
        total = session.exec(select(func.count()).select_from(Guard)).one()
    first = admin.get("/guards", params={"size": 2})
    assert f"共 {total} 条" in first.text
    assert len(re.findall(r"<tr><td data-label=\"[^\"]*\" title=", first.text)) == 2
    assert 'rel="next" href="/guards?page=2&amp;size=2"' in first.text
    second = admin.get("/guards", params={"size": 2, "page": 2})
    names = set(re.findall(r'<td data-label="[^"]*" title="([^"]+)">', first.text)) | set(
        re.findall(r'<td data-label="[^"]*" title="([^"]+)">', second.text)
    )
    assert len(names) == 4  # page 2 goes on from page 1
    searched = admin.get("/guards", params={"q": "G", "size": 1})
    assert 'href="/guards?q=G&amp;page=2&amp;size=1"' in searched.text  # the search is kept across pages
    assert '<option selected value="1">1</option>' in searched.text  # a size not on the list is shown as chosen
    beyond = admin.get("/guards", params={"size": 2, "page": 999})
    assert beyond.status_code == 200
    assert f"共 {total} 条" in beyond.text  # an empty page still says how many there are, and links back
    assert 'href="/guards?page=1&amp;size=2"' in beyond.text


def test_violations_filter_by_rule_and_keep_it_across_pages(apps: Apps) -> None:
    page = apps.client("pingan").get("/violations", params={"code": "CERT_REVOKED", "size": 20})
    assert page.status_code == 200
    assert '<option value="CERT_REVOKED" selected>保安员证已吊销</option>' in page.text
    assert re.search(r"共 \d+ 条", page.text)
    assert '<input type="hidden" name="code" value="CERT_REVOKED">' in page.text  # the size form keeps the rule
