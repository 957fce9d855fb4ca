"""Which rows of category_facet_combinations a listed product counts in.

A row is a category, a set of facets (`facets`, a bit per facet) and one value of each facet in
the set (the other facets' columns are ""): how many of the category's live products have all
of those values. A product with brand b, price band p, colours C and sizes S counts in one row
per non-empty subset of its facets and per choice of one value of each facet in it:
(1+1)(1+1)(1+|C|)(1+|S|) - 1 rows (83 with two colours and six sizes).

With them, the counts of a listing whose selected facets each have one value (or several values
of a facet a product has only one of: brand, price band) are one primary-key range per facet,
whatever the number of products: api/listings.py.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from api.facets import BRAND, COLOUR, FACETS, PRICE_BAND, SIZE

# The row's facets, as bits of its `facets` column; its value columns are named after the facets.
BIT = {BRAND: 1, COLOUR: 2, SIZE: 4, PRICE_BAND: 8}
# A row's key after its category: (facets, brand, colour, size, price_band).
Key = tuple[int, str, str, str, str]


def mask(facets: Collection[str]) -> int:
    return sum(BIT[facet] for facet in facets)


def keys(values: Mapping[str, Collection[str]]) -> Iterator[Key]:
    """The keys a product with these values ({facet: values}, empty ones ignored) counts in."""
    present = [facet for facet in FACETS if values.get(facet)]
    for size in range(1, len(present) + 1):
        for chosen in itertools.combinations(present, size):
            for picked in itertools.product(*(sorted(values[facet]) for facet in chosen)):
                row = dict(zip(chosen, picked, strict=True))
                yield (
                    mask(chosen),
                    row.get(BRAND, ""),
                    row.get(COLOUR, ""),
                    row.get(SIZE, ""),
                    row.get(PRICE_BAND, ""),
                )


def add_product(
    counts: Counter[Any],
    categories: Collection[int],
    values: Mapping[str, Collection[str]],
    products: int = 1,
) -> None:
    """Count `products` products with these values in each of `categories`."""
    for key in keys(values):
        for category_id in categories:
            counts[(category_id, *key)] += products
