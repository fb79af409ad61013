"""The audit log: who did what, to what, when and from which client address; append-only in the database itself."""

from __future__ import annotations

import logging

from sqlmodel import Session

from central.access.models import AuditEntry, Role
from central.access.scope import Scope

logger = logging.getLogger(__name__)


def audit(session: Session, scope: Scope, action: str, target: str = "", detail: str = "") -> None:
    """Append what ``scope`` did (from ``scope.address``) and commit; the table refuses updates and deletes."""
    record(session, scope.actor, scope.role.value, action, target, detail, scope.address)


def record(
    session: Session,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    detail: str = "",
    address: str | None = None,
) -> None:
    """Append an entry for an actor who may have no account (a failed login names what was typed)."""
    entry = AuditEntry(actor=actor[:64], role=role, action=action, target=target[:200], detail=detail, address=address)
    session.add(entry)
    session.commit()
    logger.info(
        "audit actor=%s role=%s action=%s target=%s address=%s",
        printable(actor[:64]), role, action, printable(target[:200]), address or "-",
    )  # fmt: skip


def printable(text: str) -> str:
    """``text`` with control and formatting characters escaped: a typed username cannot forge a log line."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


SYSTEM = Scope("system", Role.ADMIN)
