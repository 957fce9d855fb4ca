"""What the product page's forms show, worked out once in Python from the product: the
add-to-basket form's options and the back-in-stock form's sold-out variants.

partials/variant_picker.html used to work this out with chains of Jinja filters (`selectattr`,
`map`, `unique`, a `sum` per colour and per size): a quarter of the product page's render time.
The templates still decide the markup; this only counts and names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A product's option values are compared as Jinja's `unique` filter did: one colour or size
# per spelling, whatever its case ("Navy" and "navy" are one option, shown as first written).


@dataclass(frozen=True, slots=True)
class Option:
    """A colour or a size, and how many are left of it across the product's variants."""

    value: str
    left: int


@dataclass(frozen=True, slots=True)
class VariantChoices:
    """The picker's groups and defaults for one shop.v1.Product."""

    # The variant chosen when the page opens: the first in stock, else the first (None for a
    # product without variants, which the page shows no form for).
    first: Any
    # Some variant has stock: the form has a quantity and a button.
    in_stock: bool
    colours: list[Option]
    sizes: list[Option]
    # [id, colour, size, stock] per variant: the table the page's script reads.
    table: list[list[Any]]
    # The quantity field's max: the most any one variant has, at most 99.
    max_quantity: int


def variant_choices(product: Any) -> VariantChoices:
    """The picker of `product` (a shop.v1.Product)."""
    variants = list(product.variants)
    in_stock = [variant for variant in variants if variant.stock]
    table = []
    left_by_colour: dict[str, int] = {}
    left_by_size: dict[str, int] = {}
    for variant in variants:
        table.append([variant.id, variant.colour, variant.size, variant.stock])
        if variant.colour:
            left_by_colour[variant.colour] = left_by_colour.get(variant.colour, 0) + variant.stock
        if variant.size:
            left_by_size[variant.size] = left_by_size.get(variant.size, 0) + variant.stock
    return VariantChoices(
        first=in_stock[0] if in_stock else next(iter(variants), None),
        in_stock=bool(in_stock),
        colours=_options(left_by_colour),
        sizes=_options(left_by_size),
        table=table,
        max_quantity=min(max((variant.stock for variant in in_stock), default=0), 99),
    )


def _options(left_by_value: dict[str, int]) -> list[Option]:
    """One option per value whatever its case, in the order first met; its stock is that of
    the variants spelling it exactly so, as the template's `selectattr("colour", "equalto")`
    counted it."""
    seen: set[str] = set()
    options = []
    for value, left in left_by_value.items():
        if value.lower() not in seen:
            seen.add(value.lower())
            options.append(Option(value, left))
    return options


@dataclass(frozen=True, slots=True)
class SoldOut:
    """A sold-out variant as the back-in-stock form offers it."""

    variant_id: int
    # What a shopper calls it: "M / Navy", "M", or the product's name when it has neither.
    label: str


def sold_out_variants(product: Any) -> list[SoldOut]:
    """The variants of `product` with no stock, in the API's order."""
    return [
        SoldOut(
            variant.id,
            " / ".join(part for part in (variant.size, variant.colour) if part) or product.name,
        )
        for variant in product.variants
        if not variant.stock
    ]


def colour_names(product: Any) -> list[str]:
    """The product's colours, each once (whatever its case), in the order of its variants: the
    page's title names them."""
    seen: set[str] = set()
    names = []
    for variant in product.variants:
        if variant.colour and variant.colour.lower() not in seen:
            seen.add(variant.colour.lower())
            names.append(variant.colour)
    return names
