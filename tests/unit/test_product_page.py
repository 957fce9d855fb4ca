"""web/product_page.py counts what the variant picker shows as the template's filters did."""

from __future__ import annotations

from contract import catalog_pb2
from web.product_page import colour_names, sold_out_variants, variant_choices


def product(*variants: tuple[str, str, int]) -> catalog_pb2.Product:
    return catalog_pb2.Product(
        id=1,
        variants=[
            catalog_pb2.Variant(id=n, sku=f"S{n}", colour=colour, size=size, stock=stock)
            for n, (colour, size, stock) in enumerate(variants, start=1)
        ],
    )


def test_the_first_variant_in_stock_is_chosen_and_each_option_counts_its_stock():
    choices = variant_choices(
        product(("Navy", "S", 0), ("Navy", "M", 3), ("Grey", "S", 7), ("Grey", "M", 120))
    )
    assert choices.first.id == 2
    assert choices.in_stock
    assert [(o.value, o.left) for o in choices.colours] == [("Navy", 3), ("Grey", 127)]
    assert [(o.value, o.left) for o in choices.sizes] == [("S", 7), ("M", 123)]
    assert choices.table[0] == [1, "Navy", "S", 0]
    assert choices.max_quantity == 99


def test_a_value_spelt_in_two_cases_is_one_option_counting_its_first_spelling():
    # As Jinja's `unique` (case-insensitive) and `selectattr("colour", "equalto", ...)` did.
    choices = variant_choices(product(("Navy", "", 0), ("navy", "", 4), ("Sky Blue", "", 2)))
    assert [(o.value, o.left) for o in choices.colours] == [("Navy", 0), ("Sky Blue", 2)]
    assert choices.sizes == []
    assert colour_names(product(("Navy", "", 0), ("navy", "", 4), ("", "", 1))) == ["Navy"]


def test_a_product_sold_out_everywhere_opens_on_its_first_variant():
    choices = variant_choices(product(("", "S", 0), ("", "M", 0)))
    assert choices.first.id == 1
    assert not choices.in_stock
    assert variant_choices(product()).first is None


def test_sold_out_variants_are_named_by_size_and_colour_or_else_the_product():
    sold = product(("Navy", "M", 0), ("Navy", "L", 2), ("", "S", 0), ("", "", 0))
    sold.name = "Wool scarf"
    assert [(o.variant_id, o.label) for o in sold_out_variants(sold)] == [
        (1, "M / Navy"),
        (3, "S"),
        (4, "Wool scarf"),
    ]
