"""Administrator's registry API under ``/api/admin``: list, read, upsert and delete each registry table,
import CSV/XLSX lists, and download timesheets.

Writes go through ``central.registry.upsert`` (by natural key, so a PUT of the
same body twice changes nothing). Service contracts are never deleted: they
are kept at least two years (条例 21). ID numbers are shown in clear here: this
router is for administrators only, and the application mounts it behind
their access check.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response, UploadFile, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from central.access.audit import audit
from central.access.scope import Scope
from central.api.deps import AdminScopeDep, IngestDep, SessionDep
from central.api.operations import FIRST_DAY, LAST_DAY
from central.api.paging import DB_INT_MAX, Page, PagingDep, page
from central.api.sweeps import sweep_and_notify
from central.attendance import timesheets
from central.checkins.ingest import Ingest
from central.errors import Conflict, DomainError, NotFound, Unprocessable, found
from central.paging import fetch
from central.registry.cards import issue_to, return_card, tech_of
from central.registry.import_files import template_csv
from central.registry.import_specs import SPECS
from central.registry.importer import import_bytes
from central.registry.models import Guard
from central.registry.resources import KEPT, READ_ONLY, RESOURCES
from central.registry.upsert import upsert
from protocol.cards import FORM_LABELS

router = APIRouter(prefix="/api/admin", tags=["registry"])


class Kept(DomainError):
    status = 405
    code = "registry.kept"


def _pk(model: type[SQLModel]) -> Any:
    return next(iter(model.__table__.primary_key.columns))  # type: ignore[attr-defined]


def _get(session: Session, model: type[SQLModel], key: str) -> Any:
    pk = _pk(model)
    value: Any = key
    if pk.type.python_type is int:
        if not (key.isascii() and key.isdigit()) or int(key) > DB_INT_MAX:  # "²" is a digit to isdigit()
            raise NotFound("record")
        value = int(key)
    return found(session.get(model, value), "record")


def _put(session: Session, model: type[SQLModel], body: dict[str, Any]) -> dict[str, Any]:
    try:
        row, outcome = upsert(session, model, body)
        session.commit()
    except ValueError as exc:  # pydantic's ValidationError is one; so is a bad "since"
        session.rollback()
        if not isinstance(exc, ValidationError):
            raise Unprocessable(str(exc), code="registry.invalid") from exc
        # Field names and reasons only, never the values: they may be ID numbers.
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise Unprocessable(f"字段无效 / invalid fields: {reasons}", code="registry.invalid") from exc
    except (IntegrityError, KeyError) as exc:
        session.rollback()
        raise Conflict("与已有记录冲突或缺少键 / conflict or missing key", code="registry.conflict") from exc
    session.refresh(row)
    return {"outcome": outcome.value, "row": row.model_dump(mode="json", warnings=False)}


def _after_write(session: Session, scope: Scope, ingest: Ingest | None, model: type[SQLModel], written: Any) -> None:
    """A new guard, or a guard's new ID number: compared with the wanted list (``central.api.sweeps``)."""
    if model is Guard and written["outcome"] != "unchanged":
        publish = ingest.publish if ingest is not None else None
        sweep_and_notify(session, scope, publish, why="guard written", guard_ids=[written["row"]["id"]])


