"""Full-text search on each database's own engine, filled from the rows already there.

SQLite: two FTS5 tables over products (external content, so the text is stored once), kept in
step by triggers on every insert, update and delete: products_fts (porter stemming, for
matching and bm25 ranking) and products_trigram (names cut in trigrams: suggestions as a
shopper types and candidates for misspelt words).
PostgreSQL: products.search_vector, a generated tsvector (english stemming; name weighted A,
brand B, search_text C, description D) with a GIN index, and a trigram GIN index on names
(pg_trgm, created in the public schema so every schema of the database shares one).

None of this is in api/schema.py's metadata: api/schema.py: SEARCH_INDEX_NAMES keeps Alembic's
comparison away from it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 06:20:00
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UPGRADE = (
    """CREATE VIRTUAL TABLE products_fts USING fts5(
        name, brand, search_text, description,
        content='products', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2',
        prefix='1 2'
    )""",
    """CREATE VIRTUAL TABLE products_trigram USING fts5(
        name, content='products', content_rowid='id', tokenize='trigram'
    )""",
    """CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, name, brand, search_text, description)
            VALUES (new.id, new.name, new.brand, new.search_text, new.description);
        INSERT INTO products_trigram(rowid, name) VALUES (new.id, new.name);
    END""",
    """CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, brand, search_text, description)
            VALUES ('delete', old.id, old.name, old.brand, old.search_text, old.description);
        INSERT INTO products_trigram(products_trigram, rowid, name)
            VALUES ('delete', old.id, old.name);
    END""",
    """CREATE TRIGGER products_search_update
        AFTER UPDATE OF id, name, brand, search_text, description ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, brand, search_text, description)
            VALUES ('delete', old.id, old.name, old.brand, old.search_text, old.description);
        INSERT INTO products_trigram(products_trigram, rowid, name)
            VALUES ('delete', old.id, old.name);
        INSERT INTO products_fts(rowid, name, brand, search_text, description)
            VALUES (new.id, new.name, new.brand, new.search_text, new.description);
        INSERT INTO products_trigram(rowid, name) VALUES (new.id, new.name);
    END""",
    # The backfill: both indexes read every row already in products.
    "INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
    "INSERT INTO products_trigram(products_trigram) VALUES ('rebuild')",
)
_SQLITE_DOWNGRADE = (
    "DROP TRIGGER products_search_update",
    "DROP TRIGGER products_search_delete",
    "DROP TRIGGER products_search_insert",
    "DROP TABLE products_trigram",
    "DROP TABLE products_fts",
)

_POSTGRES_UPGRADE = (
    # Trusted since PostgreSQL 13: a database owner may create it. In public, not in the
    # current schema: an extension exists once per database, and a schema dropped with
    # CASCADE would take it away from every other schema's indexes.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public",
    # Generated, so PostgreSQL keeps it in step with every write, and fills it for the rows
    # already there as the column is added.
    """ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, name), 'A')
        || setweight(to_tsvector('english'::regconfig, brand), 'B')
        || setweight(to_tsvector('english'::regconfig, search_text), 'C')
        || setweight(to_tsvector('english'::regconfig, description), 'D')
    ) STORED""",
    "CREATE INDEX products_search ON products USING gin (search_vector)",
    "CREATE INDEX products_name_trigram ON products USING gin (name public.gin_trgm_ops)",
)
_POSTGRES_DOWNGRADE = (
    "DROP INDEX products_name_trigram",
    "DROP INDEX products_search",
    "ALTER TABLE products DROP COLUMN search_vector",
    # pg_trgm stays: other schemas of the database may use it.
)


# FTS5's trigram tokenizer came with SQLite 3.34.
SQLITE_TRIGRAM_VERSION = (3, 34, 0)


def _run(statements: dict[str, tuple[str, ...]]) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite" and sqlite3.sqlite_version_info < SQLITE_TRIGRAM_VERSION:
        raise RuntimeError(
            f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer: search needs 3.34+"
        )
    if dialect not in statements:
        raise NotImplementedError(f"full-text search is written for {', '.join(statements)}")
    for statement in statements[dialect]:
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": _SQLITE_UPGRADE, "postgresql": _POSTGRES_UPGRADE})


def downgrade() -> None:
    _run({"sqlite": _SQLITE_DOWNGRADE, "postgresql": _POSTGRES_DOWNGRADE})
