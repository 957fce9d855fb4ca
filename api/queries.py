"""SQL that several services share: which products are live, sort orders, product summaries.

Everything here is SQLAlchemy Core that runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from api import messages
from api.messages import AnyRow
from api.sales import SalePrices
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
    products.c.category_id,  # which sales cover it (api/sales.py)
)


def is_live() -> ColumnElement[bool]:
    # Spelled as a comparison (not NOT discontinued) so the (category_id, discontinued) index
    # serves it on both databases.
    return products.c.discontinued == false()


def among_ids(column: Any, ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """`column IN ids` as one bound parameter however many ids there are (a search's thousand
    results): PostgreSQL's `= ANY(array)`, SQLite's `IN (SELECT value FROM json_each(...))`.
    An IN of a thousand parameters costs milliseconds to render, and a statement per count."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    values = func.json_each(bindparam(None, json.dumps(list(ids)))).table_valued("value")
    return column.in_(select(values.c.value))  # type: ignore[no-any-return]


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
_second_image = product_images.alias("second_image")
_any_image = product_images.alias("any_image")


def _first_position(colours: Any) -> Any:
    """The position of the product's main picture: its first, or under a colour filter
    (`colours`, an expanding bind parameter) its first of a selected colour if it has one."""
    first = (
        select(func.min(_any_image.c.position))
        .where(_any_image.c.product_id == products.c.id)
        .scalar_subquery()
    )
    if colours is None:
        return first
    of_colour = (
        select(func.min(_any_image.c.position))
        .where(_any_image.c.product_id == products.c.id, _any_image.c.colour.in_(colours))
        .scalar_subquery()
    )
    return func.coalesce(of_colour, first)


def summary_statement(source: FromClause, product_id: Any, colours: Any = None) -> Select[Any]:
    """SUMMARY_COLUMNS, the main picture and the next of its colour (a card's hover), and
    whether a variant is in stock, for each product `source` names by `product_id`: a page of
    summaries in one statement (see `summaries`). `colours`: see _first_position."""
    in_stock = exists().where(variants.c.product_id == products.c.id, variants.c.stock > 0)
    return select(
        *SUMMARY_COLUMNS,
        _first_image.c.url,
        _first_image.c.alt,
        _first_image.c.width,
        _first_image.c.height,
        _first_image.c.colour,
        _second_image.c.url.label("second_url"),
        _second_image.c.alt.label("second_alt"),
        _second_image.c.width.label("second_width"),
        _second_image.c.height.label("second_height"),
        _second_image.c.colour.label("second_colour"),
        in_stock.label("in_stock"),
        # The maintained rating figures (api/ratings.py): a primary-key read per product, as
        # scalar subqueries, so the statement's joins (and the planner's choices) stay as they
        # were without them.
        _rating_column(product_ratings.c.review_count),
        _rating_column(product_ratings.c.rating_sum),
    ).select_from(
        source.join(products, products.c.id == product_id)
        .outerjoin(
            _first_image,
            and_(
                _first_image.c.product_id == products.c.id,
                _first_image.c.position == _first_position(colours),
            ),
        )
        .outerjoin(
            _second_image,
            and_(
                _second_image.c.product_id == products.c.id,
                _second_image.c.position == _first_image.c.position + 1,
                _second_image.c.colour == _first_image.c.colour,
            ),
        )
    )


class _SecondImage(NamedTuple):
    url: str
    alt: str
    width: int
    height: int
    colour: str


def _second(row: AnyRow) -> _SecondImage | None:
    if row.second_url is None:
        return None
    return _SecondImage(
        row.second_url, row.second_alt, row.second_width, row.second_height, row.second_colour
    )


def _rating_column(column: Any) -> Any:
    return (
        select(column)
        .where(product_ratings.c.product_id == products.c.id)
        .scalar_subquery()
        .label(column.name)
    )


def summaries(
    rows: Sequence[AnyRow], sales: SalePrices | None = None
) -> list[catalog_pb2.ProductSummary]:
    """ProductSummary messages of summary_statement's rows, in their order, at sale prices."""
    return [
        messages.product_summary(
            row,
            row if row.url is not None else None,
            in_stock=bool(row.in_stock),
            second_image=_second(row),
            sales=sales,
            rating=row if row.review_count else None,
        )
        for row in rows
    ]


async def product_summaries(
    conn: AsyncConnection, rows: Sequence[AnyRow], sales: SalePrices | None = None
) -> list[catalog_pb2.ProductSummary]:
    """Summaries for rows holding SUMMARY_COLUMNS, in their order: three queries for any count."""
    ids = sorted({row.id for row in rows})
    if not ids:
        return []
    # A card's main picture (the first) and hover picture (the next, when it shows the same
    # colour), as summary_statement picks them.
    cards: dict[int, list[AnyRow]] = defaultdict(list)
    image_rows = await conn.execute(
        select(product_images)
        .where(product_images.c.product_id.in_(ids))
        .order_by(product_images.c.product_id, product_images.c.position)
    )
    for image in image_rows:
        shown = cards[image.product_id]
        if not shown or (len(shown) == 1 and image.colour == shown[0].colour):
            shown.append(image)
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
            row,
            cards[row.id][0] if cards[row.id] else None,
            in_stock=row.id in in_stock,
            second_image=cards[row.id][1] if len(cards[row.id]) > 1 else None,
            sales=sales,
            rating=rated.get(row.id),
        )
        for row in rows
    ]
