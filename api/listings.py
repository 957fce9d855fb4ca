"""A category's page of products and its facet counts, read from the listing index
(api/listing_index.py) rather than counted over the subtree's products.

Bounds, per call, for a category whose subtree lists N live products:
- unfiltered counts: one primary-key range of category_facet_counts (a row per facet value);
- filtered counts: one statement per distinct set of filters (one with a single facet selected,
  1 + k with k selected), each reading the products the selected values name (primary-key ranges
  of category_facet_values), never the other products of N; the total is the price bands' sum;
- a page: the sort's index of category_products from its start, offset + page size entries
  (with filters, entries until that many match), then one primary-key read per shown product.
  Deep pages are an offset on that index: page P costs P x page size index entries, bounded by N
  (a page past the end is not read at all). See docs/catalogue.md for the measured figures.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.facets import COLOUR, FACETS, PRICE_BAND, FacetCounts, FacetSelection
from api.listing_index import TOTAL
from api.messages import AnyRow
from api.queries import sort_order, summary_statement
from api.schema import (
    categories,
    category_facet_counts,
    category_facet_values,
    category_products,
    products,
)

_listed = category_products.c
_values = category_facet_values.c
_counts = category_facet_counts.c
# category_products' columns under the names sort_order reads.
_SORT_COLUMNS = SimpleNamespace(
    id=_listed.product_id,
    position=_listed.position,
    price=_listed.price,
    created_at=_listed.created_at,
    name=_listed.name,
)


@dataclass(frozen=True)
class ListingStats:
    total: int
    facet_counts: FacetCounts


async def listing_stats(
    engine: AsyncEngine, category_id: int, selection: FacetSelection
) -> ListingStats:
    """The total and every facet's counts: a facet's counts apply every filter but its own."""
    async with engine.connect() as conn:
        unfiltered = await _unfiltered_counts(conn, category_id)
    if selection.is_empty():
        return ListingStats(unfiltered.get(TOTAL, {}).get(TOTAL, 0), unfiltered)

    # Facets whose counts apply the same filters are counted together, in one pass over the
    # products those filters leave: every unselected facet applies all of them, and each
    # selected one all but its own (none left: the unfiltered counts apply).
    counts: dict[str, dict[str, int]] = {}
    together: dict[str | None, list[str]] = {}
    selected = _selected(selection)
    for facet in FACETS:
        if not [other for other in selected if other != facet]:
            counts[facet] = unfiltered.get(facet, {})
        else:
            together.setdefault(facet if selection.selected(facet) else None, []).append(facet)

    async def count(besides: str | None, facets: list[str]) -> dict[str, dict[str, int]]:
        statement = _counts_statement(tuple(facets), selected, besides)
        async with engine.connect() as conn:
            result = await conn.execute(statement, _parameters(category_id, selection))
        counted: dict[str, dict[str, int]] = {facet: {} for facet in facets}
        for row in result:
            counted[row.facet][row.value] = row.products
        return counted

    # Each on a connection of its own: the slowest is waited, not the sum.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(count(besides, facets)) for besides, facets in together.items()]
    for task in tasks:
        counts |= task.result()
    return ListingStats(_total(counts, selection), counts)


def _total(counts: FacetCounts, selection: FacetSelection) -> int:
    """Every listed product has exactly one price band, and the bands' counts apply every
    filter but the band's own: their sum over the selected bands (all, when none is) is the
    total under every filter, with no count of its own."""
    bands = counts.get(PRICE_BAND, {})
    chosen = selection.selected(PRICE_BAND) or tuple(bands)
    return sum(bands.get(band, 0) for band in chosen)


async def listing_page(
    conn: AsyncConnection,
    category_id: int,
    selection: FacetSelection,
    sort: int,
    *,
    offset: int,
    limit: int,
) -> Sequence[AnyRow]:
    """One page of summary rows (api/queries.py summary_statement), in the sort's order."""
    parameters = _parameters(category_id, selection) | {"offset": offset, "limit": limit}
    result = await conn.execute(_page_statement(sort, _selected(selection)), parameters)
    return result.all()


# Statements are built once per shape (sort, which facets are selected) and bound per call:
# building a Core statement costs about as much CPU as running a small one.
_CATEGORY = bindparam("category_id", type_=Integer)


