"""A full-text index of product names alone, so that a search reads the products whose name
holds every word (api/fulltext.py: the name matches a relevance-ordered search ranks first)
without reading every product that holds the words anywhere.

PostgreSQL: a GIN index on to_tsvector('english', name), products_name_search.
SQLite: an FTS5 table over names, products_name_fts (porter stemming, as products_fts), kept in
step by migration 0003's three triggers, made again here with a statement for it each. A
column filter on products_fts ({name} : ...) answered the same, but read the position lists of
every product holding the words in any column: 11,000 rows for "black trainers" on a million
products, to find 443 names.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 12:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Migration 0003's triggers, each with `extra` statements for products_name_fts.
_INSERT = """CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, name, brand, search_text, description)
            VALUES (new.id, new.name, new.brand, new.search_text, new.description);
        INSERT INTO products_trigram(rowid, name) VALUES (new.id, new.name);{extra}
    END"""
_DELETE = """CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, brand, search_text, description)
            VALUES ('delete', old.id, old.name, old.brand, old.search_text, old.description);
        INSERT INTO products_trigram(products_trigram, rowid, name)
            VALUES ('delete', old.id, old.name);{extra}
    END"""
_UPDATE = """CREATE TRIGGER products_search_update
        AFTER UPDATE OF id, name, brand, search_text, description ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name, brand, search_text, description)
            VALUES ('delete', old.id, old.name, old.brand, old.search_text, old.description);
        INSERT INTO products_trigram(products_trigram, rowid, name)
            VALUES ('delete', old.id, old.name);
        INSERT INTO products_fts(rowid, name, brand, search_text, description)
            VALUES (new.id, new.name, new.brand, new.search_text, new.description);
        INSERT INTO products_trigram(rowid, name) VALUES (new.id, new.name);{extra}
    END"""
_NAME_INSERT = """
        INSERT INTO products_name_fts(rowid, name) VALUES (new.id, new.name);"""
_NAME_DELETE = """
        INSERT INTO products_name_fts(products_name_fts, rowid, name)
            VALUES ('delete', old.id, old.name);"""
_DROP_TRIGGERS = (
    "DROP TRIGGER products_search_insert",
    "DROP TRIGGER products_search_delete",
    "DROP TRIGGER products_search_update",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # The expression must be spelled as api/fulltext.py spells it for the planner to use it.
        op.execute(
            "CREATE INDEX products_name_search ON products"
            " USING gin (to_tsvector('english'::regconfig, name))"
        )
    elif dialect == "sqlite":
        op.execute(
            """CREATE VIRTUAL TABLE products_name_fts USING fts5(
                name, content='products', content_rowid='id',
                tokenize='porter unicode61 remove_diacritics 2'
            )"""
        )
        for statement in _DROP_TRIGGERS:
            op.execute(statement)
        op.execute(_INSERT.format(extra=_NAME_INSERT))
        op.execute(_DELETE.format(extra=_NAME_DELETE))
        op.execute(_UPDATE.format(extra=_NAME_DELETE + _NAME_INSERT))
        # The backfill: every name already in products.
        op.execute("INSERT INTO products_name_fts(products_name_fts) VALUES ('rebuild')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX products_name_search")
    elif dialect == "sqlite":
        for statement in _DROP_TRIGGERS:
            op.execute(statement)
        op.execute(_INSERT.format(extra=""))
        op.execute(_DELETE.format(extra=""))
        op.execute(_UPDATE.format(extra=""))
        op.execute("DROP TABLE products_name_fts")
