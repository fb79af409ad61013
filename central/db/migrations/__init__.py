"""Schema migrations (Alembic) for SQLite and PostgreSQL, run from code rather than an alembic.ini.

Every table of central is under migrations; ``central.schema`` says which
metadata that is and creates or upgrades a database (``create_db``). A new,
empty database gets ``create_all`` and is stamped at head
(``tests/central/db/test_migrations.py`` proves that upgrading an empty
database to head gives the same schema); a database under migrations is
upgraded. The revisions are frozen: they import nothing of central but
``central.db.types``. A change to the models needs a revision:
``guardpost registry db revision -m "what changed"``, then read and fix the
generated file (SQLite needs batch operations for most ALTERs).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, MetaData

HERE = Path(__file__).parent


def include_name(metadata: MetaData) -> Callable[[str | None, str, Any], bool]:
    """An Alembic ``include_name`` hook: tables outside ``metadata`` are not ours to create or drop."""

    def include(name: str | None, type_: str, _parent: Any) -> bool:
        return type_ != "table" or name in metadata.tables

    return include


def alembic_config(connection: Connection | None = None, metadata: MetaData | None = None) -> Config:
    """Alembic's configuration for a run on ``connection``; ``metadata`` is what autogenerate compares with."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata
    return config


class SchemaTooNew(Exception):
    """The database was migrated by a newer release: this one cannot know its schema."""


def check_not_newer(engine: Engine) -> None:
    """Raise SchemaTooNew when the database's revision is not one of this code's."""
    found = current(engine)
    if found is not None and not known(found):
        raise SchemaTooNew(
            f"数据库比本程序新，拒绝使用 / the database is at schema revision {found}, newer than this software "
            f"(head {head()}): run the release that upgraded it, or restore the backup taken before that upgrade"
        )


def upgrade(engine: Engine, revision: str = "head") -> None:
    check_not_newer(engine)
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


def known(revision: str) -> bool:
    """Whether ``revision`` is one of this code's revisions (a database from a newer release is not)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def differences(engine: Engine, metadata: MetaData) -> list[Any]:
    """What the database's schema lacks or has beyond ``metadata`` (empty when they agree)."""
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_name": include_name(metadata)}
        context = MigrationContext.configure(connection, opts=opts)
        diffs: list[Any] = compare_metadata(context, metadata)
    return diffs


def revision(engine: Engine, metadata: MetaData, message: str) -> None:
    """Write a new revision file with the differences between ``engine``'s schema (at head) and ``metadata``."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection, metadata), message=message, autogenerate=True)
