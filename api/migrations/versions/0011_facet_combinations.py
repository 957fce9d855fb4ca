"""Facet combination counts per category (category_facet_combinations), filled from the
catalogue already there, and an index for the latest change of each category's live products.

The backfill is frozen here (not api/listing_index.py, which may change with later migrations):
the live products grouped by category, brand, price band, colours and sizes in SQL, each group's
combinations counted in Python in its category and every ancestor, then inserted.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-05 09:30:00
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FACETS = ("brand", "colour", "size", "price_band")
_BIT = {"brand": 1, "colour": 2, "size": 4, "price_band": 8}
_SEPARATOR = "\x1f"
_GROUPS = """
    WITH colours AS (
        SELECT product_id, {aggregate} AS joined
        FROM (SELECT DISTINCT product_id, colour AS value FROM variants WHERE colour != '') AS v
        GROUP BY product_id
    ),
    sizes AS (
        SELECT product_id, {aggregate} AS joined
        FROM (SELECT DISTINCT product_id, size AS value FROM variants WHERE size != '') AS v
        GROUP BY product_id
    ),
    listed AS (
        SELECT id, category_id, brand,
            CASE WHEN price < 2500 THEN '0-25' WHEN price < 5000 THEN '25-50'
                WHEN price < 10000 THEN '50-100' WHEN price < 25000 THEN '100-250'
                ELSE '250-' END AS band
        FROM products WHERE discontinued = false
    )
    SELECT listed.category_id, listed.brand, listed.band, colours.joined, sizes.joined, count(*)
    FROM listed
    LEFT JOIN colours ON colours.product_id = listed.id
    LEFT JOIN sizes ON sizes.product_id = listed.id
    GROUP BY listed.category_id, listed.brand, listed.band, colours.joined, sizes.joined
"""


def _split(joined: str | None) -> list[str]:
    return sorted(value for value in (joined or "").split(_SEPARATOR) if value)


def _backfill(bind: Any) -> None:
    aggregate = (
        "string_agg(value, chr(31))"
        if bind.dialect.name == "postgresql"
        else "group_concat(value, char(31))"
    )
    ancestors: dict[int, list[int]] = {}
    for category_id, ancestor_id in bind.execute(
        sa.text("SELECT category_id, ancestor_id FROM category_ancestors")
    ):
        ancestors.setdefault(category_id, []).append(ancestor_id)
    if not ancestors:
        return  # no listing index yet (a new database): the first rebuild fills the table
    own: Counter[Any] = Counter()  # in each product's own category, rolled up after
    counts: Counter[Any] = Counter()
    for category_id, brand, band, colours, sizes, grouped in bind.execute(
        sa.text(_GROUPS.format(aggregate=aggregate))
    ):
        values = {
            "brand": [brand] if brand else [],
            "colour": _split(colours),
            "size": _split(sizes),
            "price_band": [band],
        }
        present = [facet for facet in _FACETS if values[facet]]
        for size in range(1, len(present) + 1):
            for chosen in itertools.combinations(present, size):
                mask = sum(_BIT[facet] for facet in chosen)
                for picked in itertools.product(*(values[facet] for facet in chosen)):
                    row = dict(zip(chosen, picked, strict=True))
                    own[(category_id, mask, *(row.get(facet, "") for facet in _FACETS))] += grouped
    for (category_id, *key), n in own.items():
        for ancestor_id in ancestors.get(category_id, ()):
            counts[(ancestor_id, *key)] += n
    rows = [
        dict(zip(("category_id", "facets", *_FACETS, "count"), (*key, n), strict=True))
        for key, n in counts.items()
    ]
    insert = sa.text(
        "INSERT INTO category_facet_combinations"
        " (category_id, facets, brand, colour, size, price_band, count)"
        " VALUES (:category_id, :facets, :brand, :colour, :size, :price_band, :count)"
    )
    for start in range(0, len(rows), 20_000):
        bind.execute(insert, rows[start : start + 20_000])


def upgrade() -> None:
    op.create_table(
        "category_facet_combinations",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("facets", sa.Integer(), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("colour", sa.String(length=100), nullable=False),
        sa.Column("size", sa.String(length=100), nullable=False),
        sa.Column("price_band", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint("category_id", "facets", "brand", "colour", "size", "price_band"),
    )
    _backfill(op.get_bind())
    op.execute("ANALYZE category_facet_combinations")
    op.create_index(
        "products_category_updated",
        "products",
        ["category_id", "discontinued", "updated_at"],
        # A database whose products table was made from api/schema.py has it already.
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("products_category_updated", table_name="products", if_exists=True)
    op.drop_table("category_facet_combinations")
