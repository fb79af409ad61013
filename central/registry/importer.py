"""Bulk import of registry lists from CSV and XLSX, with progress and a reason for every refused row.

A list is one kind of record (``central.registry.import_specs.SPECS``: companies,
sites, guards, contracts, …), one row per record, headers in Chinese or
English (``central.registry.import_files`` reads and checks them). Each row is
written in its own savepoint: a refused row (a bad date, an unknown employer,
an ID number held by another guard) is reported in the user's own words — its
line, the column by the file's header, the value (an ID number masked):
``第 7 行「用人单位」: C99 不存在`` — and leaves the other rows standing. Rows
are upserted by natural key, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from central.access.scope import mask_id_number
from central.errors import DomainError
from central.registry.cards import CardRefused, issue, tech_of
from central.registry.import_cells import Row, RowError
from central.registry.import_files import Sheet, check_headers, read_list, spec_of
from central.registry.import_specs import ALIASES, ListSpec, label, resolve
from central.registry.models import Card, Guard
from central.registry.upsert import NATURAL_KEYS, Outcome, upsert

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows done, rows in the list)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused row, in the user's words: the line, the column by the file's own header, the value."""

    line: int  # as a spreadsheet program numbers it: the header is line 1
    reason_zh: str
    reason_en: str
    column: str | None = None  # the header as the file wrote it
    value: str | None = None  # as written (an ID number masked)

    @property
    def reason(self) -> str:
        """``「用人单位」: C99 不存在 / "用人单位": C99 does not exist``."""
        return f"{self.reason_zh} / {self.reason_en}"

    @property
    def message(self) -> str:
        """``第 7 行「用人单位」: C99 不存在 / line 7, "用人单位": C99 does not exist``."""
        return f"第 {self.line} 行{self.reason_zh} / line {self.line}, {self.reason_en}"

    def public(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "value": self.value, "reason": self.reason,
                "message": self.message}  # fmt: skip


@dataclass(slots=True)
class ImportReport:
    kind: str
    rows: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)  # per row: its strongest change
    refused: list[Refusal] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.outcomes[Outcome.CREATED] or self.outcomes[Outcome.UPDATED])

    def summary(self) -> str:
        o = self.outcomes
        return (
            f"{self.kind}: {self.rows} 行 / rows; 新增 {o[Outcome.CREATED]} created, "
            f"更新 {o[Outcome.UPDATED]} updated, 未变 {o[Outcome.UNCHANGED]} unchanged, "
            f"拒绝 {len(self.refused)} refused"
        )


def _shown(field: str | None, value: object) -> str:
    """A cell's value as a refusal quotes it: an ID number masked, a long text cut."""
    text = "" if value is None else str(value).strip()
    if field == "id_number" and text:
        return mask_id_number(text)
    return text if len(text) <= 40 else text[:40] + "…"


def _bilingual(message: str) -> tuple[str, str]:
    zh, _, en = message.partition(" / ")
    return zh, en or zh


def _refusal(line: int, labels: dict[str, str], zh: str, en: str, field: str | None, value: object) -> Refusal:
    if field is None:
        return Refusal(line, zh, en)
    column, shown = labels.get(field) or label(field), _shown(field, value)
    quoted = f"{shown} " if shown else ""
    return Refusal(line, f"「{column}」: {quoted}{zh}", f'"{column}": {quoted}{en}', column, shown or None)


def _validation_refusal(line: int, labels: dict[str, str], exc: ValidationError) -> Refusal:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else None
    return _refusal(line, labels, "无效", first["msg"], field, first.get("input"))


def _check_refs(session: Session, spec: ListSpec, values: dict[str, Any]) -> None:
    for column, model in spec.refs.items():
        if values.get(column) is not None and session.get(model, values[column]) is None:
            what = model.__name__.lower()
            raise RowError(f"不存在（无此{_NAMES.get(what, what)}）", f"does not exist (no such {what})", column,
                           values[column])  # fmt: skip


_NAMES = {"company": "单位", "site": "场所", "guard": "保安员", "post": "岗位"}


def _write_row(session: Session, spec: ListSpec, row: Row, line: int, cards: dict[str, int]) -> Outcome:
    outcomes = []
    for model, values in spec.convert(row):
        _check_refs(session, spec, values)
        table: type[SQLModel] = model
        if table is Card:
            outcomes.append(_issue_card(session, values, line, cards))
        else:
            outcomes.append(upsert(session, table, resolve(session, table, values))[1])
    for outcome in (Outcome.CREATED, Outcome.UPDATED):
        if outcome in outcomes:
            return outcome
    return Outcome.UNCHANGED


