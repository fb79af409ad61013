"""One way to page a list: ``limit`` and ``offset`` in, the page's rows and the total count out.

Every list query of the domains takes a ``Paging`` and returns a ``Paged``:
the rows of the page and how many match in all, so that a client always
knows what it has not seen (no list stops silently at a cap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select
from sqlmodel.sql.expression import Select, SelectOfScalar

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.offset < 0:
            raise ValueError(f"paging needs limit >= 1 and offset >= 0, not {self.limit}, {self.offset}")

    def slice(self, rows: Sequence[T]) -> Paged[T]:
        """Page a list computed in memory."""
        return Paged(list(rows[self.offset : self.offset + self.limit]), len(rows))


@dataclass(frozen=True, slots=True)
class Paged(Generic[T]):
    rows: list[T]
    count: int  # every row that matches, not only this page

    def map(self, convert: Callable[[T], U]) -> Paged[U]:
        return Paged([convert(row) for row in self.rows], self.count)


def fetch(session: Session, query: Select[*tuple[Any, ...]] | SelectOfScalar[Any], paging: Paging) -> Paged[Any]:
    """The page of ``query`` (ordered by the caller) and the count of all its rows.

    Single-entity queries give the entities; multi-column ones their row tuples.
    """
    count = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    result = session.exec(query.offset(paging.offset).limit(paging.limit))
    return Paged(list(result.all()), int(count))
