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


def to_xlsx(rows: Sequence[Row], title: str, *, bold_last: bool = True) -> bytes:
    """One sheet named ``title``; the header bold and frozen, and the last row bold when it is a total."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = re.sub(r"[\\/*?:\[\]]", " ", title)[:31]  # what Excel accepts in a sheet's name
    for row in rows:
        sheet.append([inert(v) for v in row])
    for cell in (*sheet[1], *(sheet[sheet.max_row] if bold_last else ())):
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
