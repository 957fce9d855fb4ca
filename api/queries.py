"""SQL that several services share: which products are live, sort orders, product summaries.

Everything here is SQLAlchemy Core that runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, exists, false, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api import messages
from api.messages import AnyRow
from api.schema import product_images, product_ratings, products, variants
from contract import catalog_pb2

# What a ProductSummary is made of, besides its image and stock.
SUMMARY_COLUMNS = (
    products.c.id,
    products.c.slug,
    products.c.name,
    products.c.brand,
    products.c.price,
    products.c.compare_at_price,
    products.c.currency,
)


def is_live() -> ColumnElement[bool]:
    # Spelled as a comparison (not NOT discontinued) so the (category_id, discontinued) index
    # serves it on both databases.
    return products.c.discontinued == false()


def in_categories(category_ids: Iterable[int]) -> ColumnElement[bool]:
    return products.c.category_id.in_(sorted(category_ids))


# Columns every sort order reads, for a subquery that is sorted again outside.
SORT_COLUMNS = (
    products.c.id,
    products.c.position,
    products.c.price,
    products.c.created_at,
    products.c.name,
)


def sort_order(sort: int, columns: Any = products.c) -> list[ColumnElement[Any]]:
    """ORDER BY for a ProductSort, always ending on a unique column so pages never overlap.

    `columns` is products.c, or the columns of a subquery that selected SORT_COLUMNS.
    """
    c = columns
    if sort == catalog_pb2.PRODUCT_SORT_PRICE_ASC:
        return [c.price.asc(), c.id.asc()]
    if sort == catalog_pb2.PRODUCT_SORT_PRICE_DESC:
        return [c.price.desc(), c.id.asc()]
    if sort == catalog_pb2.PRODUCT_SORT_NEWEST:
        return [c.created_at.desc(), c.id.desc()]
    if sort == catalog_pb2.PRODUCT_SORT_NAME:
        return [c.name.asc(), c.id.asc()]
    return [c.position.asc(), c.id.asc()]


_first_image = product_images.alias("first_image")


def summary_statement(source: FromClause, product_id: Any) -> Select[Any]:
    """SUMMARY_COLUMNS, the first image and whether a variant is in stock, for each product
    `source` names by `product_id`: a page of summaries in one statement (see `summaries`)."""
    first_position = (
        select(func.min(product_images.c.position))
        .where(product_images.c.product_id == products.c.id)
        .scalar_subquery()
    )
    in_stock = exists().where(variants.c.product_id == products.c.id, variants.c.stock > 0)
    return select(
        *SUMMARY_COLUMNS,
        _first_image.c.url,
        _first_image.c.alt,
        _first_image.c.width,
        _first_image.c.height,
        in_stock.label("in_stock"),
        # The maintained rating figures (api/ratings.py): a primary-key read per product, as
        # scalar subqueries, so the statement's joins (and the planner's choices) stay as they
        # were without them.
        _rating_column(product_ratings.c.review_count),
        _rating_column(product_ratings.c.rating_sum),
    ).select_from(
        source.join(products, products.c.id == product_id).outerjoin(
            _first_image,
            and_(
                _first_image.c.product_id == products.c.id,
                _first_image.c.position == first_position,
            ),
        )
    )


def _rating_column(column: Any) -> Any:
    return (
        select(column)
        .where(product_ratings.c.product_id == products.c.id)
        .scalar_subquery()
        .label(column.name)
    )


def summaries(rows: Sequence[AnyRow]) -> list[catalog_pb2.ProductSummary]:
    """ProductSummary messages of summary_statement's rows, in their order."""
    return [
        messages.product_summary(
            row,
            row if row.url is not None else None,
            in_stock=bool(row.in_stock),
            rating=row if row.review_count else None,
        )
        for row in rows
    ]


async def product_summaries(
    conn: AsyncConnection, rows: Sequence[AnyRow]
) -> list[catalog_pb2.ProductSummary]:
    """Summaries for rows holding SUMMARY_COLUMNS, in their order: three queries for any count."""
    ids = sorted({row.id for row in rows})
    if not ids:
        return []
    first_images: dict[int, AnyRow] = {}
    image_rows = await conn.execute(
        select(product_images)
        .where(product_images.c.product_id.in_(ids))
        .order_by(product_images.c.product_id, product_images.c.position)
    )
    for image in image_rows:
        first_images.setdefault(image.product_id, image)
    in_stock = set(
        (
            await conn.scalars(
                select(variants.c.product_id)
                .where(variants.c.product_id.in_(ids), variants.c.stock > 0)
                .distinct()
            )
        ).all()
    )
    rated = {
        rating.product_id: rating
        for rating in await conn.execute(
            select(
                product_ratings.c.product_id,
                product_ratings.c.review_count,
                product_ratings.c.rating_sum,
            ).where(product_ratings.c.product_id.in_(ids))
        )
    }
    return [
        messages.product_summary(
            row, first_images.get(row.id), in_stock=row.id in in_stock, rating=rated.get(row.id)
        )
        for row in rows
    ]
