"""Aligned plain-text tables that stay aligned with Chinese (double-width) text.

The benchmarks print their results with it, and so does the demo (guardpost imports
bench, never the other way round).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill


def cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)


def format_table(rows: Sequence[dict[str, object]], right_align_numbers: bool = True) -> str:
    """Columns in first-seen key order; numbers right-aligned, text left-aligned."""
    if not rows:
        return "(无 / none)"
    columns = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[cell(row.get(col)) for col in columns] for row in rows]
    widths = [max(display_width(col), *(display_width(r[i]) for r in cells)) for i, col in enumerate(columns)]
    numeric = [
        right_align_numbers and all(isinstance(row.get(col), int | float) for row in rows if row.get(col) is not None)
        for col in columns
    ]
    lines = ["  ".join(_pad(col, w, False) for col, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row_cells in cells:
        lines.append("  ".join(_pad(c, w, n) for c, w, n in zip(row_cells, widths, numeric, strict=True)).rstrip())
    return "\n".join(lines)
