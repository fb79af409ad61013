"""What central's commands share: settings loaded once, a configuration error as one line, the database.

A configuration error (a missing or wrong key, an unusable ID-number key, a
file that does not exist) is printed as one line naming the problem and the
fix, and the command exits with ``EXIT_CONFIG``; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from central.access.scope import Scope
    from central.config import CentralSettings

EXIT_FAILED = 1  # the command ran and could not do what was asked (bad input, refused rows)
EXIT_CONFIG = 2  # the command could not start: its configuration is wrong


class CommandError(Exception):
    """Stops a command with a message for the user and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def fail(command: str, message: str, code: int = EXIT_FAILED) -> int:
    sys.stderr.write(f"guardpost {command}: {message}\n")
    return code


def load(args: argparse.Namespace) -> CentralSettings:
    """The settings of ``--config`` and the environment, their ID-number key the process default.

    Without a key (outside demo mode) a command that touches no ID number still
    runs; one that does stops at the first number, naming ``id_protection.key``.
    Raises CommandError (EXIT_CONFIG) naming the key or value that is wrong.
    """
    from central.config import SettingsError, load_settings
    from central.db.sealing import IdProtectionError, use_by_default

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from exc
    try:
        use_by_default(settings.id_cipher())
    except IdProtectionError as exc:
        if settings.id_protection.key is not None:  # a key given but unusable is always an error
            raise CommandError(str(exc), EXIT_CONFIG) from exc
        use_by_default(None)
    return settings


def open_database(settings: CentralSettings, *, migrate: bool = True) -> Engine:
    """An engine on the settings' database, its schema made current unless ``migrate`` is False.

    Without an ID-number key (outside demo mode) the engine has none: the command
    stops at the first ID number it touches (IdProtectionError, reported as one line).
    """
    from central.db.engine import make_engine
    from central.db.migrations import SchemaTooNew
    from central.db.sealing import IdProtectionError
    from central.schema import create_db

    try:
        cipher = settings.id_cipher()
    except IdProtectionError as exc:
        if settings.id_protection.key is not None:
            raise CommandError(str(exc), EXIT_CONFIG) from exc
        cipher = None
    engine = make_engine(settings.database_url_resolved, id_cipher=cipher)
    if migrate:
        try:
            create_db(engine)
        except SchemaTooNew as exc:
            engine.dispose()
            raise CommandError(str(exc), EXIT_CONFIG) from exc
    return engine


def command_scope() -> Scope:
    """Who a command acts as in the audit log: the administrator, named by the login running it."""
    import getpass

    from central.access.models import Role
    from central.access.scope import Scope

    return Scope(f"cli:{getpass.getuser()}", Role.ADMIN)
