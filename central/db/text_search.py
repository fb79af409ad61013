"""Searching text columns for what a person typed: ``%`` and ``_`` are what they typed, not wildcards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

ESCAPE = "\\"


def escaped(text: str) -> str:
    """``text`` with LIKE's wildcards and the escape character taken literally (with ``escape=ESCAPE``)."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", f"{ESCAPE}%").replace("_", f"{ESCAPE}_")


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` holds ``text`` anywhere, case-insensitively (SQLite and PostgreSQL alike)."""
    result: ColumnElement[bool] = column.ilike(f"%{escaped(text)}%", escape=ESCAPE)
    return result


def same_ignoring_case(column: Any, text: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.ilike(escaped(text), escape=ESCAPE)
    return result
