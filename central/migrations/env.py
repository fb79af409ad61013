"""Alembic environment: runs on the connection ``central.migrations`` passes in; batch mode for SQLite."""

from __future__ import annotations

from alembic import context

from central.migrations import include_name, managed_metadata

connection = context.config.attributes["connection"]
if connection is None:
    raise RuntimeError(
        "须传入数据库连接 / central.migrations runs with a connection: use central.migrations.upgrade(engine)"
    )
metadata = managed_metadata()
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_name=include_name(metadata),  # other modules' tables (created by create_all) are left alone
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
