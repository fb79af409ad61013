"""Tables of access control and accountability: accounts, sessions, API keys, the audit log.

The audit log refuses UPDATE and DELETE in the database itself (triggers on
SQLite and PostgreSQL), so no role, and no bug in a route, can edit it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Text, event, false, inspect
from sqlmodel import Field, SQLModel

from central.db.types import UtcDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"  # 系统管理员: everything, ID numbers in clear
    POLICE = "police"  # 公安: one jurisdiction, ID numbers in clear, every person look-up audited
    COMPANY = "company"  # 保安服务公司: its own guards, wherever they work
    FIRM = "firm"  # 物业 / 自行招用保安员单位: its own sites and its own guards


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    password_hash: str
    display_name: str = ""
    role: Role = Field(sa_type=Text)
    company_id: str | None = Field(default=None, foreign_key="company.id")  # company and firm roles
    jurisdiction: str | None = Field(default=None, max_length=32)  # police role
    # A police account that alerts not acknowledged in time are escalated to (值班领导 of the jurisdiction).
    supervisor: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Demo accounts have published passwords: they log in only when the service runs in demo mode.
    demo: bool = False
    active: bool = True
    # Set by an administrator's reset (a temporary password): nothing but changing it until it is changed.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class LoginSession(SQLModel, table=True):
    # The cookie holds the token; the database only its SHA-256, so a leaked table opens no session.
    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)


class LoginFailure(SQLModel, table=True):
    """Failed logins of one account or one client address (``central.access.throttle``), shared by every worker."""

    key: str = Field(primary_key=True, max_length=200)  # "user:<name>" or "addr:<address>"
    failures: int = 0
    window_start: datetime = Field(sa_type=UtcDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ApiKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(unique=True, max_length=16)  # shown in lists, identifies the key
    key_hash: str = Field(max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str = ""
    demo: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    actor: str = Field(max_length=64)  # username, or "system" for scheduled jobs
    role: str = Field(max_length=16)
    action: str = Field(max_length=48)  # e.g. person.lookup, export.timesheet, alert.status
    target: str = Field(default="", max_length=200)
    detail: str = Field(default="", sa_type=Text)
    address: str | None = Field(default=None, max_length=64)  # the client's, as the server saw it


_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS auditentry_no_update BEFORE UPDATE ON auditentry "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS auditentry_no_delete BEFORE DELETE ON auditentry "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
        # INSERT OR REPLACE deletes the row it replaces without firing the delete trigger.
        "CREATE TRIGGER IF NOT EXISTS auditentry_no_replace BEFORE INSERT ON auditentry "
        "WHEN EXISTS (SELECT 1 FROM auditentry WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$",
        "CREATE TRIGGER auditentry_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON auditentry "
        "FOR EACH STATEMENT EXECUTE FUNCTION auditentry_append_only()",
    ],
}


def _make_append_only(_table: Any, connection: Connection, **_kw: Any) -> None:
    for sql in _APPEND_ONLY.get(connection.dialect.name, []):
        connection.exec_driver_sql(sql)


event.listen(inspect(AuditEntry).local_table, "after_create", _make_append_only)


class AccountPublic(SQLModel):
    id: int
    username: str
    display_name: str
    role: Role
    company_id: str | None
    jurisdiction: str | None
    supervisor: bool = False
    active: bool = True
    must_change_password: bool = False  # a temporary password, not yet changed


class AccountCreate(SQLModel):
    username: str = Field(min_length=1, max_length=64)  # normalised and checked by central.access.policy
    password: str = Field(min_length=12, max_length=256)
    display_name: str = Field(default="", max_length=200)
    role: Role
    company_id: str | None = Field(default=None, max_length=32)
    jurisdiction: str | None = Field(default=None, max_length=32)
    supervisor: bool = False  # police only: receives escalated alerts


class ApiKeyPublic(SQLModel):
    id: int
    prefix: str
    name: str
    account_id: int
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str  # shown once; only its hash is stored


class AuditEntryPublic(SQLModel):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    detail: str
    address: str | None
