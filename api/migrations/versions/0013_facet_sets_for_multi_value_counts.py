"""Facet sets per category (category_facet_sets): the counts of a listing with several colours or
several sizes selected, filled from the catalogue already there.

The backfill is frozen here (not api/listing_index.py, which may change with later migrations):
the live products grouped by category, brand, price band, colours and sizes in SQL, each
group's rows (every set of its facets holding colour or size, with its whole set of colours
and of sizes joined) counted in Python in its category and every ancestor, then inserted.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FACETS = ("brand", "colour", "size", "price_band")
_BIT = {"brand": 1, "colour": 2, "size": 4, "price_band": 8}
_MULTI_VALUED = ("colour", "size")
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


def _joined(joined: str | None) -> str:
    """A product's colours (or sizes) as the table holds them: sorted, with the separator
    around and between them; "" for none."""
    values = sorted(value for value in (joined or "").split(_SEPARATOR) if value)
    return _SEPARATOR + _SEPARATOR.join(values) + _SEPARATOR if values else ""


def _backfill(bind: Any) -> None:
    # ORDER BY in PostgreSQL's aggregate: without it the grouping of a million products spilled
    # hash aggregates to disk and had not ended after 10 minutes; with it, 10 seconds.
    aggregate = (
        "string_agg(value, chr(31) ORDER BY value)"
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
        held = {"brand": brand, "colour": _joined(colours), "size": _joined(sizes)}
        held["price_band"] = band
        present = [facet for facet in _FACETS if held[facet]]
        for size in range(1, len(present) + 1):
            for chosen in itertools.combinations(present, size):
                if not any(facet in _MULTI_VALUED for facet in chosen):
                    continue
                mask = sum(_BIT[facet] for facet in chosen)
                row = tuple(held[facet] if facet in chosen else "" for facet in _FACETS)
                own[(category_id, mask, *row)] += grouped
    for (category_id, *key), n in own.items():
        for ancestor_id in ancestors.get(category_id, ()):
            counts[(ancestor_id, *key)] += n
    rows = [
        dict(zip(("category_id", "facets", *_FACETS, "count"), (*key, n), strict=True))
        for key, n in sorted(counts.items())  # in the key's order: appended, not scattered
    ]
    insert = sa.text(
        "INSERT INTO category_facet_sets"
        " (category_id, facets, brand, colour, size, price_band, count)"
        " VALUES (:category_id, :facets, :brand, :colour, :size, :price_band, :count)"
    )
    for start in range(0, len(rows), 20_000):
        bind.execute(insert, rows[start : start + 20_000])


def upgrade() -> None:
    op.create_table(
        "category_facet_sets",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("facets", sa.Integer(), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("colour", sa.Text(), nullable=False),
        sa.Column("size", sa.Text(), nullable=False),
        sa.Column("price_band", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        # The key holds the count: a range of it answers a facet's part alone (PostgreSQL:
        # index-only; SQLite: WITHOUT ROWID, the table is the key).
        sa.PrimaryKeyConstraint(
            "category_id",
            "facets",
            "brand",
            "colour",
            "size",
            "price_band",
            postgresql_include=["count"],
        ),
        sqlite_with_rowid=False,
    )
    _backfill(op.get_bind())
    op.execute("ANALYZE category_facet_sets")


def downgrade() -> None:
    op.drop_table("category_facet_sets")
