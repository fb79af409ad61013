"""Alerts POSTed to the police systems' webhooks, signed, at least once (docs/webhooks.md).

Each round of the leading worker (``central.db.leader``) queues the alerts
raised since a jurisdiction's webhook was set up (one delivery per alert, so
the receiver de-duplicates by ``alert_id``), then sends what is due. A request
carries ``X-Guardpost-Timestamp`` (Unix seconds) and ``X-Guardpost-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the jurisdiction's
secret>``. A 2xx answer delivers it; anything else is tried again after a
backoff that doubles from ``retry_base_s`` up to ``retry_max_s``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from central.alerts.models import Alert
from central.alerts.webhook_models import PoliceWebhook, WebhookDelivery
from central.alerts.workflow import police_message
from central.db.types import utcnow
from central.errors import Unprocessable

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Guardpost-Signature"
TIMESTAMP_HEADER = "X-Guardpost-Timestamp"
ALERT_ID_HEADER = "X-Guardpost-Alert-Id"


@dataclass(frozen=True, slots=True)
class Retry:
    timeout_s: float = 10.0
    base_s: float = 5.0
    max_s: float = 3600.0

    def after(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: base, 2 × base, 4 × base, … up to max."""
        return timedelta(seconds=min(self.max_s, self.base_s * 2 ** max(0, attempts - 1)))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def configure(session: Session, jurisdiction: str, url: str, secret: str | None) -> PoliceWebhook:
    """Set up (or change) ``jurisdiction``'s webhook; an empty ``secret`` keeps the one stored.
    Unprocessable, in words, for a URL that is not http(s) or a secret shorter than 16 characters."""
    jurisdiction, url = jurisdiction.strip(), url.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", jurisdiction):
        raise Unprocessable("辖区代码须为1至32个字母、数字或 _ . - / a jurisdiction is 1 to 32 of A-Z a-z 0-9 _ . -",
                            code="webhook.jurisdiction")  # fmt: skip
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise Unprocessable("推送地址须为 http:// 或 https:// 网址 / the URL must be an http:// or https:// address",
                            code="webhook.url")  # fmt: skip
    hook = session.get(PoliceWebhook, jurisdiction)
    if (secret or hook is None) and not 16 <= len(secret or "") <= 200:  # kept, or a new one given
        raise Unprocessable("签名密钥须为16至200个字符 / the secret has 16 to 200 characters", code="webhook.secret")
    if hook is None:
        hook = PoliceWebhook(jurisdiction=jurisdiction, url=url, secret=secret or "")
    hook.url, hook.secret, hook.active, hook.updated_at = url, secret or hook.secret, True, utcnow()
    session.add(hook)
    session.commit()
    session.refresh(hook)
    return hook


def remove(session: Session, jurisdiction: str) -> bool:
    """Stop ``jurisdiction``'s webhook (what was queued stays, sent if it is set up again); False if none."""
    hook = session.get(PoliceWebhook, jurisdiction)
    if hook is None:
        return False
    session.delete(hook)
    session.commit()
    return True


@dataclass(frozen=True, slots=True)
class HookState:
    hook: PoliceWebhook
    pending: int
    delivered: int
    last_error: str


def states(session: Session) -> list[HookState]:
    """Each webhook with its queue: waiting, delivered, and the latest failure of what waits."""
    found = []
    for hook in session.exec(select(PoliceWebhook).order_by(col(PoliceWebhook.jurisdiction))).all():
        mine = select(WebhookDelivery).where(WebhookDelivery.jurisdiction == hook.jurisdiction)
        waiting = session.exec(mine.where(col(WebhookDelivery.delivered_at).is_(None))).all()
        delivered = session.exec(
            select(func.count()).select_from(WebhookDelivery)
            .where(WebhookDelivery.jurisdiction == hook.jurisdiction, col(WebhookDelivery.delivered_at).is_not(None))
        ).one()  # fmt: skip
        errors = [d.last_error for d in sorted(waiting, key=lambda d: d.next_attempt_at) if d.last_error]
        found.append(HookState(hook, len(waiting), int(delivered), errors[-1] if errors else ""))
    return found


