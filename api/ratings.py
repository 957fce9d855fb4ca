"""Each product's rating figures (product_ratings), kept in step with its published reviews.

Every transaction that changes what is published for a product (a review written, edited,
deleted, moderated) calls `lock` first and `recount` last. `lock` writes the product's row
before anything else, so such transactions of one product run one after the other
(PostgreSQL: the row's lock; SQLite: the one write lock), and `recount` then counts that
product's published reviews afresh: the figures are exact after every commit, never adjusted by
a delta that a concurrent change could have made stale. Counting one product's reviews is an
index range; listings only ever read the row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.schema import product_ratings, reviews
from contract import reviews_pb2

PUBLISHED = reviews_pb2.REVIEW_STATUS_PUBLISHED
STARS = ("stars_1", "stars_2", "stars_3", "stars_4", "stars_5")
_ZERO = {"review_count": 0, "rating_sum": 0, **dict.fromkeys(STARS, 0)}


async def lock(conn: AsyncConnection, product_id: int) -> None:
    """The product's figures row, made if missing and written: the transaction's first write."""
    dialect_insert: Any = postgres_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(
        dialect_insert(product_ratings)
        .values(product_id=product_id, **_ZERO)
        .on_conflict_do_nothing(index_elements=[product_ratings.c.product_id])
    )
    await conn.execute(
        update(product_ratings)
        .where(product_ratings.c.product_id == product_id)
        .values(review_count=product_ratings.c.review_count)
    )


async def recount(conn: AsyncConnection, product_id: int) -> None:
    """Set the product's figures from its published reviews; a product left with none loses
    its row, so listings join nothing for it."""
    counts = dict.fromkeys(range(1, 6), 0)
    for rating, count in await conn.execute(
        select(reviews.c.rating, func.count())
        .where(reviews.c.product_id == product_id, reviews.c.status == PUBLISHED)
        .group_by(reviews.c.rating)
    ):
        counts[int(rating)] = int(count)
    total = sum(counts.values())
    if not total:
        await conn.execute(
            product_ratings.delete().where(product_ratings.c.product_id == product_id)
        )
        return
    await conn.execute(
        update(product_ratings)
        .where(product_ratings.c.product_id == product_id)
        .values(
            review_count=total,
            rating_sum=sum(stars * count for stars, count in counts.items()),
            **{STARS[stars - 1]: count for stars, count in counts.items()},
        )
    )


def average_tenths(rating_sum: int, review_count: int) -> int:
    """The average times ten, rounded half up (4.25 -> 43), in integers: no float drift."""
    if not review_count:
        return 0
    return (rating_sum * 20 + review_count) // (review_count * 2)


def summary(product_id: int, row: Any | None) -> reviews_pb2.RatingSummary:
    """The full summary (with the distribution) from a product_ratings row, or none."""
    if row is None:
        return reviews_pb2.RatingSummary(product_id=product_id, star_counts=[0] * 5)
    return reviews_pb2.RatingSummary(
        product_id=product_id,
        review_count=row.review_count,
        average_tenths=average_tenths(row.rating_sum, row.review_count),
        star_counts=[getattr(row, name) for name in STARS],
    )


async def read_summary(conn: AsyncConnection, product_id: int) -> reviews_pb2.RatingSummary:
    row = (
        await conn.execute(
            select(product_ratings).where(product_ratings.c.product_id == product_id)
        )
    ).one_or_none()
    return summary(product_id, row)
