"""Guards found by a piece of their id or name through an index on PostgreSQL.

A search for a name anywhere in the id, Chinese or English name scanned every
guard (220 ms at a city's 100,000). A GIN index of each guard's bigrams (its
columns' two-character pieces, lower-cased) answers two-character Chinese
names as well, which a trigram index cannot. SQLite is unchanged.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 04:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

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


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in FUNCTIONS:
        op.execute(function)
    op.execute("CREATE INDEX ix_guard_search_bigrams ON guard USING gin (guard_search_bigrams(id, name_zh, name_en))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_guard_search_bigrams")
    op.execute("DROP FUNCTION IF EXISTS guard_search_bigrams(text, text, text)")
    op.execute("DROP FUNCTION IF EXISTS text_bigrams(text)")
