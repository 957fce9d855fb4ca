"""The listing index: category closure, listed products per category with their sort columns,
facet values per category, and facet counts; filled from the catalogue already there.

Written beside the search (0003), exactly-once writes (0004) and registration (0005)
migrations; it reached main after them, so it follows them.

The backfill is frozen SQL (not api/listing_index.py, which may change with later migrations)
that runs unchanged on SQLite and PostgreSQL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = (
    """
    INSERT INTO category_ancestors (category_id, ancestor_id)
    WITH RECURSIVE walk (category_id, ancestor_id) AS (
        SELECT id, id FROM categories
        UNION
        SELECT walk.category_id, parent.parent_id
        FROM walk JOIN categories AS parent ON parent.id = walk.ancestor_id
        WHERE parent.parent_id IS NOT NULL
    )
    SELECT category_id, ancestor_id FROM walk
    """,
    """
    INSERT INTO category_products (category_id, product_id, position, price, created_at, name)
    SELECT a.ancestor_id, p.id, p.position, p.price, p.created_at, p.name
    FROM products AS p JOIN category_ancestors AS a ON a.category_id = p.category_id
    WHERE p.discontinued = false
    """,
    """
    INSERT INTO category_facet_values (category_id, facet, value, product_id)
    SELECT l.category_id, 'brand', p.brand, l.product_id
    FROM category_products AS l JOIN products AS p ON p.id = l.product_id
    WHERE p.brand != ''
    UNION
    SELECT l.category_id, 'price_band',
        CASE WHEN p.price < 2500 THEN '0-25' WHEN p.price < 5000 THEN '25-50'
            WHEN p.price < 10000 THEN '50-100' WHEN p.price < 25000 THEN '100-250'
            ELSE '250-' END,
        l.product_id
    FROM category_products AS l JOIN products AS p ON p.id = l.product_id
    UNION
    SELECT l.category_id, 'colour', v.colour, l.product_id
    FROM category_products AS l JOIN variants AS v ON v.product_id = l.product_id
    WHERE v.colour != ''
    UNION
    SELECT l.category_id, 'size', v.size, l.product_id
    FROM category_products AS l JOIN variants AS v ON v.product_id = l.product_id
    WHERE v.size != ''
    """,
    """
    INSERT INTO category_facet_counts (category_id, facet, value, count)
    SELECT category_id, facet, value, count(*) FROM category_facet_values
    GROUP BY category_id, facet, value
    UNION ALL
    SELECT category_id, '', '', count(*) FROM category_products GROUP BY category_id
    """,
)
_TABLES = (
    "category_ancestors",
    "category_products",
    "category_facet_values",
    "category_facet_counts",
)


def upgrade() -> None:
    op.create_table(
        "category_ancestors",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ancestor_id"], ["categories.id"]),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint("category_id", "ancestor_id"),
    )
    op.create_table(
        "category_products",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("category_id", "product_id"),
    )
    op.create_table(
        "category_facet_values",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("category_id", "facet", "value", "product_id"),
    )
    op.create_table(
        "category_facet_counts",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint("category_id", "facet", "value"),
    )
    # Filled before the indexes are made: one sort per index instead of a million inserts each.
    for statement in _BACKFILL:
        op.execute(statement)
    listed = ("category_id",)
    op.create_index(
        "category_products_position", "category_products", [*listed, "position", "product_id"]
    )
    op.create_index(
        "category_products_price", "category_products", [*listed, "price", "product_id"]
    )
    op.create_index(
        "category_products_price_desc",
        "category_products",
        ["category_id", sa.text("price DESC"), "product_id"],
    )
    op.create_index(
        "category_products_created", "category_products", [*listed, "created_at", "product_id"]
    )
    op.create_index("category_products_name", "category_products", [*listed, "name", "product_id"])
    op.create_index("category_products_product", "category_products", ["product_id"])
    op.create_index(
        "category_facet_values_product",
        "category_facet_values",
        ["product_id", "category_id", "facet", "value"],
    )
    for table in _TABLES:
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    op.drop_index("category_facet_values_product", table_name="category_facet_values")
    for name in ("position", "price", "price_desc", "created", "name", "product"):
        op.drop_index(f"category_products_{name}", table_name="category_products")
    for table in reversed(_TABLES):
        op.drop_table(table)
