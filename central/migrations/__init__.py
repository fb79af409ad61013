"""Schema migrations (Alembic) for SQLite and PostgreSQL, run from code rather than an alembic.ini.

The registry and record tables (``central.models``, ``central.registry_models``)
and the access-control tables (``central.auth_models``, with the audit log's
append-only triggers) are under migrations. ``central.db.create_db`` creates a new, empty database
with ``create_all`` and stamps it at head (``tests/test_migrations.py`` proves
that upgrading an empty database to head gives the same schema), and upgrades
a database that is already under migrations. A change to those models needs a
revision: ``guardpost central db revision -m "what changed"``, then read and
fix the generated file (SQLite needs batch operations for most ALTERs).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

MODEL_MODULES = ("central.models", "central.registry_models", "central.auth_models")
HERE = Path(__file__).parent
# Alembic announces each of its plugins at INFO on every run; the revisions it runs are what matter.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def managed_metadata() -> MetaData:
    """The tables defined in ``MODEL_MODULES``, on a MetaData of their own."""
    metadata = MetaData()
    for name in MODEL_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            table = getattr(value, "__table__", None)
            if table is not None and getattr(value, "__module__", None) == name:
                table.to_metadata(metadata)
    return metadata


def include_name(metadata: MetaData) -> Callable[[str | None, str, Any], bool]:
    """An Alembic ``include_name`` hook: tables outside ``metadata`` are not ours to create or drop."""

    def include(name: str | None, type_: str, _parent: Any) -> bool:
        return type_ != "table" or name in metadata.tables

    return include


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def stamp(engine: Engine, revision: str = "head") -> None:
    """Record ``revision`` as applied without running it (for a schema made by ``create_all``)."""
    with engine.begin() as connection:
        command.stamp(alembic_config(connection), revision)


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def differences(engine: Engine) -> list[Any]:
    """What the database's schema lacks or has beyond the models (empty when they agree)."""
    metadata = managed_metadata()
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_name": include_name(metadata)}
        context = MigrationContext.configure(connection, opts=opts)
        diffs: list[Any] = compare_metadata(context, metadata)
    return diffs


def revision(engine: Engine, message: str) -> None:
    """Write a new revision file with the differences between ``engine``'s schema (at head) and the models."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
