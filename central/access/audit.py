"""The audit log: who did what, to what, when; append-only in the database itself."""

from __future__ import annotations

import logging

from sqlmodel import Session

from central.access.models import AuditEntry, Role
from central.access.scope import Scope

logger = logging.getLogger(__name__)


def audit(session: Session, scope: Scope, action: str, target: str = "", detail: str = "") -> None:
    """Append to the audit log and commit; the table refuses updates and deletes."""
    session.add(AuditEntry(actor=scope.actor, role=scope.role.value, action=action, target=target[:200], detail=detail))
    session.commit()
    logger.info("audit actor=%s role=%s action=%s target=%s", scope.actor, scope.role.value, action, target[:200])


SYSTEM = Scope("system", Role.ADMIN)
