"""The rows of category_facet_sets a product counts in, and the prices a band filter spans."""

from __future__ import annotations

from collections import Counter

from api import facet_combinations
from api.facet_combinations import SEPARATOR, joined, mask, set_keys, split
from api.facets import BRAND, COLOUR, PRICE_BAND, SIZE, price_span


def test_a_product_counts_once_per_set_of_facets_holding_colour_or_size_with_its_whole_sets():
    values = {
        BRAND: {"Kestrel"},
        COLOUR: {"Sage", "Navy"},
        SIZE: {"M", "S", "L"},
        PRICE_BAND: {"50-100"},
    }
    keys = list(set_keys(values))
    # Of the 15 sets of its four facets, the 12 holding colour or size; never a colour alone.
    assert len(keys) == len(set(keys)) == 12
    colours, sizes = joined(["Navy", "Sage"]), joined(["L", "M", "S"])
    assert (mask([COLOUR]), "", colours, "", "") in keys
    assert (mask([BRAND, COLOUR, SIZE, PRICE_BAND]), "Kestrel", colours, sizes, "50-100") in keys
    assert (mask([BRAND, PRICE_BAND]), "Kestrel", "", "", "50-100") not in keys
    assert all(key[2] in ("", colours) and key[3] in ("", sizes) for key in keys)


def test_a_product_without_sizes_or_brand_has_rows_of_its_colours_only():
    keys = list(set_keys({BRAND: set(), COLOUR: {"Rust"}, SIZE: set(), PRICE_BAND: {"0-25"}}))
    assert keys == [
        (mask([COLOUR]), "", joined(["Rust"]), "", ""),
        (mask([COLOUR, PRICE_BAND]), "", joined(["Rust"]), "", "0-25"),
    ]


def test_sets_are_sorted_joined_and_split_back():
    assert joined(["Sky Blue", "Black"]) == f"{SEPARATOR}Black{SEPARATOR}Sky Blue{SEPARATOR}"
    assert split(joined(["Sky Blue", "Black"])) == ["Black", "Sky Blue"]
    assert split("Kestrel") == ["Kestrel"]
    # "holds Blue" is found between separators, never inside "Sky Blue".
    assert joined(["Blue"]) not in joined(["Sky Blue", "Black"])


def test_rows_of_sets_add_up_like_the_combinations_for_one_value_each():
    """A colour's products under a size, from the sets (a row per product's sets) and from the
    combinations (a row per value), are the same."""
    products = [
        {COLOUR: {"Navy", "Sage"}, SIZE: {"M"}, PRICE_BAND: {"25-50"}},
        {COLOUR: {"Navy"}, SIZE: {"M", "L"}, PRICE_BAND: {"25-50"}},
        {COLOUR: {"Sage"}, SIZE: {"L"}, PRICE_BAND: {"50-100"}},
    ]
    combined: Counter[tuple[object, ...]] = Counter()
    sets: Counter[tuple[object, ...]] = Counter()
    for values in products:
        facet_combinations.add_product(combined, (1,), values)
        facet_combinations.add_product(sets, (1,), values, 1, set_keys)
    both = mask([COLOUR, SIZE])
    for colour in ("Navy", "Sage"):
        for size in ("M", "L"):
            from_sets = sum(
                n
                for (_, facets, _, colours, sizes, _), n in sets.items()
                if facets == both and colour in split(colours) and size in split(sizes)
            )
            assert from_sets == combined[(1, both, "", colour, size, "")], (colour, size)
    # Navy or Sage, size M: two products, each counted once (the combinations' sum says 3).
    either = sum(
        n
        for (_, facets, _, colours, sizes, _), n in sets.items()
        if facets == both and {"Navy", "Sage"} & set(split(colours)) and "M" in split(sizes)
    )
    assert either == 2
    assert combined[(1, both, "", "Navy", "M", "")] + combined[(1, both, "", "Sage", "M", "")] == 3


def test_price_span_covers_the_selected_bands():
    assert price_span(["50-100"]) == (5_000, 10_000)
    assert price_span(["25-50", "100-250"]) == (2_500, 25_000)
    assert price_span(["250-"]) == (25_000, None)
    assert price_span(["0-25", "250-"]) == (0, None)
    assert price_span([]) == (0, None)
