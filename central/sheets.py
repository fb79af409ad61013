"""Tables as files people open in a spreadsheet program: CSV (UTF-8 with a byte-order mark) and XLSX.

A table is its header line followed by its rows. Text a spreadsheet would
run as a formula (a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: a guard's name as imported, say) is neutralised: in CSV it
gets a leading apostrophe, in XLSX it is stored as text with Excel's quote
prefix, so that it shows as written and is never evaluated.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Line = Sequence[object]


def risky(value: object) -> bool:
    """Whether a spreadsheet program could take ``value`` for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutral(value: object) -> object:
    """``value`` as a CSV cell: None empty, formula-like text behind an apostrophe."""
    if value is None:
        return ""
    return f"'{value}" if risky(value) else value


def to_csv(lines: Iterable[Line]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese right."""
    out = io.StringIO()
    csv.writer(out).writerows([neutral(v) for v in line] for line in lines)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(lines: Iterable[Line], title: str, *, bold_last: bool = False) -> bytes:
    """One sheet named ``title``: the header bold and frozen, and the last line bold when it is a total."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = re.sub(r"[\\/*?:\[\]]", " ", title)[:31]  # what Excel accepts in a sheet's name
    for line in lines:
        sheet.append(list(line))
    for row in sheet.iter_rows():
        for cell in row:
            if risky(cell.value):
                cell.data_type, cell.quotePrefix = "s", True
    bold = [1, sheet.max_row] if bold_last else [1]
    for number in bold:
        for cell in sheet[number]:
            cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
