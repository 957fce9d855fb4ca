"""A full-text index of product names alone on PostgreSQL, so that a search can read the
products whose name holds every word without reading the others (api/fulltext.py: the name
matches a relevance-ordered search ranks first). SQLite needs nothing: products_fts's column
filter ({name} : ...) answers the same from the index made by migration 0003.

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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The expression must be spelled as api/fulltext.py spells it for the planner to use it.
        op.execute(
            "CREATE INDEX products_name_search ON products"
            " USING gin (to_tsvector('english'::regconfig, name))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX products_name_search")
