"""What each registry list looks like: its columns (Chinese or English headers) and the rows it writes.

A list row becomes one or more ``(model, values)`` writes, upserted by natural
key (``central.registry.upsert``): a guards list row, for instance, writes the
guard, their 保安员证 and their card. Values are typed here, so that a bad date
or an unknown kind is refused with a reason instead of stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import Any, get_args

from sqlmodel import Session, SQLModel, select

from central.registry.credentials import (
    Certificate,
    CompanyCredential,
    CredentialKind,
    CrossRegionFiling,
    GuardBar,
)
from central.registry.import_cells import Row, RowError, clock, day, degrees, kind, number, text
from central.registry.models import Card, Company, CompanyKind, Guard, ServiceContract, Site, Terminal
from central.registry.roster import Post, Shift, ShiftAssignment
from protocol.id_number import IdNumberError
from protocol.id_number import check as check_id_number

Write = tuple[type[SQLModel], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    label: str  # the Chinese header a template gives it
    required: bool


# Chinese headers as firms and police stations write them; English headers are the field names.
ALIASES = {
    "编号": "id",
    "名称": "name_zh",
    "姓名": "name_zh",
    "英文名": "name_en",
    "类型": "kind",
    "行政区划": "region",
    "许可证号": "licence_number",
    "备案号": "licence_number",
    "发证日期": "licence_from",
    "有效期至": "licence_to",
    "吊销日期": "revoked_on",
    "地址": "address",
    "辖区派出所": "jurisdiction",
    "管理单位": "managed_by",
    "场所": "site_id",
    "岗位": "post_id",
    "等级要求": "min_level",
    "身份证号": "id_number",
    "用人单位": "employer_id",
    "等级": "level",
    "生效日期": "since",
    "保安员证号": "cert_number",
    "证书发证日期": "cert_issued_on",
    "证书吊销日期": "cert_revoked_on",
    "卡号": "card_uid",
    "卡类型": "card_kind",
    "保安员": "guard_id",
    "原因": "reason",
    "起始日期": "valid_from",
    "截止日期": "valid_to",
    "单位": "company_id",
    "合同编号": "contract_number",
    "开始时间": "starts",
    "结束时间": "ends",
    "班次": "shift_name",
    "星期": "weekdays",
    "迟到宽限分钟": "late_grace_min",
    "早退宽限分钟": "early_grace_min",
    "岗位名称": "post_name_zh",
    "时区": "timezone",
    "跨区域备案号": "number",
    "纬度": "latitude",
    "经度": "longitude",
}


def _company(row: Row) -> list[Write]:
    company_kind = kind(row, "kind", CompanyKind)
    writes: list[Write] = [
        (
            Company,
            {
                "id": text(row, "id"),
                "name_zh": text(row, "name_zh"),
                "name_en": text(row, "name_en", False) or "",
                "kind": company_kind,
                "region": text(row, "region"),
            },
        )
    ]
    if text(row, "licence_number", False):
        credential = CredentialKind.FILING if company_kind == CompanyKind.SELF_RECRUITING else CredentialKind.LICENCE
        values = {"company_id": row["id"], "kind": credential, "number": text(row, "licence_number")}
        values |= {"valid_from": day(row, "licence_from"), "valid_to": day(row, "licence_to", False)}
        writes.append((CompanyCredential, values | {"revoked_on": day(row, "revoked_on", False)}))
    return writes


def _guard(row: Row) -> list[Write]:
    guard_id = text(row, "id")
    raw_number = text(row, "id_number") or ""
    try:
        id_number = check_id_number(raw_number)
    except IdNumberError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise RowError(zh, en or zh, "id_number", raw_number) from exc
    guard: dict[str, Any] = {
        "id": guard_id,
        "name_zh": text(row, "name_zh"),
        "name_en": text(row, "name_en", False) or "",
    }
    guard |= {
        "id_number": id_number,
        "employer_id": text(row, "employer_id", False),
        "level": number(row, "level") or 5,
        # The day a new employer or level applies from (central.registry.employment); default today.
        "since": day(row, "since", False),
    }
    writes: list[Write] = [(Guard, guard)]
    if text(row, "cert_number", False):
        cert: dict[str, Any] = {
            "number": text(row, "cert_number"),
            "guard_id": guard_id,
            "issued_on": day(row, "cert_issued_on"),
        }
        writes.append((Certificate, cert | {"revoked_on": day(row, "cert_revoked_on", False)}))
    if text(row, "card_uid", False):
        # Issued through central.registry.cards (the importer's card write), not upserted: see there.
        card = {"number": text(row, "card_uid"), "kind": text(row, "card_kind", False), "guard_id": guard_id}
        writes.append((Card, card | {"since": guard["since"]}))
    return writes


def _base_type(model: type[SQLModel], name: str) -> Any:
    """The field's type without ``| None``."""
    annotation = model.model_fields[name].annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def _cell(row: Row, name: str, typ: Any, required: bool) -> Any:
    if typ is date:
        return day(row, name, required)
    if typ is time:
        return clock(row, name) if required or text(row, name, False) else None
    if isinstance(typ, type) and issubclass(typ, StrEnum):
        return kind(row, name, typ)
    if typ is int:
        return number(row, name)
    return text(row, name, required)


