"""The cells of a registry list: text, dates, times, numbers and kinds read as the user wrote them.

Each reader raises ``RowError`` naming the field and the value it could not
use; the importer turns that into the user's own words (their header, their
value, an ID number masked). Kinds are read by value or by their Chinese words
(``KIND_WORDS``: ``保安服务公司``, ``自招单位``, ``住宅小区``, ``黑名单`` …).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from central.registry.credentials import BarKind
from central.registry.models import CompanyKind, SiteKind

Row = dict[str, Any]


class RowError(ValueError):
    """A row that cannot be used: Chinese and English reasons and, for one cell, its field and value.

    The importer names the cell by the file's own header and quotes the value
    (an ID number masked); ``str()`` is the two reasons alone.
    """

    def __init__(self, zh: str, en: str, field: str | None = None, value: object = None) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.field, self.value = zh, en, field, value


KIND_WORDS = {
    "保安服务公司": CompanyKind.SECURITY_COMPANY,
    "保安公司": CompanyKind.SECURITY_COMPANY,
    "自行招用单位": CompanyKind.SELF_RECRUITING,
    "自招单位": CompanyKind.SELF_RECRUITING,
    "自行招用保安员单位": CompanyKind.SELF_RECRUITING,
    "自行招用保安员的单位": CompanyKind.SELF_RECRUITING,
    "住宅小区": SiteKind.RESIDENTIAL,
    "小区": SiteKind.RESIDENTIAL,
    "住宅": SiteKind.RESIDENTIAL,
    "写字楼": SiteKind.OFFICE,
    "办公楼": SiteKind.OFFICE,
    "娱乐场所": SiteKind.ENTERTAINMENT,
    "学校": SiteKind.SCHOOL,
    "医院": SiteKind.HOSPITAL,
    "其他": SiteKind.OTHER,
    "其它": SiteKind.OTHER,
    "背景审查": BarKind.BACKGROUND_CHECK,
    "背景审查不合格": BarKind.BACKGROUND_CHECK,
    "黑名单": BarKind.BLACKLIST,
}


def _words_of(enum: type[Any]) -> str:
    """``保安服务公司 (security_company), …``: the first Chinese word of each value, and the value."""
    firsts: dict[Any, str] = {}
    for word, value in KIND_WORDS.items():
        firsts.setdefault(value, word)
    return ", ".join(f"{firsts[v]} ({v.value})" if v in firsts else v.value for v in enum)


def text(row: Row, name: str, required: bool = True) -> str | None:
    value = row.get(name)
    if value is None or str(value).strip() == "":
        if required:
            raise RowError("不能为空", "is missing", name, "")
        return None
    if isinstance(value, float):
        # Spreadsheets turn long numbers (ID numbers, card uids) into floats that lost digits.
        raise RowError("须为文本格式（数字格式会丢失位数）", "must be a text cell, not a number", name, value)
    return str(value).strip()


def day(row: Row, name: str, required: bool = True) -> date | None:
    value = row.get(name)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(row, name, required)
    if raw is None:
        return None
    match = re.fullmatch(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?", raw)
    try:
        if match is None:
            raise ValueError(raw)
        return date(*map(int, match.groups()))
    except ValueError as exc:
        raise RowError("不是有效日期（YYYY-MM-DD）", "is not a date (YYYY-MM-DD)", name, raw) from exc


def clock(row: Row, name: str) -> time:
    value = row.get(name)
    if isinstance(value, time):
        return value
    raw = text(row, name) or ""
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", raw)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise RowError("不是有效时间（HH:MM）", "is not a time (HH:MM)", name, raw)
    return time(int(match[1]), int(match[2]))


def number(row: Row, name: str) -> int | None:
    raw = row.get(name)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        return int(float(raw)) if isinstance(raw, float) else int(str(raw).strip())
    except ValueError as exc:
        raise RowError("须为整数", "must be a whole number", name, raw) from exc


def degrees(row: Row, name: str, limit: float) -> float | None:
    """A coordinate in decimal degrees, within ±``limit``; None for an empty cell."""
    raw = row.get(name)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = float(str(raw).strip())
    except ValueError as exc:
        raise RowError("须为十进制度数，如 39.9219", "must be decimal degrees, e.g. 39.9219", name, raw) from exc
    if not -limit <= value <= limit:
        raise RowError(f"须在 -{limit:g} 至 {limit:g} 之间", f"must be between -{limit:g} and {limit:g}", name, raw)
    return value


def kind(row: Row, name: str, enum: type[Any]) -> Any:
    raw = text(row, name) or ""
    try:
        return enum(KIND_WORDS.get(raw, raw.lower()))
    except ValueError as exc:
        allowed = _words_of(enum)
        raise RowError(f"无效，可填 {allowed}", f"is not one of {allowed}", name, raw) from exc