def _selected(selection: FacetSelection) -> tuple[str, ...]:
    return tuple(facet for facet in FACETS if selection.selected(facet))


def _parameters(category_id: int, selection: FacetSelection) -> dict[str, Any]:
    values = {f"{facet}_values": list(selection.selected(facet)) for facet in FACETS}
    return {"category_id": category_id} | values


@functools.cache
def _page_statement(sort: int, selected: tuple[str, ...]) -> Select[Any]:
    listed = (
        select(*_SORT_COLUMNS.__dict__.values())
        .where(_listed.category_id == _CATEGORY, *_filters(_listed.product_id, selected))
        .order_by(*sort_order(sort, _SORT_COLUMNS))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("listed")
    )
    page_order = SimpleNamespace(
        id=listed.c.product_id,
        **{name: listed.c[name] for name in ("position", "price", "created_at", "name")},
    )
    # Under a colour filter, cards show a picture of a selected colour.
    colours: Any = bindparam(f"{COLOUR}_values", expanding=True) if COLOUR in selected else None
    return summary_statement(listed, listed.c.product_id, colours).order_by(
        *sort_order(sort, page_order)
    )


_UNFILTERED_COUNTS = select(_counts.facet, _counts.value, _counts.count).where(
    _counts.category_id == _CATEGORY
)


async def _unfiltered_counts(conn: AsyncConnection, category_id: int) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for facet, value, count in await conn.execute(_UNFILTERED_COUNTS, {"category_id": category_id}):
        counts.setdefault(facet, {})[value] = count
    return counts


@functools.cache
def _counts_statement(
    facets: tuple[str, ...], selected: tuple[str, ...], besides: str | None
) -> Select[Any]:
    return (
        select(_values.facet, _values.value, func.count().label("products"))
        .where(
            _values.category_id == _CATEGORY,
            _values.facet.in_(facets),
            *_filters(_values.product_id, selected, besides=besides),
        )
        .group_by(_values.facet, _values.value)
    )


def _filters(
    product_id: Any, selected: tuple[str, ...], *, besides: str | None = None
) -> list[ColumnElement[bool]]:
    """`product_id` among the category's products having a selected value, for each selected
    facet but `besides`: values of one facet OR-ed, facets AND-ed."""
    return [
        product_id.in_(
            select(_values.product_id).where(
                _values.category_id == _CATEGORY,
                _values.facet == facet,
                _values.value.in_(bindparam(f"{facet}_values", expanding=True)),
            )
        )
        for facet in selected
        if facet != besides
    ]


def _related_statement() -> Select[Any]:
    product_id, limit = bindparam("product_id", type_=Integer), bindparam("limit", type_=Integer)
    leaf = select(products.c.category_id).where(products.c.id == product_id).scalar_subquery()
    parent = select(categories.c.parent_id).where(categories.c.id == leaf).scalar_subquery()
    in_order = (_listed.position, _listed.product_id)
    siblings = (
        select(_listed.product_id, literal(0).label("part"), _listed.position)
        .where(_listed.category_id == leaf, _listed.product_id != product_id)
        .order_by(*in_order)
        .limit(limit)
        .subquery("siblings")
    )
    cousins = (
        select(_listed.product_id, literal(1).label("part"), _listed.position)
        .join(products, products.c.id == _listed.product_id)
        .where(_listed.category_id == parent, products.c.category_id != leaf)
        .order_by(*in_order)
        .limit(limit)
        .subquery("cousins")
    )
    related = union_all(select(siblings), select(cousins)).subquery("related")
    return (
        summary_statement(related, related.c.product_id)
        .order_by(related.c.part, related.c.position, related.c.product_id)
        .limit(limit)
    )


# Built once: a call only binds its values (building it cost as much CPU as running it).
_RELATED = _related_statement()


async def related_page(conn: AsyncConnection, product_id: int, limit: int) -> Sequence[AnyRow]:
    """Summary rows of the product's siblings (its leaf category's other live products), then,
    when those are too few, of its parent's other subtrees; each in the merchandiser's order.

    One statement: each part walks its category's position index for at most `limit` rows
    (the cousins' part also steps over the siblings, at most the leaf's size)."""
    result = await conn.execute(_RELATED, {"product_id": product_id, "limit": limit})
    return result.all()
