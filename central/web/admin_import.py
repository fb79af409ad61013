"""The administrator's registry import in the browser: choose a list and a file, see what would change and
what would be refused (by line, column and value), then import it.

The preview runs the real import and rolls it back, so it says exactly what
the import will do. The file travels back with the confirmation (encoded in
the page), so any worker can take it; it is read again and checked again.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from central.access.audit import audit
from central.access.models import Role
from central.api.deps import PageScopeDep, SessionDep
from central.api.sweeps import sweep_and_notify
from central.errors import DomainError
from central.registry.import_specs import SPECS
from central.registry.importer import ImportReport, import_bytes
from central.registry.upsert import Outcome
from central.web.i18n import MESSAGES
from central.web.police import forbidden
from central.web.render import render

router = APIRouter(include_in_schema=False)


def _context(kind: str | None, report: ImportReport | None = None, **more: Any) -> dict[str, Any]:
    kinds = [(k, MESSAGES.get(f"list_{k}", (k, k))) for k in SPECS]
    counts = None
    if report is not None:
        counts = {o.value: report.outcomes[o] for o in Outcome} | {"refused": len(report.refused)}
    return {"kinds": kinds, "kind": kind, "report": report, "counts": counts, **more}


@router.get("/admin/import")
def import_page(request: Request, scope: PageScopeDep) -> HTMLResponse:
    if scope.role is not Role.ADMIN:
        return forbidden(request, scope)
    return render(request, "import.html", scope, _context(None))


@router.post("/admin/import")
async def import_submit(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    kind: Annotated[str, Form(max_length=32)],
    action: Annotated[str, Form(pattern="^(preview|commit)$")] = "preview",
    file: Annotated[UploadFile | None, File()] = None,
    payload: Annotated[str | None, Form()] = None,
    filename: Annotated[str | None, Form(max_length=200)] = None,
) -> HTMLResponse:
    """``preview``: what the file would change and what it would refuse, nothing written; ``commit``: import it."""
    if scope.role is not Role.ADMIN:
        return forbidden(request, scope)
    if kind not in SPECS:
        return render(request, "import.html", scope, _context(None, error="import_pick_list"), status_code=422)
    try:
        if file is not None and file.filename:
            data, name = await file.read(), file.filename
        else:
            data, name = base64.b64decode(payload or "", validate=True), filename or "upload.csv"
    except binascii.Error:
        data, name = b"", filename or "upload.csv"
    if not data:
        return render(request, "import.html", scope, _context(kind, error="import_pick_file"), status_code=422)
    preview = action == "preview"
    try:
        report = import_bytes(session, kind, data, name, commit=not preview)
    except DomainError as exc:
        session.rollback()
        return render(request, "import.html", scope, _context(kind, refused_file=str(exc)), status_code=422)
    if not preview:
        audit(session, scope, f"registry.import.{kind}", name, report.summary())
        if kind == "guards" and report.changed:
            ingest = request.app.state.ingest
            sweep_and_notify(session, scope, ingest.publish if ingest is not None else None, why="guards imported")
    context = _context(kind, report, preview=preview, filename=name,
                       payload=base64.b64encode(data).decode("ascii") if preview else None)  # fmt: skip
    return render(request, "import.html", scope, context)
