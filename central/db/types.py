"""Column types every table and every migration uses: aware UTC times and sealed ID numbers.

Stable on purpose: the migrations import this module and nothing else of
central, so that moving or refactoring the models never changes history. A
change here that alters what is stored needs a new revision, not an edit.

All timestamps are aware UTC in Python. SQLite keeps no offset, so
``UtcDateTime`` stores naive UTC there and re-attaches UTC on read; PostgreSQL
uses timestamptz. Enumerations are stored as short strings (``enum_column``),
not database enums, so that adding a value needs no migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, String, Text, TypeDecorator, event, inspect
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapper

from central.db.sealing import SEALED_LENGTH, IdCipher, cipher_for, is_sealed

__all__ = [
    "IdCipher",
    "SealedIdNumber",
    "UtcDateTime",
    "cipher_for",
    "enum_column",
    "hash_default",
    "is_sealed",
    "track_lookup_hash",
    "utcnow",
]


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both SQLite and PostgreSQL; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_column() -> Any:
    """The column type of a ``StrEnum`` field: a short string."""
    return String(24)


class SealedIdNumber(TypeDecorator[str]):
    """An ID number, sealed in the database and clear in Python. Never compare it in SQL: use the hash."""

    impl = String(SEALED_LENGTH)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher_for(dialect).seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else cipher_for(dialect).open(str(value))


class SealedBytes(TypeDecorator[bytes]):
    """A biometric template: sealed in the database (central.db.sealing), bytes in Python."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher_for(dialect).seal_bytes(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else cipher_for(dialect).open_bytes(str(value))


def hash_default(context: DefaultExecutionContext) -> str | None:
    """Column default of ``id_number_hash``: the hash of the row's ``id_number`` (also for bulk inserts)."""
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    number = parameters.get("id_number")
    return None if number is None else cipher_for(context.dialect).lookup_hash(number)


def track_lookup_hash(model: type[Any]) -> None:
    """Keep ``model.id_number_hash`` in step when the ORM updates ``id_number``."""

    def before_update(_mapper: Mapper[Any], connection: Any, target: Any) -> None:
        if inspect(target).attrs.id_number.history.has_changes():
            number = target.id_number
            target.id_number_hash = None if number is None else cipher_for(connection.dialect).lookup_hash(number)

    event.listen(model, "before_update", before_update)
