"""Police systems' webhooks over HTTP for administrators (``central.alerts.webhooks``): list, set up, remove.

The secret is taken, never answered; each change is audited as on ``/admin/webhooks``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from central.access.audit import audit
from central.alerts import webhooks
from central.api.deps import AdminScopeDep, SessionDep
from central.errors import NotFound

router = APIRouter(prefix="/api/admin/webhooks", tags=["webhooks"])

Jurisdiction = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]


class WebhookIn(BaseModel):
    url: str = Field(max_length=500)
    secret: str | None = Field(default=None, max_length=200, description="16 to 200 characters; omitted: keep it")


class WebhookPublic(BaseModel):
    jurisdiction: str
    url: str
    active: bool
    created_at: datetime
    updated_at: datetime
    pending: int  # deliveries waiting for a 2xx
    delivered: int
    last_error: str


def _public(state: webhooks.HookState) -> WebhookPublic:
    hook = state.hook
    return WebhookPublic(jurisdiction=hook.jurisdiction, url=hook.url, active=hook.active, created_at=hook.created_at,
                         updated_at=hook.updated_at, pending=state.pending, delivered=state.delivered,
                         last_error=state.last_error)  # fmt: skip


@router.get("")
def list_webhooks(session: SessionDep, _admin: AdminScopeDep) -> list[WebhookPublic]:
    """Every jurisdiction's webhook with its queue (never the secret)."""
    return [_public(state) for state in webhooks.states(session)]


@router.put("/{jurisdiction}")
def set_webhook(
    jurisdiction: Jurisdiction, body: WebhookIn, session: SessionDep, admin: AdminScopeDep
) -> WebhookPublic:
    """Set up or change the jurisdiction's webhook; alerts raised from now on are sent to it."""
    hook = webhooks.configure(session, jurisdiction, body.url, body.secret or None)
    audit(session, admin, "webhook.set", hook.jurisdiction, f"url={hook.url} secret_changed={bool(body.secret)}")
    return next(_public(s) for s in webhooks.states(session) if s.hook.jurisdiction == hook.jurisdiction)


@router.delete("/{jurisdiction}", status_code=status.HTTP_204_NO_CONTENT)
def remove_webhook(jurisdiction: Jurisdiction, session: SessionDep, admin: AdminScopeDep) -> None:
    """Stop sending to it (what was queued stays, and is sent if it is set up again)."""
    if not webhooks.remove(session, jurisdiction):
        raise NotFound("record", jurisdiction)
    audit(session, admin, "webhook.remove", jurisdiction)