def enqueue(session: Session, public_url: str | None, limit: int = 500) -> int:
    """Queue each alert raised since its jurisdiction's active webhook was set up and not queued yet."""
    queued = select(WebhookDelivery.id).where(
        WebhookDelivery.alert_id == Alert.alert_id, WebhookDelivery.jurisdiction == Alert.jurisdiction
    )
    query = (
        select(Alert)
        .join(PoliceWebhook, col(PoliceWebhook.jurisdiction) == col(Alert.jurisdiction))
        .where(col(PoliceWebhook.active), col(Alert.created_at) >= col(PoliceWebhook.created_at), ~queued.exists())
        .order_by(col(Alert.created_at))
        .limit(limit)
    )
    count = 0
    for alert in session.exec(query).all():
        message = police_message(session, alert, public_url)
        if message is None:  # suppressed: no message is due
            continue
        escalated = alert.escalated_at is not None
        session.add(WebhookDelivery(alert_id=alert.alert_id, jurisdiction=alert.jurisdiction,
                                    body=message.model_dump_json(), escalated=escalated))  # fmt: skip
        count += 1
    session.commit()
    return count + _requeue_escalated(session, public_url, limit)


def _requeue_escalated(session: Session, public_url: str | None, limit: int) -> int:
    """Send again, as escalated, each queued alert escalated since (the same alert id: the receiver replaces it)."""
    query = (
        select(WebhookDelivery, Alert)
        .join(Alert, col(Alert.alert_id) == col(WebhookDelivery.alert_id))
        .where(col(Alert.escalated_at).is_not(None), col(WebhookDelivery.escalated).is_(False))
        .limit(limit)
    )
    count = 0
    for delivery, alert in session.exec(query).all():
        message = police_message(session, alert, public_url)
        if message is None:
            continue
        delivery.body, delivery.escalated = message.model_dump_json(), True
        delivery.delivered_at, delivery.attempts, delivery.last_error = None, 0, ""
        delivery.next_attempt_at = utcnow()
        session.add(delivery)
        count += 1
    session.commit()
    return count


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not a delivery: the body would not follow it (and the receiver should say where it is)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, secret: str, body: bytes, alert_id: str, timeout_s: float) -> str | None:
    """POST ``body`` signed; None once the receiver answered 2xx, else what went wrong."""
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "guardpost-central",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(secret, stamp, body),
        ALERT_ID_HEADER: alert_id,
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only)
    try:
        with _opener.open(request, timeout=timeout_s) as answer:
            return None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:500]


def deliver_due(engine: Engine, retry: Retry, now: datetime | None = None, limit: int = 50) -> tuple[int, int]:
    """Send the due deliveries (oldest first); (delivered, failed) this round. No transaction is held open
    while a receiver is waited for."""
    at = now or utcnow()
    with Session(engine) as session:
        due = session.exec(
            select(WebhookDelivery, PoliceWebhook)
            .join(PoliceWebhook, col(PoliceWebhook.jurisdiction) == col(WebhookDelivery.jurisdiction))
            .where(
                col(PoliceWebhook.active),
                col(WebhookDelivery.delivered_at).is_(None),
                col(WebhookDelivery.next_attempt_at) <= at,
            )  # fmt: skip
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
        ).all()
        jobs = [(d.id, d.body, str(d.alert_id), hook.url, hook.secret) for d, hook in due]
    delivered = failed = 0
    for delivery_id, body, alert_id, url, secret in jobs:
        error = post(url, secret, body.encode(), alert_id, retry.timeout_s)
        _record(engine, delivery_id, error, retry)
        delivered, failed = (delivered + 1, failed) if error is None else (delivered, failed + 1)
    return delivered, failed


def _record(engine: Engine, delivery_id: int | None, error: str | None, retry: Retry) -> None:
    with Session(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        delivery.attempts += 1
        if error is None:
            delivery.delivered_at, delivery.last_error = utcnow(), ""
        else:
            delivery.next_attempt_at, delivery.last_error = utcnow() + retry.after(delivery.attempts), error
            logger.warning("webhook %s: alert %s not delivered (attempt %d): %s",
                           delivery.jurisdiction, delivery.alert_id, delivery.attempts, error)  # fmt: skip
        session.add(delivery)
        session.commit()


def one_round(engine: Engine, public_url: str | None, retry: Retry) -> tuple[int, int]:
    with Session(engine) as session:
        enqueue(session, public_url)
    return deliver_due(engine, retry)


async def run_schedule(
    engine: Engine, public_url: str | None, retry: Retry, every_s: float, leads: Callable[[], bool]
) -> None:
    """Every ``every_s`` while ``leads()``: queue new alerts, send what is due; until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        try:
            if await asyncio.to_thread(leads):
                await asyncio.to_thread(one_round, engine, public_url, retry)
        except Exception:
            logger.exception("police webhooks round failed; next try in %.0f s", every_s)
