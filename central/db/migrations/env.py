"""Alembic environment: runs on the connection ``central.db.migrations`` passes in; batch mode for SQLite."""

from __future__ import annotations

from alembic import context

from central.db.migrations import include_name

connection = context.config.attributes["connection"]
if connection is None:
    raise RuntimeError(
        "须传入数据库连接 / central.db.migrations runs with a connection: use central.db.migrations.upgrade(engine)"
    )
metadata = context.config.attributes.get("metadata")  # given when autogenerating a revision
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_name=include_name(metadata) if metadata is not None else None,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
