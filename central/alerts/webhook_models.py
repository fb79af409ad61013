"""Police systems' webhooks: one URL and secret per jurisdiction, and the stored queue of what each is sent.

A delivery is queued once per alert and jurisdiction, with the message as it
was when queued; when the alert is escalated its message is replaced and sent
again (the same ``alert_id``: the receiver keeps the latest). It stays until the receiver answered 2xx: a restart, a
worker's death or the receiver's outage loses nothing (``central.alerts.webhooks``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from central.db.types import UtcDateTime, utcnow


class PoliceWebhook(SQLModel, table=True):
    jurisdiction: str = Field(primary_key=True, max_length=32)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=200)  # the HMAC key: kept as given, since each request is signed with it
    active: bool = True
    # Alerts raised from this moment on are sent (not the jurisdiction's whole history).
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class WebhookDelivery(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("alert_id", "jurisdiction"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: uuid.UUID = Field(index=True)  # no FK: the queue outlives an alert purged by retention
    jurisdiction: str = Field(max_length=32)
    body: str = Field(sa_type=Text)  # the JSON sent, byte for byte the same at every attempt
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # The body says the alert was escalated (nobody acknowledged it in time): sent again when it becomes so.
    escalated: bool = False
