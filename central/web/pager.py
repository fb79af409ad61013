"""Paging of the dashboard's lists: ``page`` and ``size`` in the query, the page's ``Paging``, and the links.

Each list page asks for ``PagerDep``, queries with ``ask.paging`` (the same
``Paging`` the API takes as ``limit``/``offset``) and renders ``_pager.html``
with ``ask.of(count)``: 共 N 条, the page size, and links to the other pages
that keep every other filter of the query string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request

from central.paging import MAX_LIMIT, Paging

SIZES = (20, 50, 100, 200)
DEFAULT_SIZE = 50
MAX_PAGE = 1_000_000  # beyond any list's end: such a page is empty, with the links back


@dataclass(frozen=True, slots=True)
class PageAsk:
    """The page a request asks for, and the rest of its query (the filters the links keep)."""

    page: int
    size: int
    path: str
    params: tuple[tuple[str, str], ...]

    @property
    def paging(self) -> Paging:
        return Paging(limit=self.size, offset=(self.page - 1) * self.size)

    def of(self, total: int) -> Pager:
        return Pager(self, total)


@dataclass(frozen=True, slots=True)
class Pager:
    ask: PageAsk
    total: int

    @property
    def page(self) -> int:
        return self.ask.page

    @property
    def size(self) -> int:
        return self.ask.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.ask.size))

    @property
    def first_row(self) -> int:
        return min(self.total, self.ask.paging.offset + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.ask.paging.offset + self.ask.size)

    @property
    def filters(self) -> tuple[tuple[str, str], ...]:
        """The query's other values, for the size form's hidden fields."""
        return self.ask.params

    def url(self, page: int, size: int | None = None) -> str:
        query = [*self.ask.params, ("page", str(page)), ("size", str(size or self.ask.size))]
        return f"{self.ask.path}?{urlencode(query)}"

    def links(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last, and those near this one; None where some are left out."""
        near = set(range(self.page - around, self.page + around + 1)) | {1, self.pages}
        shown = sorted(n for n in near if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def page_ask(
    request: Request,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_SIZE,
) -> PageAsk:
    params = tuple(
        (k, v) for k, v in request.query_params.multi_items() if k not in ("page", "size", "fragment") and v != ""
    )
    return PageAsk(page, size, request.url.path, params)


PagerDep = Annotated[PageAsk, Depends(page_ask)]
