"""Guards' faces and fingerprints enrolled at central: photos and module templates in, the portrait out.

The administrator, or the guard's employer, uploads one or more photos; each is
checked by the face engine and kept or refused with the reason (Chinese first).
The templates reach the guard's terminals with their rosters within seconds
(the app wakes the roster publisher after every write here).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Response, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlmodel import select

from central.access.audit import audit
from central.access.models import Role
from central.access.scope import Scope
from central.api.deps import PhotoStoreDep, ScopeDep, SessionDep
from central.checkins import queries as checkin_queries
from central.errors import DomainError, NotFound, Unprocessable
from central.faces import MAX_PHOTO_BYTES
from central.registry.faces import enrol_photos, forget_faces, portrait_of
from central.registry.fingerprints import enrol_fingerprint, fingerprints_of, forget_fingerprints
from central.registry.models import Guard
from central.registry.queries import guard_scope

router = APIRouter(prefix="/api/guards", tags=["enrolment"])

MAX_PHOTOS = 10
GuardId = Annotated[str, PathParam(min_length=1, max_length=32)]


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class TooManyPhotos(DomainError):
    status = 413
    code = "enrolment.too_many"


def _guard(session: SessionDep, scope: Scope, guard_id: str, *, write: bool) -> Guard:
    """The guard as ``scope`` may see it; enrolment is the administrator's and the employer's."""
    guard = session.exec(select(Guard).where(Guard.id == guard_id, guard_scope(scope))).first()
    if guard is None:
        raise NotFound("guard", guard_id)
    if write and scope.role not in (Role.ADMIN, Role.COMPANY, Role.FIRM):
        raise Forbidden("只有管理员或用人单位可以登记人脸 / only the administrator or the employer enrols faces")
    return guard


@router.post("/{guard_id}/photos")
async def enrol(
    guard_id: GuardId, photos: Annotated[list[UploadFile], File()], session: SessionDep, scope: ScopeDep
) -> dict[str, Any]:
    """Add registration photos: usable ones become templates (the best five are kept), the rest say why."""
    guard = _guard(session, scope, guard_id, write=True)
    if len(photos) > MAX_PHOTOS:
        raise TooManyPhotos(f"一次最多 {MAX_PHOTOS} 张照片 / at most {MAX_PHOTOS} photos at a time")
    files = [(p.filename or f"photo-{i}", await p.read(MAX_PHOTO_BYTES + 1)) for i, p in enumerate(photos, start=1)]
    result = enrol_photos(session, guard.id, files)
    session.commit()
    kept = sum(p.kept for p in result.photos)
    audit(session, scope, "guard.enrol", guard.id, f"photos={len(files)} kept={kept} templates={result.templates}")
    return {"guard_id": guard.id, "templates": result.templates, "photos": [asdict(p) for p in result.photos]}


@router.post("/{guard_id}/photos/from-checkin/{event_id}")
def enrol_from_checkin(
    guard_id: GuardId, event_id: uuid.UUID, session: SessionDep, scope: ScopeDep, photos: PhotoStoreDep
) -> dict[str, Any]:
    """A supervisor confirms that a check-in photo shows the guard: it becomes one of the guard's templates."""
    guard = _guard(session, scope, guard_id, write=True)
    if checkin_queries.guard_of(session, event_id) != guard.id:
        raise NotFound("checkin", str(event_id))  # not this guard's card, or no such check-in
    key = checkin_queries.photo_path(session, scope, event_id)
    jpeg = photos.get(key) if key else None
    if jpeg is None:
        raise NotFound("photo", str(event_id))
    result = enrol_photos(session, guard.id, [(f"{event_id}.jpg", jpeg)], source="checkin")
    session.commit()
    outcome = result.photos[0]
    audit(session, scope, "guard.enrol_checkin", guard.id, f"event={event_id} kept={outcome.kept}")
    return {"guard_id": guard.id, "templates": result.templates, "photos": [asdict(outcome)]}


class FingerprintUpload(BaseModel):
    template_b64: Annotated[str, Field(min_length=4, max_length=2048, description="the template as UpChar sent it")]


@router.put("/{guard_id}/fingerprints/{finger}")
def enrol_finger(
    guard_id: GuardId,
    finger: Annotated[int, PathParam(ge=0, le=9, description="0 right thumb … 9 left little finger")],
    upload: FingerprintUpload,
    session: SessionDep,
    scope: ScopeDep,
) -> dict[str, Any]:
    """Store one finger's module template (read at an enrolment station); it reaches the terminals with the roster."""
    guard = _guard(session, scope, guard_id, write=True)
    try:
        template = base64.b64decode(upload.template_b64, validate=True)
    except binascii.Error as exc:
        raise Unprocessable("模板不是 base64 / the template is not base64", code="fingerprint.template") from exc
    enrol_fingerprint(session, guard.id, finger, template)
    session.commit()
    audit(session, scope, "guard.enrol_finger", guard.id, f"finger={finger} bytes={len(template)}")
    return {
        "guard_id": guard.id,
        "finger": finger,
        "fingers": len(fingerprints_of(session, [guard.id]).get(guard.id, [])),
    }


@router.delete("/{guard_id}/fingerprints")
def forget_fingers(guard_id: GuardId, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    """Remove the guard's fingerprint templates (the terminals drop them with the next roster)."""
    guard = _guard(session, scope, guard_id, write=True)
    removed = forget_fingerprints(session, guard.id)
    session.commit()
    audit(session, scope, "guard.forget_fingers", guard.id, f"removed={removed}")
    return {"guard_id": guard.id, "removed": removed}


@router.get("/{guard_id}/portrait", response_class=Response)
def portrait(guard_id: GuardId, session: SessionDep, scope: ScopeDep) -> Response:
    """The registered portrait (JPEG), shown beside check-in photos."""
    guard = _guard(session, scope, guard_id, write=False)
    jpeg = portrait_of(session, guard.id)
    if jpeg is None:
        raise NotFound("portrait", guard.id)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"})


@router.delete("/{guard_id}/faces")
def forget(guard_id: GuardId, session: SessionDep, scope: ScopeDep) -> dict[str, str]:
    """Remove the guard's templates and portrait (the terminals drop them with the next roster)."""
    guard = _guard(session, scope, guard_id, write=True)
    forget_faces(session, guard.id)
    session.commit()
    audit(session, scope, "guard.forget_faces", guard.id)
    return {"guard_id": guard.id}
