"""Tables as CSV and XLSX: the header first, Chinese read right, formula-like text never evaluated."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from central import sheets

TABLE = [
    ("姓名 / name", "数 / n"),
    ('=HYPERLINK("http://x")', 1),
    ("+86", None),
    ("-1", 2),
    ("@SUM(A1)", 3),
    ("张伟", 4),
]


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("a=b", "a=b"), (-1, -1),
     (None, ""), ("", "")],
)  # fmt: skip
def test_csv_cells_are_neutralised(value: object, cell: object) -> None:
    assert sheets.neutral(value) == cell


def test_csv_has_a_byte_order_mark_and_neutral_cells() -> None:
    body = sheets.to_csv(TABLE)
    assert body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0] == ["姓名 / name", "数 / n"]
    assert [line[0] for line in lines[1:]] == ['\'=HYPERLINK("http://x")', "'+86", "'-1", "'@SUM(A1)", "张伟"]
    assert lines[2][1] == ""


def test_xlsx_keeps_the_text_and_never_a_formula() -> None:
    book = load_workbook(io.BytesIO(sheets.to_xlsx(TABLE, "采集率 / coverage", bold_last=True)))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "采集率   coverage"
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [v for v, _ in TABLE[1:]]
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells[:4])
    assert sheet["A1"].font.bold
    assert sheet[f"A{sheet.max_row}"].font.bold
    assert sheet.freeze_panes == "A2"
