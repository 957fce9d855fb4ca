"""Which rows of category_facet_combinations a listed product counts in.

A row is a category, a set of facets (`facets`, a bit per facet) and one value of each facet in
the set (the other facets' columns are ""): how many of the category's live products have all
of those values. A product with brand b, price band p, colours C and sizes S counts in one row
per non-empty subset of its facets and per choice of one value of each facet in it:
(1+1)(1+1)(1+|C|)(1+|S|) - 1 rows (83 with two colours and six sizes).

With them, the counts of a listing whose selected facets each have one value (or several values
of a facet a product has only one of: brand, price band) are one primary-key range per facet,
whatever the number of products: api/listings.py.

category_facet_sets answers the other selections (several colours or several sizes, which a
product may have more than one of, so summing their rows would count it twice): its rows are
those of the combinations whose set holds colour or size, but with the product's whole set of
colours (or sizes) joined in one value, so the products having any of the selected colours are
the rows whose colours meet the selection, each product counted once. A product counts in one
row per such set of facets: 12 rows, whatever its colours and sizes.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from api.facets import BRAND, COLOUR, FACETS, PRICE_BAND, SIZE

# The row's facets, as bits of its `facets` column; its value columns are named after the facets.
BIT = {BRAND: 1, COLOUR: 2, SIZE: 4, PRICE_BAND: 8}
# A row's key after its category: (facets, brand, colour, size, price_band).
Key = tuple[int, str, str, str, str]
# Facets a product may have several values of: category_facet_sets holds their whole set.
MULTI_VALUED = (COLOUR, SIZE)
# Around and between the values of a set in category_facet_sets (no facet value holds it), so
# "holds the value v" is "contains SEPARATOR + v + SEPARATOR".
SEPARATOR = "\x1f"


def mask(facets: Collection[str]) -> int:
    return sum(BIT[facet] for facet in facets)


def keys(values: Mapping[str, Collection[str]]) -> Iterator[Key]:
    """The keys a product with these values ({facet: values}, empty ones ignored) counts in."""
    present = [facet for facet in FACETS if values.get(facet)]
    for size in range(1, len(present) + 1):
        for chosen in itertools.combinations(present, size):
            for picked in itertools.product(*(sorted(values[facet]) for facet in chosen)):
                yield _key(chosen, dict(zip(chosen, picked, strict=True)))


def _key(chosen: tuple[str, ...], row: Mapping[str, str]) -> Key:
    """The key of the chosen facets holding these values (the others empty)."""
    return (
        mask(chosen),
        row.get(BRAND, ""),
        row.get(COLOUR, ""),
        row.get(SIZE, ""),
        row.get(PRICE_BAND, ""),
    )


def joined(values: Collection[str]) -> str:
    """A set of colours (or sizes) as category_facet_sets holds it."""
    return SEPARATOR + SEPARATOR.join(sorted(values)) + SEPARATOR


def split(value: str) -> list[str]:
    """The values of a set category_facet_sets holds (a brand or band is itself)."""
    return [part for part in value.split(SEPARATOR) if part] if SEPARATOR in value else [value]


def set_keys(values: Mapping[str, Collection[str]]) -> Iterator[Key]:
    """The keys of category_facet_sets a product with these values counts in: one per set of
    its facets holding colour or size, with its brand and band and its whole set of colours
    and of sizes."""
    present = [facet for facet in FACETS if values.get(facet)]
    held = {
        facet: joined(values[facet]) if facet in MULTI_VALUED else min(values[facet])
        for facet in present
    }
    for size in range(1, len(present) + 1):
        for chosen in itertools.combinations(present, size):
            if not any(facet in MULTI_VALUED for facet in chosen):
                continue
            yield _key(chosen, {facet: held[facet] for facet in chosen})


def add_product(
    counts: Counter[Any],
    categories: Collection[int],
    values: Mapping[str, Collection[str]],
    products: int = 1,
    expand: Callable[[Mapping[str, Collection[str]]], Iterator[Key]] = keys,
) -> None:
    """Count `products` products with these values in each of `categories`: in the rows of
    category_facet_combinations (`expand` = keys) or of category_facet_sets (set_keys)."""
    for key in expand(values):
        for category_id in categories:
            counts[(category_id, *key)] += products