def _issue_card(session: Session, values: dict[str, Any], line: int, cards: dict[str, int]) -> Outcome:
    """A guard row's card: issued to the guard (a card another guard holds is refused, naming the row)."""
    guard = session.get(Guard, values["guard_id"])
    assert guard is not None  # written by the same row just before
    try:
        tech = tech_of(values["kind"])
    except DomainError as exc:
        raise RowError(*_bilingual(str(exc)), "card_kind", values["kind"]) from exc
    try:
        issued = issue(session, values["number"], tech, guard, values.get("since"))
    except CardRefused as exc:
        zh, en = _bilingual(str(exc))
        earlier = cards.get(exc.card_uid or "")
        if earlier:
            zh, en = f"{zh}（与第 {earlier} 行重复）", f"{en} (the same card as line {earlier})"
        raise RowError(zh, en, "card_uid", values["number"]) from exc
    except DomainError as exc:
        raise RowError(*_bilingual(str(exc)), "card_uid", values["number"]) from exc
    cards.setdefault(issued.card.uid, line)
    return Outcome.CREATED if issued.new else Outcome.UNCHANGED


def _try_row(
    session: Session, spec: ListSpec, row: Row, line: int, cards: dict[str, int], labels: dict[str, str]
) -> Outcome | Refusal:
    try:
        with session.begin_nested():
            return _write_row(session, spec, row, line, cards)
    except RowError as exc:
        return _refusal(line, labels, exc.zh, exc.en, exc.field, exc.value)
    except DomainError as exc:
        return _refusal(line, labels, *_bilingual(str(exc)), None, None)
    except ValidationError as exc:
        return _validation_refusal(line, labels, exc)
    except IntegrityError:
        zh = "与已有记录冲突（如身份证号已属于其他保安员）"
        return _refusal(line, labels, zh, "conflicts with an existing record (e.g. an ID number)", None, None)


def import_rows(
    session: Session, kind: str, sheet: Sheet, progress: Progress | None = None, *, commit: bool = True
) -> ImportReport:
    """Upsert the rows of list ``kind`` and commit; refused rows are in the report, not raised.
    ``commit=False`` is the preview: the same report, and everything rolled back.

    Raises ImportHeaderError (nothing written) when a column the list needs is missing.
    """
    spec = spec_of(kind)
    check_headers(kind, sheet)
    ignored = tuple(sheet.labels.get(h, h) for h in sheet.header if h and h not in _KNOWN)
    report = ImportReport(kind, len(sheet.rows), ignored_columns=ignored)
    cards: dict[str, int] = {}  # card -> the line of this file that issued it
    # A preview's rows go inside one savepoint it rolls back: on SQLite (pysqlite) releasing the
    # rows' own savepoints outside a transaction would commit each of them.
    preview = None if commit else session.begin_nested()
    for number, row in enumerate(sheet.rows, start=2):
        if all(v is None or str(v).strip() == "" for v in row.values()):
            report.rows -= 1  # blank lines at the end of a sheet are not records
        else:
            result = _try_row(session, spec, row, number, cards, sheet.labels)
            if isinstance(result, Refusal):
                report.refused.append(result)
            else:
                report.outcomes[result] += 1
        if progress is not None:
            progress(number - 1, len(sheet.rows))
    if preview is not None:
        preview.rollback()
        session.rollback()
    else:
        session.commit()
    logger.debug("import of %s: %s", kind, report.summary())
    return report


def import_bytes(
    session: Session, kind: str, data: bytes, filename: str, progress: Progress | None = None, *, commit: bool = True
) -> ImportReport:
    """Read ``data`` (CSV or XLSX, by ``filename``) and import it as list ``kind`` (``commit=False``: a preview)."""
    spec_of(kind)  # an unknown kind before reading the file
    return import_rows(session, kind, read_list(data, filename), progress, commit=commit)


def import_file(session: Session, kind: str, path: Path, progress: Progress | None = None) -> ImportReport:
    """Import the CSV or XLSX file at ``path`` as list ``kind``."""
    return import_bytes(session, kind, path.read_bytes(), path.name, progress)


_KNOWN = frozenset(ALIASES.values()) | {name for model in NATURAL_KEYS for name in model.model_fields}