def _fields(model: type[SQLModel], *names: str) -> Callable[[Row], list[Write]]:
    """A list whose columns are the model's own fields (``name?``: optional), typed by their annotations."""

    def convert(row: Row) -> list[Write]:
        values: dict[str, Any] = {}
        for spec in names:
            name = spec.rstrip("?")
            values[name] = _cell(row, name, _base_type(model, name), not spec.endswith("?"))
        return [(model, {k: v for k, v in values.items() if v is not None})]

    return convert


def _site(row: Row) -> list[Write]:
    """A site's own fields; its coordinates both or neither."""
    ((model, values),) = _fields(Site, *(n for n in _SITE if not n.startswith(("latitude", "longitude"))))(row)
    latitude, longitude = degrees(row, "latitude", 90), degrees(row, "longitude", 180)
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise RowError("经纬度须同时填写", "latitude and longitude go together", missing, "")
    if latitude is not None:
        values |= {"latitude": latitude, "longitude": longitude}
    return [(model, values)]


def _assignment(row: Row) -> list[Write]:
    # The shift is named by site and shift name: list keepers do not know our row ids.
    values: dict[str, Any] = {"site_id": text(row, "site_id"), "shift_name": text(row, "shift_name")}
    values |= {
        "guard_id": text(row, "guard_id"),
        "valid_from": day(row, "valid_from"),
        "valid_to": day(row, "valid_to", False),
    }
    return [(ShiftAssignment, values | {"weekdays": text(row, "weekdays", False) or "1234567"})]


def resolve(session: Session, model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """Turn names list keepers use into row ids (an assignment's shift is its site and name)."""
    if model is not ShiftAssignment:
        return values
    query = select(Shift).where(Shift.site_id == values["site_id"], Shift.name_zh == values["shift_name"])
    shift = session.exec(query).first()
    if shift is None:
        raise RowError("该场所无此班次", "is no shift at that site", "shift_name", values["shift_name"])
    rest = {k: v for k, v in values.items() if k not in ("site_id", "shift_name")}
    return rest | {"shift_id": shift.id}


@dataclass(frozen=True, slots=True)
class ListSpec:
    convert: Callable[[Row], list[Write]]
    refs: dict[str, type[SQLModel]]  # column -> table the value must exist in
    columns: tuple[Column, ...]  # in a template's order

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


# The header a template gives a field: its first Chinese alias, else the field name.
_LABELS: dict[str, str] = {}
for _zh, _field in ALIASES.items():
    _LABELS.setdefault(_field, _zh)


def label(field: str) -> str:
    return _LABELS.get(field, field)


def _columns(names: tuple[str, ...], labels: dict[str, str] | None = None) -> tuple[Column, ...]:
    """``name?`` is optional; ``labels`` overrides a field's template header for this list."""
    fields = [(n.rstrip("?"), not n.endswith("?")) for n in names]
    return tuple(Column(f, (labels or {}).get(f) or label(f), required) for f, required in fields)


def _list(model: type[SQLModel], names: tuple[str, ...], refs: dict[str, type[SQLModel]]) -> ListSpec:
    """A list whose columns are the model's own fields."""
    return ListSpec(_fields(model, *names), refs, _columns(names))


_COMPANY = ("id", "name_zh", "name_en?", "kind", "region", "licence_number?", "licence_from?", "licence_to?",
            "revoked_on?")  # fmt: skip
_GUARD = ("id", "name_zh", "name_en?", "id_number", "employer_id?", "level?", "since?", "cert_number?",
          "cert_issued_on?", "cert_revoked_on?", "card_uid?", "card_kind?")  # fmt: skip
_SITE = ("id", "name_zh", "name_en?", "kind", "address?", "region", "jurisdiction", "managed_by?", "timezone?",
         "latitude?", "longitude?")  # fmt: skip
_SHIFT = ("site_id", "name_zh", "name_en?", "starts", "ends", "post_id?", "late_grace_min?", "early_grace_min?")
_ASSIGNMENT = ("site_id", "shift_name", "guard_id", "valid_from", "valid_to?", "weekdays?")

SPECS: dict[str, ListSpec] = {
    "companies": ListSpec(_company, {}, _columns(_COMPANY)),
    "filings": _list(
        CrossRegionFiling, ("company_id", "region", "number?", "valid_from", "valid_to?"), {"company_id": Company}
    ),
    "sites": ListSpec(_site, {"managed_by": Company}, _columns(_SITE)),
    "posts": _list(Post, ("id", "site_id", "name_zh", "name_en?", "min_level?"), {"site_id": Site}),
    "guards": ListSpec(_guard, {"employer_id": Company}, _columns(_GUARD, {"name_zh": "姓名"})),
    "bars": _list(GuardBar, ("guard_id", "kind", "reason?", "valid_from", "valid_to?"), {"guard_id": Guard}),
    "contracts": _list(
        ServiceContract,
        ("company_id", "site_id", "valid_from", "valid_to", "contract_number?"),
        {"company_id": Company, "site_id": Site},
    ),
    "terminals": _list(
        Terminal, ("id", "site_id", "post_id?", "post_name_zh?", "min_level?"), {"site_id": Site, "post_id": Post}
    ),
    "shifts": _list(Shift, _SHIFT, {"site_id": Site, "post_id": Post}),
    "assignments": ListSpec(_assignment, {"site_id": Site, "guard_id": Guard}, _columns(_ASSIGNMENT)),
}
