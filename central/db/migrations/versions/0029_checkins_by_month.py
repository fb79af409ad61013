"""Check-ins and violations partitioned by month on PostgreSQL; event ids claimed in ``checkinevent``.

PostgreSQL: ``checkin`` and ``violation`` become tables partitioned by range of
``occurred_at``, one partition per calendar month (UTC) for every month that
has rows and for this month and the next two, and a DEFAULT partition. Their
keys include ``occurred_at``; the event id's uniqueness moves to the
unpartitioned ``checkinevent`` (event_id, occurred_at, content_hash), which
ingest claims first and which violations and alerts now refer to. Cases no
longer have a foreign key to their violation (its key includes the month). The
rows are copied with both tables locked against writes (EXCLUSIVE: reads go on),
in the upgrade's one transaction.

SQLite keeps plain tables: it gets ``checkinevent`` and the same foreign keys
and constraints as PostgreSQL, by copying ``violation``, ``alert`` and
``violationcase`` (renamed away first with ``legacy_alter_table``, so that the
tables pointing at them keep pointing at the copy).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 04:30:00.000000
"""

from __future__ import annotations

import re

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

AHEAD = 2  # months created ahead of the current one (as central.checkins.partitions.AHEAD)

CHECKIN_INDEXES = {
    "ix_checkin_card_id_number_hash": "card_id_number_hash",
    "ix_checkin_employer_id_occurred_at": "employer_id, occurred_at",
    "ix_checkin_guard_id": "guard_id",
    "ix_checkin_occurred_at": "occurred_at",
    "ix_checkin_site_id_occurred_at": "site_id, occurred_at",
    "ix_checkin_terminal_id": "terminal_id",
}
CHECKIN_FKS = (
    "ALTER TABLE checkin ADD CONSTRAINT checkin_guard_id_fkey FOREIGN KEY (guard_id) REFERENCES guard(id)",
    "ALTER TABLE checkin ADD CONSTRAINT checkin_site_id_fkey FOREIGN KEY (site_id) REFERENCES site(id)",
    "ALTER TABLE checkin ADD CONSTRAINT fk_checkin_employer_id_company"
    " FOREIGN KEY (employer_id) REFERENCES company(id)",
)
VIOLATION_INDEXES = {
    "ix_violation_event_id": "event_id",
    "ix_violation_site_id_occurred_at": "site_id, occurred_at",
}


