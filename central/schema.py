"""Central's schema: every domain's tables, and making a database current.

The one module that knows all the tables (each domain owns its own models);
the migrations (``central.db.migrations``) compare with and build this
metadata, and ``create_db`` runs at every start of central and of the
commands that open the database.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, MetaData, inspect
from sqlmodel import SQLModel

# Importing the models registers their tables on SQLModel.metadata.
from central.access import models as _access  # noqa: F401
from central.alerts import models as _alerts  # noqa: F401
from central.alerts import webhook_models as _webhooks  # noqa: F401
from central.attendance import request_models as _attendance_requests  # noqa: F401
from central.cases import models as _cases  # noqa: F401
from central.checkins import models as _checkins  # noqa: F401
from central.compliance import models as _compliance  # noqa: F401
from central.db import migrations
from central.registry import cards as _cards  # noqa: F401
from central.registry import credentials as _credentials  # noqa: F401
from central.registry import employment as _employment  # noqa: F401
from central.registry import faces as _faces  # noqa: F401
from central.registry import fingerprints as _fingerprints  # noqa: F401
from central.registry import models as _registry  # noqa: F401
from central.registry import roster as _roster  # noqa: F401
from central.rosters import models as _rosters  # noqa: F401
from central.watchlist import models as _watchlist  # noqa: F401

logger = logging.getLogger(__name__)


def metadata() -> MetaData:
    """Every table of central: all are under migrations."""
    return SQLModel.metadata


def create_db(engine: Engine) -> None:
    """Make the schema current: upgrade a database under migrations, or create a new one at head.

    A new database gets ``create_all`` (fast) and is stamped at the head
    revision; tests/central/db/test_migrations.py proves that this schema is the
    one the migrations build. A database that predates migrations gets its
    missing tables and a warning.
    """
    tables = set(inspect(engine).get_table_names())
    if "alembic_version" in tables:
        before = migrations.current(engine)
        migrations.upgrade(engine)
        after = migrations.current(engine)
        if after != before:
            logger.info("database schema upgraded from revision %s to %s", before, after)
    metadata().create_all(engine)
    if not tables:
        migrations.stamp(engine)
    elif "alembic_version" not in tables:
        logger.warning("database not under migrations: check it, then run `guardpost registry db stamp`")


def differences(engine: Engine) -> list[object]:
    """What ``engine``'s schema lacks or has beyond the models (empty when they agree)."""
    return migrations.differences(engine, metadata())
