"""Registry list files: CSV (UTF-8 or GB18030) and XLSX read into a ``Sheet``, headers checked, templates.

A header is read in Chinese (``central.registry.import_specs.ALIASES``) or as a
field name; the sheet keeps the header as the file wrote it, so that a refusal
names the user's own column. A file lacking a column its list needs is refused
once, with the headers expected; ``template_csv`` gives those headers to fill in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from central.errors import DomainError
from central.registry.import_cells import Row
from central.registry.import_specs import ALIASES, SPECS, ListSpec


class ImportFileError(DomainError):
    """The file as a whole cannot be read (format, encoding, no header)."""

    code = "import.unreadable"


class ImportHeaderError(ImportFileError):
    """The file's headers are not those of the list: refused once, with the headers expected."""

    status = 422
    code = "import.headers"


@dataclass(frozen=True, slots=True)
class Sheet:
    header: list[str]  # field names, in the file's order
    rows: list[Row]
    labels: dict[str, str]  # field name -> the header as the file wrote it


def _header(name: object) -> str:
    text = str(name or "").strip()
    return ALIASES.get(text, text.lower())


def _sheet(header: Sequence[object], lines: Iterable[Iterable[object]]) -> Sheet:
    names = [_header(h) for h in header]
    labels = {name: str(h or "").strip() for name, h in zip(names, header, strict=True) if name}
    return Sheet(names, [dict(zip(names, line, strict=False)) for line in lines], labels)


def read_csv(data: bytes) -> Sheet:
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
    return _sheet(lines[0], lines[1:])


def read_xlsx(data: bytes) -> Sheet:
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
    return _sheet(lines[0], lines[1:])


def read_list(data: bytes, filename: str) -> Sheet:
    """Header and rows of ``data``, read as XLSX or CSV by ``filename``'s extension."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(data)
    if suffix in (".csv", ".txt"):
        return read_csv(data)
    raise ImportFileError(f"不支持的文件类型 / unsupported file type {suffix!r}: use .csv or .xlsx")


def template_csv(kind: str, lang: str = "zh") -> bytes:
    """An empty list of ``kind``: its header line (Chinese, or field names for ``lang="en"``), UTF-8 with BOM."""
    spec = spec_of(kind)
    out = io.StringIO()
    csv.writer(out).writerow([c.label if lang == "zh" else c.field for c in spec.columns])
    return out.getvalue().encode("utf-8-sig")  # the BOM: Excel opens it as UTF-8


def _expected(spec: ListSpec) -> str:
    return "、".join(f"{c.label}{'' if c.required else '（可选 optional）'}" for c in spec.columns)


def check_headers(kind: str, sheet: Sheet) -> None:
    """Refuse the file once when a column the list needs is missing, naming the headers expected."""
    spec = spec_of(kind)
    missing = [c for c in spec.required if c.field not in sheet.header]
    if missing:
        names = "、".join(f"「{c.label}」({c.field})" for c in missing)
        raise ImportHeaderError(
            f"表头不符，缺少 {names}；应有的列：{_expected(spec)} / the headers do not fit a {kind} list: "
            f"missing {', '.join(c.field for c in missing)}; expected: "
            f"{', '.join(c.field + ('' if c.required else '?') for c in spec.columns)} "
            f"(模板 / template: GET /api/admin/import/{kind}/template, `guardpost registry template {kind}`)"
        )


def spec_of(kind: str) -> ListSpec:
    spec = SPECS.get(kind)
    if spec is None:
        raise ValueError(f"无此名单类型 / unknown list kind {kind!r}; one of {', '.join(SPECS)}")
    return spec