def _add_routes(name: str, model: type[SQLModel], filters: tuple[str, ...]) -> None:
    def list_rows(session: SessionDep, request: Request, paging: PagingDep) -> Page[dict[str, Any]]:
        query = select(model)
        for field in filters:
            if field in request.query_params:
                query = query.where(getattr(model, field) == request.query_params[field])
        rows = fetch(session, query.order_by(col(_pk(model))), paging)
        return page(rows.map(lambda row: row.model_dump(mode="json", warnings=False)), paging)

    def get_row(session: SessionDep, key: str) -> dict[str, Any]:
        return dict(_get(session, model, key).model_dump(mode="json", warnings=False))

    def put_row(
        session: SessionDep, admin: AdminScopeDep, ingest: IngestDep, body: Annotated[dict[str, Any], Body()]
    ) -> dict[str, Any]:
        done = _put(session, model, body)
        key = done["row"].get(_pk(model).name, "")
        # Field names, not values: they may be ID numbers.
        audit(session, admin, f"registry.put.{name}", f"{name}:{key}", f"{done['outcome']} {','.join(sorted(body))}")
        _after_write(session, admin, ingest, model, done)
        return done

    def delete_row(session: SessionDep, admin: AdminScopeDep, key: str) -> Response:
        if name in KEPT:
            raise Kept("合同须保存两年以上 / contracts are kept (条例 21)")
        session.delete(_get(session, model, key))
        try:
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("仍被其他记录引用 / still referenced", code="registry.referenced") from exc
        audit(session, admin, f"registry.delete.{name}", f"{name}:{key}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    label = model.__name__
    router.add_api_route(f"/{name}", list_rows, methods=["GET"], summary=f"List {label}")
    router.add_api_route(f"/{name}/{{key}}", get_row, methods=["GET"], summary=f"Read {label}")
    if name in READ_ONLY:
        return
    router.add_api_route(f"/{name}", put_row, methods=["PUT"], summary=f"Create or update {label} by natural key")
    router.add_api_route(f"/{name}/{{key}}", delete_row, methods=["DELETE"], summary=f"Delete {label}", status_code=204)


class CardIssueRequest(BaseModel):
    number: str = Field(min_length=1, max_length=64, description="any form: printed decimal, FFF,CCCCC, hex, UID")
    kind: str | None = Field(default=None, max_length=16, description="em4100 / ID卡, or iso14443a / IC卡 (default)")
    guard_id: str = Field(min_length=1, max_length=32)
    since: date | None = None  # default: as far back as the registry knows


class CardReturnRequest(BaseModel):
    on: date


@router.post("/cards/issue")
def issue_card(body: CardIssueRequest, session: SessionDep, admin: AdminScopeDep) -> dict[str, Any]:
    """Issue a card to a guard, registering it if new; says which form the number was read as.

    409 when another guard holds the card (return it first) or a reader could not tell it from a registered card.
    """
    issued = issue_to(session, body.number, tech_of(body.kind), body.guard_id, body.since)
    card = issued.card.model_dump(mode="json")
    session.commit()
    audit(session, admin, "card.issue", issued.card.uid, f"to {body.guard_id}")
    number = issued.understood.number
    return {
        "outcome": "created" if issued.new else "unchanged",
        "card": card,
        "understood_as": issued.understood.form,
        "understood_as_zh": FORM_LABELS[issued.understood.form],
        "forms": number.forms(),
    }


@router.post("/cards/{card_uid}/return")
def return_card_route(
    card_uid: str, body: CardReturnRequest, session: SessionDep, admin: AdminScopeDep
) -> dict[str, Any]:
    """The card is handed back on ``on``; it can then be issued to another guard."""
    card = return_card(session, card_uid, body.on).model_dump(mode="json")
    session.commit()
    audit(session, admin, "card.return", card_uid, f"on {body.on}")
    return {"card": card}


for _name, (_model, _filters) in RESOURCES.items():
    _add_routes(_name, _model, _filters)


@router.get("/import/{kind}/template")
def import_template(kind: str, lang: Literal["zh", "en"] = "zh") -> Response:
    """An empty list of ``kind`` to fill in: its header line, Chinese (or field names), as CSV (UTF-8, BOM)."""
    if kind not in SPECS:
        raise NotFound("list_kind", f"one of {', '.join(SPECS)}")
    headers = {"Content-Disposition": f'attachment; filename="{kind}-template.csv"'}
    return Response(template_csv(kind, lang), media_type=_MEDIA["csv"], headers=headers)


@router.post("/import/{kind}")
async def import_list(
    kind: str, file: UploadFile, session: SessionDep, admin: AdminScopeDep, ingest: IngestDep
) -> dict[str, Any]:
    """Import a CSV or XLSX list (companies, sites, guards, contracts, …); refused rows come back with reasons.

    After a guards list, every registered guard is compared with the wanted list (``central.api.sweeps``).
    """
    if kind not in SPECS:
        raise NotFound("list_kind", f"one of {', '.join(SPECS)}")
    data = await file.read()
    report = import_bytes(session, kind, data, file.filename or "upload.csv")
    audit(session, admin, f"registry.import.{kind}", file.filename or "", report.summary())
    if kind == "guards" and report.changed:
        sweep_and_notify(session, admin, ingest.publish if ingest is not None else None, why="guards imported")
    return {
        "kind": report.kind,
        "rows": report.rows,
        "outcomes": {k.value: v for k, v in report.outcomes.items()},
        "refused": [r.public() for r in report.refused],
        "ignored_columns": list(report.ignored_columns),
        "summary": report.summary(),
    }


Format = Literal["json", "csv", "xlsx"]
_MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _sheet_response(session: Session, admin: Scope, sheet: timesheets.Timesheet, fmt: Format, stem: str,
                    site_ids: list[str] | None, guard_ids: list[str] | None) -> Any:  # fmt: skip
    chosen = f"sites={','.join(site_ids or ['*'])} guards={','.join(guard_ids or ['*'])}"
    audit(session, admin, f"export.timesheet.{fmt}", stem, f"{sheet.first}..{sheet.last} {chosen}")
    if fmt == "json":
        return {"first": sheet.first, "last": sheet.last, "rows": [asdict(r) for r in sheet.rows]}
    body = sheet.to_csv() if fmt == "csv" else sheet.to_xlsx()
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    return Response(body, media_type=_MEDIA[fmt], headers=headers)


# JSON by default; CSV or XLSX with ``format``.
_SHEET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, **{media: {} for media in _MEDIA.values()}}}
}


@router.get("/timesheets/daily", responses=_SHEET_RESPONSES)
def daily_timesheet(
    session: SessionDep,
    admin: AdminScopeDep,
    day: Annotated[date, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY)],
    site_id: Annotated[list[str] | None, Query()] = None,
    guard_id: Annotated[list[str] | None, Query()] = None,
    fmt: Annotated[Format, Query(alias="format")] = "json",
) -> Any:
    """One line per duty (or unrostered guard-day) on ``date``, as JSON, CSV or XLSX."""
    sheet = timesheets.daily(session, site_ids=site_id, guard_ids=guard_id, day=day)
    return _sheet_response(session, admin, sheet, fmt, f"timesheet-{day.isoformat()}", site_id, guard_id)


@router.get("/timesheets/monthly", responses=_SHEET_RESPONSES)
def monthly_timesheet(
    session: SessionDep,
    admin: AdminScopeDep,
    month: Annotated[str, Query(pattern=r"^2\d{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
    site_id: Annotated[list[str] | None, Query()] = None,
    guard_id: Annotated[list[str] | None, Query()] = None,
    group: timesheets.Group = "site",
    fmt: Annotated[Format, Query(alias="format")] = "json",
) -> Any:
    """Monthly sums per site and guard, or per guard, as JSON, CSV or XLSX."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise Unprocessable("月份无效 / invalid month", code="invalid.month") from exc
    sheet = timesheets.monthly(session, site_ids=site_id, guard_ids=guard_id, month=first, group=group)
    return _sheet_response(session, admin, sheet, fmt, f"timesheet-{month}-{group}", site_id, guard_id)
