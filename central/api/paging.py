"""Paged answers: every list endpoint takes ``limit`` and ``offset`` and answers ``{data, count}``.

``count`` is how many rows match in all, so a client knows what it has not
seen; no list stops silently at a cap.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from central.paging import DEFAULT_LIMIT, MAX_LIMIT, Paged, Paging

T = TypeVar("T")
DB_INT_MAX = 2**31 - 1  # an offset beyond this overflows the database's integer


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int  # every row that matches, not only those of this page
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=DB_INT_MAX, description="rows to skip")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]


def page(paged: Paged[T], at: Paging) -> Page[T]:
    return Page(data=paged.rows, count=paged.count, limit=at.limit, offset=at.offset)
