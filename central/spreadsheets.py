"""Every file central exports for a spreadsheet program (CSV, XLSX): written here, cells made inert.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is a formula to Excel, WPS and LibreOffice, in a CSV as much as in an
XLSX: a guard named ``=HYPERLINK(...)`` would run in the reader's sheet. Such
text gets a leading apostrophe (OWASP's advice, shown by no program as
content), so it is kept and read as text. Numbers, dates and times are not
text and are written as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = Sequence[object]


def inert(value: object) -> object:
    """``value``, with text that a spreadsheet would take for a formula prefixed by ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Iterable[Row]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese right; None as empty."""
    out = io.StringIO()
    csv.writer(out).writerows(["" if v is None else inert(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(
    rows: Sequence[Row], title: str, *, bold_last: bool = True, more: Sequence[tuple[str, Sequence[Row], int]] = ()
) -> bytes:
    """A sheet named ``title``; the header bold and frozen, and the last row bold when it is a total.

    ``more``: further sheets as (title, rows, columns kept in view), e.g. a month's day matrix.
    Every column is as wide as its widest cell (within reason).
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    _fill(sheet, title, rows, "A2", bold_last)
    for name, more_rows, frozen in more:
        _fill(book.create_sheet(), name, more_rows, f"{get_column_letter(frozen + 1)}2", False)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Worksheet, title: str, rows: Sequence[Row], freeze: str, bold_last: bool) -> None:
    sheet.title = re.sub(r"[\\/*?:\[\]]", " ", title)[:31]  # what Excel accepts in a sheet's name
    for row in rows:
        sheet.append([inert(v) for v in row])
    for cell in (*sheet[1], *(sheet[sheet.max_row] if bold_last else ())):
        cell.font = Font(bold=True)
    sheet.freeze_panes = freeze
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        # A Chinese character is about two Latin ones wide.
        widest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) for v in column if v is not None), default=4)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, 4), 40)
