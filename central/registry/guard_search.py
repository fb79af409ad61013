"""Finding guards by what was typed (id, Chinese or English name), fast at a city's 100,000 guards.

Every column is searched for the text anywhere in it (``central.db.text_search``):
on PostgreSQL that alone is a scan of every guard (220 ms at 100,000). A
trigram index does not serve the common search, a two-character Chinese name
(张伟), so PostgreSQL keeps a GIN index of each guard's two-character pieces
(bigrams, lower-cased; ``ix_guard_search_bigrams`` on ``guard``) and a search of
two characters or more first asks it for the guards holding all of the text's
bigrams; the substring test then decides among those few. SQLite, the
embedded default for one site, scans.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, ColumnElement, Dialect, Index, Table, event, func

from central.db.text_search import contains

INDEX = "ix_guard_search_bigrams"

# Bigrams of a text, lower-cased, each once (none for a single character), and a guard's: those of each of
# its columns (none across two). Built-in functions only: pg_restore builds the index with an empty
# search_path, where a call of another function of ours would not be found. Revision 0028 creates the same.
FUNCTIONS = (
    """CREATE OR REPLACE FUNCTION text_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, 2)), '{}')
  FROM generate_series(1, char_length(value) - 1) AS i
$$""",
    """CREATE OR REPLACE FUNCTION guard_search_bigrams(id text, name_zh text, name_en text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(v), i, 2)), '{}')
  FROM unnest(ARRAY[id, name_zh, name_en]) AS v, generate_series(1, char_length(v) - 1) AS i
$$""",
)


def _bigrams(table: Table) -> ColumnElement[Any]:
    return func.guard_search_bigrams(table.c.id, table.c.name_zh, table.c.name_en)


def index_guards(table: Table) -> None:
    """Give the guard table its bigram index on PostgreSQL, the functions it needs created before the table."""
    for ddl in FUNCTIONS:
        event.listen(table, "before_create", DDL(ddl).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]
    Index(INDEX, _bigrams(table), postgresql_using="gin").ddl_if(dialect="postgresql")


def matching(table: Table, text: str, dialect: Dialect) -> ColumnElement[bool]:
    """Guards whose id, Chinese name or English name holds ``text`` (case-insensitive, ``%`` and ``_`` literal)."""
    anywhere = contains(table.c.id, text) | contains(table.c.name_zh, text) | contains(table.c.name_en, text)
    if dialect.name != "postgresql" or len(text) < 2:
        return anywhere
    return _bigrams(table).op("@>")(func.text_bigrams(text)) & anywhere
