"""Facets of a category listing: brand, colour, size and price band, with disjunctive counts.

Values of one facet are OR-ed and facets are AND-ed. A facet's counts apply every filter but
its own, so a shopper sees how many products each further value of that facet would add.
Colour and size are properties of a product's variants: a product matches a colour when one of
its variants has it, and a size likewise (not necessarily the same variant).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from api.queries import among_ids
from api.schema import products, variants
from contract import catalog_pb2
from contract.errors import Invalid

BRAND = "brand"
COLOUR = "colour"
SIZE = "size"
PRICE_BAND = "price_band"
FACET_LABELS = {BRAND: "Brand", COLOUR: "Colour", SIZE: "Size", PRICE_BAND: "Price"}

# Selected values a request may carry per facet, and their length: a listing URL stays sane.
MAX_SELECTED_VALUES = 50
MAX_VALUE_LENGTH = 100


@dataclass(frozen=True)
class PriceBand:
    value: str  # what goes into FacetFilter.price_bands
    label: str
    # Prices from the previous band's bound up to this one (exclusive); None is open.
    below: int | None


# The one definition of the bands, in minor units of the catalogue's currency (EUR), turned
# into the one CASE expression that both counts and filters them.
PRICE_BANDS = (
    PriceBand("0-25", "Under €25", 2_500),
    PriceBand("25-50", "€25 \N{EN DASH} €50", 5_000),
    PriceBand("50-100", "€50 \N{EN DASH} €100", 10_000),
    PriceBand("100-250", "€100 \N{EN DASH} €250", 25_000),
    PriceBand("250-", "€250 and over", None),
)
_BAND_ORDER = {band.value: index for index, band in enumerate(PRICE_BANDS)}
_BANDS = {band.value: band for band in PRICE_BANDS}


def price_span(bands: Sequence[str]) -> tuple[int, int | None]:
    """The prices from the lowest selected band's start up to the highest one's end (None:
    open): every product of the selected bands has a price in it (and others, between two
    bands that are not adjacent)."""
    starts = [0, *(band.below for band in PRICE_BANDS[:-1])]
    chosen = [index for index, band in enumerate(PRICE_BANDS) if band.value in bands]
    if not chosen:
        return 0, None
    return starts[min(chosen)] or 0, PRICE_BANDS[max(chosen)].below


def price_band_of() -> ColumnElement[str]:
    """The band value of products.price.

    Filtering on it rather than on price ranges also keeps planners from walking the whole
    price index when a band is selected, instead of the category's products.
    """
    return case(
        *(
            (products.c.price < band.below, band.value)
            for band in PRICE_BANDS
            if band.below is not None
        ),
        else_=PRICE_BANDS[-1].value,
    )


def price_band_value(price: int) -> str:
    """The band value of a price, as price_band_of() computes it in SQL."""
    for band in PRICE_BANDS:
        if band.below is None or price < band.below:
            return band.value
    return PRICE_BANDS[-1].value


@dataclass(frozen=True)
class FacetSelection:
    brands: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    price_bands: tuple[str, ...] = ()

    @classmethod
    def from_filter(cls, facet_filter: catalog_pb2.FacetFilter) -> FacetSelection:
        selection = cls(
            brands=_selected(facet_filter.brands, "brands"),
            colours=_selected(facet_filter.colours, "colours"),
            sizes=_selected(facet_filter.sizes, "sizes"),
            price_bands=_selected(facet_filter.price_bands, "price_bands"),
        )
        unknown = [value for value in selection.price_bands if value not in _BANDS]
        if unknown:
            known = ", ".join(band.value for band in PRICE_BANDS)
            raise Invalid(f"unknown price band {unknown[0]!r}; the bands are {known}")
        return selection

    def is_empty(self) -> bool:
        return not (self.brands or self.colours or self.sizes or self.price_bands)

    def selected(self, facet: str) -> tuple[str, ...]:
        return {
            BRAND: self.brands,
            COLOUR: self.colours,
            SIZE: self.sizes,
            PRICE_BAND: self.price_bands,
        }[facet]

    def conditions(self, *, besides: str | None = None) -> list[ColumnElement[bool]]:
        """The filters of every facet but `besides`."""
        conditions: list[ColumnElement[bool]] = []
        if self.brands and besides != BRAND:
            conditions.append(products.c.brand.in_(self.brands))
        if self.colours and besides != COLOUR:
            conditions.append(_has_variant("colour", self.colours))
        if self.sizes and besides != SIZE:
            conditions.append(_has_variant("size", self.sizes))
        if self.price_bands and besides != PRICE_BAND:
            conditions.append(price_band_of().in_(self.price_bands))
        return conditions


def _selected(values: Sequence[str], field: str) -> tuple[str, ...]:
    if len(values) > MAX_SELECTED_VALUES:
        raise Invalid(
            f"filter.{field} has {len(values)} values; the maximum is {MAX_SELECTED_VALUES}"
        )
    for value in values:
        if len(value) > MAX_VALUE_LENGTH:
            raise Invalid(f"filter.{field} has a value over {MAX_VALUE_LENGTH} characters")
        if "\x00" in value:
            raise Invalid(f"filter.{field} has a value with a NUL character")
        if "\x1f" in value:
            # The separator of a set of values in the listing index (api/facet_combinations.py).
            raise Invalid(f"filter.{field} has a value with a unit separator character")
    return tuple(dict.fromkeys(values))  # duplicates dropped, order kept


def _has_variant(column: str, values: tuple[str, ...]) -> ColumnElement[bool]:
    # An alias of its own: facet counts join variants outside, and the filter must not
    # correlate to that row.
    variant = variants.alias()
    return exists().where(variant.c.product_id == products.c.id, variant.c[column].in_(values))


# Facet counts: {facet name: {value: products}}.
FacetCounts = Mapping[str, Mapping[str, int]]
FACETS = tuple(FACET_LABELS)


async def count_facet(
    conn: AsyncConnection,
    facet: str,
    scope: Sequence[ColumnElement[bool]],
    selection: FacetSelection,
) -> dict[str, int]:
    """Products per value of one facet, among those in `scope` that pass the other facets."""
    conditions = [*scope, *selection.conditions(besides=facet)]
    statement: Any
    if facet == BRAND:
        statement = (
            select(products.c.brand, func.count()).where(*conditions).group_by(products.c.brand)
        )
    elif facet == PRICE_BAND:
        # The band is named in a subquery and grouped outside: PostgreSQL would not accept
        # GROUP BY on a CASE whose bound parameters are numbered apart from the SELECT's.
        bands = select(price_band_of().label("band")).where(*conditions).subquery()
        statement = select(bands.c.band, func.count()).group_by(bands.c.band)
    else:
        column = variants.c[facet]
        statement = (
            select(column, func.count(distinct(products.c.id)))
            .select_from(variants.join(products, variants.c.product_id == products.c.id))
            .where(*conditions, column != "")
            .group_by(column)
        )
    result = await conn.execute(statement)
    return dict(result.all())


async def count_variant_facets(
    conn: AsyncConnection, product_ids: Sequence[int], facets: Sequence[str] = (COLOUR, SIZE)
) -> dict[str, dict[str, int]]:
    """Products per colour and per size among `product_ids` (a bounded list, such as a
    search's results), in one statement: {facet: {value: products}}."""
    if not product_ids or not facets:
        return {facet: {} for facet in facets}
    among = among_ids(variants.c.product_id, product_ids, conn.dialect.name)
    per_facet = []
    for facet in facets:
        # Each product's distinct values first (the index on product_id, colour, size gives
        # them in order), then counted: cheaper than count(DISTINCT) per value.
        value = variants.c[facet]
        pairs = select(variants.c.product_id, value.label("value")).where(among, value != "")
        distinct_pairs = pairs.distinct().subquery()
        per_facet.append(
            select(literal(facet).label("facet"), distinct_pairs.c.value, func.count()).group_by(
                distinct_pairs.c.value
            )
        )
    counts: dict[str, dict[str, int]] = {facet: {} for facet in facets}
    for facet, value, products_with_it in await conn.execute(union_all(*per_facet)):
        counts[facet][value] = products_with_it
    return counts


def facet_messages(counts: FacetCounts, selection: FacetSelection) -> list[catalog_pb2.Facet]:
    """Every facet, in a fixed order; values with products, and selected ones even at zero."""
    facets = []
    for name in FACETS:
        facet_counts = counts.get(name, {})
        chosen = selection.selected(name)
        values = [value for value, count in facet_counts.items() if count > 0]
        values += [value for value in chosen if facet_counts.get(value, 0) == 0]
        values.sort(key=_SORT_KEYS[name])
        facets.append(
            catalog_pb2.Facet(
                name=name,
                label=FACET_LABELS[name],
                values=[
                    catalog_pb2.FacetValue(
                        value=value,
                        label=_band_label(value) if name == PRICE_BAND else value,
                        count=facet_counts.get(value, 0),
                        selected=value in chosen,
                    )
                    for value in values
                ],
            )
        )
    return facets


def _band_label(value: str) -> str:
    band = _BANDS.get(value)
    return band.label if band is not None else value


def _by_name(value: str) -> tuple[str, str]:
    return (value.casefold(), value)


# Letter sizes in the order a shopper reads them; numeric sizes follow, by value.
LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL")
_LETTER_RANK = {size: rank for rank, size in enumerate(LETTER_SIZES)}
_LETTER_RANK |= {"2XL": _LETTER_RANK["XXL"], "3XL": _LETTER_RANK["XXXL"]}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def size_sort_key(size: str) -> tuple[int, float, str]:
    """XS < S < M < L < XL, then 9 < 10 < 38, then anything else by name."""
    word = size.strip().upper()
    if word in _LETTER_RANK:
        return (0, _LETTER_RANK[word], size)
    if _NUMBER.fullmatch(word):
        return (1, float(word.replace(",", ".")), size)
    return (2, 0.0, size.casefold())


def _by_band(value: str) -> tuple[int, str]:
    return (_BAND_ORDER.get(value, len(PRICE_BANDS)), value)


_SORT_KEYS: dict[str, Any] = {
    BRAND: _by_name,
    COLOUR: _by_name,
    SIZE: size_sort_key,
    PRICE_BAND: _by_band,
}
