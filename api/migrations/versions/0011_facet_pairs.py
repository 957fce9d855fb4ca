"""Facet pair counts per category (category_facet_pairs), filled from the listing index already
there, and an index for the latest change of each category's live products.

The backfill is frozen SQL (not api/listing_index.py, which may change with later migrations)
that runs unchanged on SQLite and PostgreSQL: each product's own category's pairs, rolled up
through category_ancestors, then written both ways round.

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-05 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
    INSERT INTO category_facet_pairs (category_id, facet, value, other_facet, other_value, count)
    WITH leaf AS (
        SELECT mine.category_id, mine.facet, mine.value,
            other.facet AS other_facet, other.value AS other_value, count(*) AS products
        FROM category_facet_values AS mine
        JOIN category_facet_values AS other
            ON other.product_id = mine.product_id AND other.category_id = mine.category_id
            AND other.facet > mine.facet
        JOIN products AS p ON p.id = mine.product_id AND p.category_id = mine.category_id
        GROUP BY mine.category_id, mine.facet, mine.value, other.facet, other.value
    ),
    rolled AS (
        SELECT a.ancestor_id, leaf.facet, leaf.value, leaf.other_facet, leaf.other_value,
            sum(leaf.products) AS products
        FROM leaf JOIN category_ancestors AS a ON a.category_id = leaf.category_id
        GROUP BY a.ancestor_id, leaf.facet, leaf.value, leaf.other_facet, leaf.other_value
    )
    SELECT ancestor_id, facet, value, other_facet, other_value, products FROM rolled
    UNION ALL
    SELECT ancestor_id, other_facet, other_value, facet, value, products FROM rolled
"""


def upgrade() -> None:
    op.create_table(
        "category_facet_pairs",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("other_facet", sa.String(length=20), nullable=False),
        sa.Column("other_value", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint("category_id", "facet", "value", "other_facet", "other_value"),
    )
    op.execute(_BACKFILL)
    op.execute("ANALYZE category_facet_pairs")
    op.create_index(
        "products_category_updated",
        "products",
        ["category_id", "discontinued", "updated_at"],
        # A database whose products table was made from api/schema.py has it already.
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("products_category_updated", table_name="products", if_exists=True)
    op.drop_table("category_facet_pairs")
