"""Bulk import of registry lists from CSV and XLSX, with progress and a reason for every refused row.

A list is one kind of record (``central.registry.import_specs.SPECS``: companies,
sites, guards, contracts, …), one row per record, headers in Chinese or
English. Each row is written in its own savepoint: a refused row (a bad date,
an unknown employer, an ID number held by another guard) is reported with its
line number and reason and leaves the other rows standing. Rows are upserted
by natural key, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from central.errors import DomainError
from central.registry.cards import CardRefused, issue, tech_of
from central.registry.import_specs import ALIASES, SPECS, ListSpec, Row, RowError, resolve
from central.registry.models import Card, Guard
from central.registry.upsert import NATURAL_KEYS, Outcome, upsert

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows done, rows in the list)


class ImportFileError(DomainError):
    """The file as a whole cannot be read (format, encoding, no header)."""

    code = "import.unreadable"


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int  # as a spreadsheet program numbers it: the header is line 1
    reason: str  # Chinese / English


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


def _header(name: object) -> str:
    text = str(name or "").strip()
    return ALIASES.get(text, text.lower())


def _rows(header: Sequence[object], lines: Iterable[Iterable[object]]) -> list[Row]:
    names = [_header(h) for h in header]
    return [dict(zip(names, line, strict=False)) for line in lines]


def read_csv(data: bytes) -> tuple[list[str], list[Row]]:
    """Header and rows of a UTF-8 (BOM or not) or GB18030 CSV file."""
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK unless told otherwise
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("无法识别文件编码 / the file is neither UTF-8 nor GB18030")
    try:
        lines = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:  # e.g. a field over csv's field size limit (128 KiB): no registry field is
        raise ImportFileError(f"CSV文件格式错误 / not a readable CSV file: {exc}") from exc
    if not lines:
        raise ImportFileError("文件为空 / the file is empty")
    return [_header(h) for h in lines[0]], _rows(list(lines[0]), lines[1:])


def read_xlsx(data: bytes) -> tuple[list[str], list[Row]]:
    """Header and rows of the first sheet of an XLSX workbook."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  (openpyxl raises many kinds for a file that is not XLSX)
        raise ImportFileError(f"无法读取XLSX文件 / not a readable XLSX file: {type(exc).__name__}") from exc
    sheet = book.worksheets[0]
    lines = [list(line) for line in sheet.iter_rows(values_only=True)]
    book.close()
    if not lines:
        raise ImportFileError("工作表为空 / the first sheet is empty")
    return [_header(h) for h in lines[0]], _rows(lines[0], lines[1:])


def read_list(data: bytes, filename: str) -> tuple[list[str], list[Row]]:
    """Header and rows of ``data``, read as XLSX or CSV by ``filename``'s extension."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(data)
    if suffix in (".csv", ".txt"):
        return read_csv(data)
    raise ImportFileError(f"不支持的文件类型 / unsupported file type {suffix!r}: use .csv or .xlsx")


def _validation_reason(exc: ValidationError) -> str:
    # Field names and messages only: the input values may be ID numbers.
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    return "字段无效 / invalid field: " + "; ".join(parts)


def _check_refs(session: Session, spec: ListSpec, values: dict[str, Any]) -> None:
    for column, model in spec.refs.items():
        if values.get(column) is not None and session.get(model, values[column]) is None:
            raise RowError(f"{column} 引用的记录不存在 / {column} names no existing {model.__name__.lower()}")


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
        issued = issue(session, values["number"], tech_of(values["kind"]), guard, values.get("since"))
    except CardRefused as exc:
        earlier = cards.get(exc.card_uid or "")
        where = f"（与第 {earlier} 行重复 / the same card as line {earlier}）" if earlier else ""
        raise RowError(f"{exc}{where}") from exc
    cards.setdefault(issued.card.uid, line)
    return Outcome.CREATED if issued.new else Outcome.UNCHANGED


def _refusal_reason(
    session: Session, spec: ListSpec, row: Row, line: int, cards: dict[str, int]
) -> tuple[Outcome | None, str | None]:
    try:
        with session.begin_nested():
            return _write_row(session, spec, row, line, cards), None
    except (RowError, DomainError) as exc:
        return None, str(exc)
    except ValidationError as exc:
        return None, _validation_reason(exc)
    except IntegrityError:
        return (
            None,
            "与已有记录冲突（如身份证号已属于其他保安员）/ conflicts with an existing record (e.g. an ID number)",
        )


def import_rows(
    session: Session, kind: str, header: list[str], rows: list[Row], progress: Progress | None = None
) -> ImportReport:
    """Upsert ``rows`` of list ``kind`` and commit; refused rows are in the report, not raised."""
    spec = SPECS.get(kind)
    if spec is None:
        raise ValueError(f"无此名单类型 / unknown list kind {kind!r}; one of {', '.join(SPECS)}")
    report = ImportReport(kind, len(rows), ignored_columns=tuple(h for h in header if h and h not in _KNOWN))
    cards: dict[str, int] = {}  # card -> the line of this file that issued it
    for number, row in enumerate(rows, start=2):
        if all(v is None or str(v).strip() == "" for v in row.values()):
            report.rows -= 1  # blank lines at the end of a sheet are not records
        else:
            outcome, reason = _refusal_reason(session, spec, row, number, cards)
            if outcome is not None:
                report.outcomes[outcome] += 1
            else:
                report.refused.append(Refusal(number, reason or ""))
        if progress is not None:
            progress(number - 1, len(rows))
    session.commit()
    logger.debug("import of %s: %s", kind, report.summary())
    return report


def import_bytes(
    session: Session, kind: str, data: bytes, filename: str, progress: Progress | None = None
) -> ImportReport:
    """Read ``data`` (CSV or XLSX, by ``filename``) and import it as list ``kind``."""
    header, rows = read_list(data, filename)
    return import_rows(session, kind, header, rows, progress)


def import_file(session: Session, kind: str, path: Path, progress: Progress | None = None) -> ImportReport:
    """Import the CSV or XLSX file at ``path`` as list ``kind``."""
    return import_bytes(session, kind, path.read_bytes(), path.name, progress)


_KNOWN = frozenset(ALIASES.values()) | {name for model in NATURAL_KEYS for name in model.model_fields}