def upgrade() -> None:
    op.create_table(
        "checkinevent",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_checkinevent_occurred_at", "checkinevent", ["occurred_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE checkin, violation IN EXCLUSIVE MODE")
    op.execute(
        "INSERT INTO checkinevent (event_id, occurred_at, content_hash)"
        " SELECT event_id, occurred_at, content_hash FROM checkin"
    )
    op.execute(
        "UPDATE violation SET occurred_at = (SELECT c.occurred_at FROM checkin c WHERE c.event_id = violation.event_id)"
        " WHERE occurred_at IS NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        _partition()
    else:
        _sqlite_constraints(up=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition()
    else:
        _sqlite_constraints(up=False)
    op.drop_index("ix_checkinevent_occurred_at", table_name="checkinevent")
    op.drop_table("checkinevent")


def _months() -> list[str]:
    """The first days ('YYYY-MM-01') of every month with check-ins or violations, and of this month and AHEAD more."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT to_char(m, 'YYYY-MM-DD') FROM ("
            " SELECT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AS m FROM checkin"
            " UNION SELECT date_trunc('month', occurred_at AT TIME ZONE 'UTC') FROM violation"
            " UNION SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => k)"
            " FROM generate_series(0, :ahead) k) months WHERE m IS NOT NULL ORDER BY m"
        ),
        {"ahead": AHEAD},
    )
    return [row[0] for row in rows]


def _new_partitioned(table: str, months: list[str]) -> None:
    """``<table>_new``: the columns of ``table``, partitioned by month, its rows copied in."""
    op.execute(f"CREATE TABLE {table}_new (LIKE {table} INCLUDING DEFAULTS) PARTITION BY RANGE (occurred_at)")
    op.execute(f"CREATE TABLE {table}_default PARTITION OF {table}_new DEFAULT")
    for first in months:
        year, month = int(first[:4]), int(first[5:7])
        upper = f"{year + month // 12:04d}-{month % 12 + 1:02d}-01"
        op.execute(
            f"CREATE TABLE {table}_y{year:04d}m{month:02d} PARTITION OF {table}_new"
            f" FOR VALUES FROM ('{first} 00:00:00+00') TO ('{upper} 00:00:00+00')"
        )
    op.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")  # noqa: S608  (LIKE: the same columns in order)


def _partition() -> None:
    op.execute("ALTER TABLE alert DROP CONSTRAINT alert_alert_id_fkey")
    op.execute("ALTER TABLE violationcase DROP CONSTRAINT violationcase_violation_id_fkey")
    op.execute("ALTER TABLE violation ALTER COLUMN occurred_at SET NOT NULL")
    months = _months()
    _new_partitioned("checkin", months)
    _new_partitioned("violation", months)
    _swap_in("_new")
    op.execute("ALTER TABLE checkin ADD CONSTRAINT checkin_pkey PRIMARY KEY (event_id, occurred_at)")
    op.execute("ALTER TABLE violation ADD CONSTRAINT violation_pkey PRIMARY KEY (id, occurred_at)")
    op.execute(
        "ALTER TABLE violation ADD CONSTRAINT violation_event_id_code_occurred_at_key"
        " UNIQUE (event_id, code, occurred_at)"
    )
    _indexes_and_keys(referring_to="checkinevent")


def _swap_in(suffix: str) -> None:
    """``checkin<suffix>`` and ``violation<suffix>`` take the tables' names (violation's id sequence with it)."""
    op.execute("ALTER SEQUENCE violation_id_seq OWNED BY NONE")
    op.execute("DROP TABLE violation")  # with its partitions, if any
    op.execute("DROP TABLE checkin")
    op.execute(f"ALTER TABLE checkin{suffix} RENAME TO checkin")
    op.execute(f"ALTER TABLE violation{suffix} RENAME TO violation")
    op.execute("ALTER SEQUENCE violation_id_seq OWNED BY violation.id")


def _indexes_and_keys(referring_to: str) -> None:
    """The tables' indexes and foreign keys; violation's and alert's event ids refer to ``referring_to``."""
    for name, columns in CHECKIN_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON checkin ({columns})")
    for name, columns in VIOLATION_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON violation ({columns})")
    for statement in CHECKIN_FKS:
        op.execute(statement)
    op.execute(
        "ALTER TABLE violation ADD CONSTRAINT violation_event_id_fkey"
        f" FOREIGN KEY (event_id) REFERENCES {referring_to}(event_id)"
    )
    op.execute(
        "ALTER TABLE alert ADD CONSTRAINT alert_alert_id_fkey"
        f" FOREIGN KEY (alert_id) REFERENCES {referring_to}(event_id)"
    )


def _unpartition() -> None:
    op.execute("LOCK TABLE checkin, violation IN EXCLUSIVE MODE")
    op.execute("ALTER TABLE alert DROP CONSTRAINT alert_alert_id_fkey")
    for table in ("checkin", "violation"):
        op.execute(f"CREATE TABLE {table}_old (LIKE {table} INCLUDING DEFAULTS)")
        op.execute(f"INSERT INTO {table}_old SELECT * FROM {table}")  # noqa: S608
    _swap_in("_old")
    op.execute("ALTER TABLE violation ALTER COLUMN occurred_at DROP NOT NULL")
    op.execute("ALTER TABLE checkin ADD CONSTRAINT checkin_pkey PRIMARY KEY (event_id)")
    op.execute("ALTER TABLE violation ADD CONSTRAINT violation_pkey PRIMARY KEY (id)")
    op.execute("ALTER TABLE violation ADD CONSTRAINT violation_event_id_code_key UNIQUE (event_id, code)")
    _indexes_and_keys(referring_to="checkin")
    op.execute(
        "ALTER TABLE violationcase ADD CONSTRAINT violationcase_violation_id_fkey"
        " FOREIGN KEY (violation_id) REFERENCES violation(id)"
    )


def _sqlite_constraints(up: bool) -> None:
    """Re-point violation's and alert's keys (to checkinevent up, to checkin down) and cases' key to violation.

    Each table is rebuilt from its own CREATE statement, edited: copied aside,
    dropped, created anew under its name and filled again. Foreign keys are
    checked at commit (``defer_foreign_keys``): rows of other tables pointing at
    the dropped table find their rows again in the new one (a batch copy, which
    renames the copy, would leave them dangling and SQLite refuses that).
    """
    # Python's sqlite3 opens the transaction at the first INSERT/UPDATE/DELETE: open it now, or the DDL below
    # would commit statement by statement (and the deferral end with the first).
    op.execute("UPDATE alembic_version SET version_num = version_num")
    op.execute("PRAGMA defer_foreign_keys = ON")
    old, new = ("checkin", "checkinevent") if up else ("checkinevent", "checkin")
    edits = [
        (rf"REFERENCES {old} \(event_id\)", f"REFERENCES {new} (event_id)"),
        (r"\boccurred_at DATETIME NOT NULL", "occurred_at DATETIME"),
        (r"\bUNIQUE \(event_id, code(, occurred_at)?\)", "UNIQUE (event_id, code)"),
    ]
    if up:
        edits[1:] = [
            (r"\boccurred_at DATETIME\b(?! NOT NULL)", "occurred_at DATETIME NOT NULL"),
            (r"\bUNIQUE \(event_id, code\)", "UNIQUE (event_id, code, occurred_at)"),
        ]
    _rebuild("violation", edits)
    _rebuild("alert", [(rf"REFERENCES {old} \(event_id\)", f"REFERENCES {new} (event_id)")])
    if up:
        _rebuild("violationcase", [(r",\s*FOREIGN KEY\s*\(violation_id\) REFERENCES \"?violation\"? \(id\)", "")])
    else:
        _rebuild("violationcase", [(r"\s*\)\s*$", ", \n\tFOREIGN KEY(violation_id) REFERENCES violation (id)\n)")])


def _rebuild(table: str, edits: list[tuple[str, str]]) -> None:
    bind = op.get_bind()
    create = str(
        bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}).scalar()
    )
    for pattern, replacement in edits:
        create, count = re.subn(pattern, replacement, create)
        if count != 1:
            raise RuntimeError(f"0029: table {table} is not as expected ({pattern!r} found {count} times)")
    indexes = (
        bind.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
            {"t": table},
        )
        .scalars()
        .all()
    )
    op.execute(f"CREATE TABLE {table}_0029 AS SELECT * FROM {table}")  # noqa: S608
    op.execute(f"DROP TABLE {table}")
    op.execute(create)
    op.execute(f"INSERT INTO {table} SELECT * FROM {table}_0029")  # noqa: S608  (the same columns in order)
    op.execute(f"DROP TABLE {table}_0029")
    for index in indexes:
        op.execute(str(index))
