"""shop.v1.Search over the hand-made catalogue of catalogue_fixture, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from api import fulltext
from api.schema import products
from api.services import search
from contract import catalog_pb2, common_pb2, search_pb2
from contract.errors import Invalid
from tests.integration.catalogue_fixture import Shop, sqlite_shop
from tests.integration.statements import statements_run

Kind = search_pb2.Suggestion


@pytest.fixture
def shop(tmp_path) -> Iterator[Shop]:
    with sqlite_shop(tmp_path) as shop:
        yield shop


def find(shop: Shop, query: str, **fields) -> search_pb2.SearchProductsResponse:
    request = search_pb2.SearchProductsRequest(query=query, **fields)
    return shop.call(search.search_products, request)


def found(shop: Shop, query: str, **fields) -> list[int]:
    return [p.id for p in find(shop, query, **fields).products]


def suggestions(shop: Shop, prefix: str, limit: int = 0) -> list[tuple[str, int, str, int]]:
    response = shop.call(search.suggest, search_pb2.SuggestRequest(prefix=prefix, limit=limit))
    return [(s.text, s.kind, s.slug, s.product_id) for s in response.suggestions]


# -- SearchProducts ----------------------------------------------------------------------------


def test_every_word_must_match_stemmed_in_name_brand_category_or_colour(shop):
    assert sorted(found(shop, "dress")) == [1, 2, 3]  # live only
    assert sorted(found(shop, "dresses")) == [1, 2, 3]  # the plural finds the singular
    assert sorted(found(shop, "acme dress")) == [1, 3]
    assert sorted(found(shop, "ACME,   Dresses!")) == [1, 3]  # case and punctuation do not matter
    assert sorted(found(shop, "storm")) == [9, 10, 11]
    assert found(shop, "rainbow") == [7]  # a colour of its variants
    assert found(shop, "acme storm") == []


def test_search_sorts_like_listings(shop):
    assert found(shop, "storm", sort=catalog_pb2.PRODUCT_SORT_PRICE_ASC) == [10, 9, 11]
    assert found(shop, "storm", sort=catalog_pb2.PRODUCT_SORT_NEWEST) == [11, 10, 9]
    assert found(shop, "storm", sort=catalog_pb2.PRODUCT_SORT_NAME) == [10, 9, 11]


def test_search_pages(shop):
    response = find(shop, "dress", page=common_pb2.PageRequest(page=2, page_size=2))
    assert len(response.products) == 1
    assert response.page == common_pb2.PageInfo(page=2, page_size=2, total_items=3, total_pages=2)
    first = find(shop, "dress", page=common_pb2.PageRequest(page=1, page_size=2)).products
    assert {p.id for p in [*first, *response.products]} == {1, 2, 3}  # pages never overlap

    beyond = find(shop, "dress", page=common_pb2.PageRequest(page=5, page_size=2))
    assert not beyond.products
    assert beyond.page.total_items == 3
    assert not beyond.did_you_mean  # there are results, on other pages

    with pytest.raises(Invalid, match="page_size"):
        find(shop, "dress", page=common_pb2.PageRequest(page_size=500))


def test_facets_count_every_match_while_they_are_few(shop):
    response = find(shop, "dress")
    counts = {f.name: {v.value: v.count for v in f.values} for f in response.facets}
    assert sum(counts["price_band"].values()) == 3
    assert response.facets_counted_over == 0
    assert not response.total_capped


def test_results_past_the_bound_are_capped_and_say_so(shop, monkeypatch):
    # Three live dresses, a bound of two: the results are two of them, best first.
    monkeypatch.setattr(search, "RESULTS_MAX", 2)
    response = find(shop, "dress")
    assert response.total_capped
    assert response.page.total_items == 2  # the page shows "2+"
    assert len(response.products) == 2
    assert response.facets_counted_over == 2
    counts = {f.name: {v.value: v.count for v in f.values} for f in response.facets}
    assert sum(counts["price_band"].values()) == 2
    # Other sorts order the same two results.
    by_price = find(shop, "dress", sort=catalog_pb2.PRODUCT_SORT_PRICE_ASC)
    assert sorted(p.id for p in by_price.products) == sorted(p.id for p in response.products)
    # Pages go as far as the results.
    second = find(shop, "dress", page=common_pb2.PageRequest(page=2, page_size=1))
    assert second.page.total_pages == 2
    assert len(second.products) == 1
    # A filter that narrows the matches under the bound gives an exact total and counts.
    brand = next(iter(counts["brand"]))
    filtered = find(shop, "dress", filter=catalog_pb2.FacetFilter(brands=[brand]))
    bands = next(f for f in filtered.facets if f.name == "price_band")
    assert sum(v.count for v in bands.values) == filtered.page.total_items
    assert not filtered.total_capped


def test_results_at_the_bound_are_not_capped(shop, monkeypatch):
    monkeypatch.setattr(search, "RESULTS_MAX", 3)
    response = find(shop, "dress")
    assert not response.total_capped
    assert response.page.total_items == 3
    assert response.facets_counted_over == 0


def test_summaries_are_complete(shop):
    (summer,) = find(shop, "summer").products
    assert summer.slug == "summer-dress"
    assert summer.compare_at_price.amount == 2999
    assert summer.image.url == "/img/1-1.jpg"
    assert summer.in_stock


@pytest.mark.parametrize(
    ("query", "ids"),
    [('dress"', [1, 2, 3]), ("dress*", [1, 2, 3]), ("-dress", [1, 2, 3]), ("NEAR(dress)", [])],
)
def test_the_engines_query_syntax_is_plain_text(shop, query, ids):
    # Quotes, stars, minus and NEAR are FTS5 (or websearch) syntax: here they separate words.
    assert sorted(found(shop, query)) == ids
    assert found(shop, "dress OR shoe") == []  # "or" is a word to find, not an operator


def test_like_wildcards_in_the_query_are_plain_characters(shop):
    assert found(shop, "o_f") == []
    assert found(shop, "100% wool") == []
    assert found(shop, "wool") == [11]


@pytest.mark.parametrize("query", ["", "   ", "?!…", "x" * 201, "a\x00b"])
def test_empty_punctuation_only_overlong_or_broken_queries_are_invalid(shop, query):
    with pytest.raises(Invalid):
        find(shop, query)


def test_query_of_200_characters_is_accepted(shop):
    assert find(shop, "dress " * 32 + "red acme").page.total_items == 2


def test_a_misspelt_query_answers_the_corrected_query_and_says_so(shop):
    response = find(shop, "jaket")
    assert sorted(p.id for p in response.products) == [9, 10]
    assert response.searched_for == "jacket"
    assert list(response.did_you_mean) == ["jacket"]

    both = find(shop, "rainn jaket")
    assert both.searched_for == "rain jacket"
    assert sorted(p.id for p in both.products) == [9, 10]


def test_exact_searches_the_words_as_typed(shop):
    response = find(shop, "jaket", exact=True)
    assert response.page.total_items == 0
    assert not response.searched_for
    assert list(response.did_you_mean) == ["jacket"]  # still offered as a link


def test_nothing_close_means_no_results_and_no_correction(shop):
    response = find(shop, "qwxzv")
    assert response.page.total_items == 0
    assert not response.searched_for
    assert not response.did_you_mean
    assert not response.facets


def test_long_queries_are_not_corrected(shop):
    # Each word to correct costs look-ups: a query of many unknown words costs none.
    response = find(shop, "jaket " + " ".join(f"zz{n}q" for n in range(search.SPELLING_MAX_WORDS)))
    assert not response.did_you_mean
    assert response.page.total_items == 0


def test_no_correction_when_the_words_are_known(shop):
    # Both words exist, only not together.
    response = find(shop, "acme storm")
    assert not response.did_you_mean
    assert not response.searched_for


# -- Suggest -----------------------------------------------------------------------------------


def test_suggest_mixes_categories_brands_and_products(shop):
    assert suggestions(shop, "sh") == [
        ("Shirts", Kind.KIND_CATEGORY, "men-shirts", 0),
        ("Shoes", Kind.KIND_CATEGORY, "women-shoes", 0),
        ("Running Shoe", Kind.KIND_PRODUCT, "running-shoe", 5),
        ("Trail Shoe", Kind.KIND_PRODUCT, "trail-shoe", 6),
        ("Oxford Shirt", Kind.KIND_PRODUCT, "oxford-shirt", 7),
        ("Linen Shirt", Kind.KIND_PRODUCT, "linen-shirt", 8),
    ]


def test_suggest_brands_and_any_word_of_a_name(shop):
    assert suggestions(shop, "  STO ") == [("Storm", Kind.KIND_BRAND, "", 0)]
    assert suggestions(shop, "rain j") == [
        ("Rain Jackets", Kind.KIND_CATEGORY, "men-rain-jackets", 0),
        ("Rain Jacket", Kind.KIND_PRODUCT, "rain-jacket", 9),
        ("Packable Rain Jacket", Kind.KIND_PRODUCT, "packable-rain-jacket", 10),
    ]


def test_suggest_leaves_out_discontinued_products_and_middle_of_word_matches(shop):
    assert suggestions(shop, "old") == []  # Old Dress is discontinued
    assert suggestions(shop, "ress") == []


def test_suggest_respects_the_limit_and_keeps_room_for_products(shop):
    # A quarter of the places for categories, a quarter for brands, the rest for products.
    assert [text for text, *_ in suggestions(shop, "s", limit=4)] == [
        "Shirts",
        "Storm",
        "Summer Dress",
        "Running Shoe",
    ]
    # With room to spare, every match: 2 categories, 1 brand, 5 products.
    assert [text for text, *_ in suggestions(shop, "s", limit=20)] == [
        "Shirts",
        "Shoes",
        "Storm",
        "Summer Dress",
        "Running Shoe",
        "Trail Shoe",
        "Oxford Shirt",
        "Linen Shirt",
    ]


def test_suggest_texts_are_distinct(shop):
    texts = [text.casefold() for text, *_ in suggestions(shop, "s", limit=20)]
    assert len(texts) == len(set(texts))


def test_blank_prefix_suggests_nothing(shop):
    assert suggestions(shop, "") == []
    assert suggestions(shop, "   ") == []


def test_suggest_limits(shop):
    with pytest.raises(Invalid, match="prefix is 101 characters long"):
        suggestions(shop, "x" * 101)
    with pytest.raises(Invalid, match="limit 21"):
        suggestions(shop, "s", limit=21)
    assert suggestions(shop, "%") == []
    assert suggestions(shop, "_") == []


def test_suggest_reads_a_bounded_number_of_the_names_holding_a_prefix(shop, monkeypatch):
    # SQLite reads at most TRIGRAM_HOLDERS_MAX names holding a prefix of 3 letters or more, by
    # id: a prefix held mostly inside words ("ress") never reads every name holding it.
    assert [text for text, *_ in suggestions(shop, "sho")] == [
        "Shoes",
        "Running Shoe",
        "Trail Shoe",
    ]
    monkeypatch.setattr(fulltext, "TRIGRAM_HOLDERS_MAX", 1)
    assert [text for text, *_ in suggestions(shop, "sho")] == ["Shoes", "Running Shoe"]


def test_suggest_takes_wildcards_as_characters_and_never_reads_every_name(shop):
    # "%" and "_" in a prefix are the characters themselves, found through an index (the
    # trigram one from three characters, the names' prefix index under): reading names in id
    # order until one matched read every name when none did (530 ms at a million products, for
    # any script typing "zz%").
    async def rename() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(update(products).where(products.c.id == 11).values(name="5% Wool"))

    shop.run(rename())

    def product_texts(prefix: str) -> list[str]:
        return [text for text, kind, *_ in suggestions(shop, prefix) if kind == Kind.KIND_PRODUCT]

    assert product_texts("5%") == ["5% Wool"]
    assert product_texts("5% w") == ["5% Wool"]
    assert product_texts("5_") == []
    assert product_texts("5_ w") == []
    with statements_run(shop.ctx.db) as statements:
        for prefix in ("zz%q", "a_b", "5_"):
            assert suggestions(shop, prefix) == []
        # No letter or digit: no index holds such a word, and no name is read.
        read = len(statements)
        for prefix in ("%", "&", "- -"):
            assert product_texts(prefix) == []
        assert len(statements) == read

    async def plans() -> list[str]:
        async with shop.ctx.db.connect() as conn:
            return [
                str(row[-1])
                for statement, parameters in statements
                for row in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]

    explained = shop.run(plans())
    assert len(statements) == 3
    scans = [step for step in explained if step == "SCAN products" or "SCAN products " in step]
    assert not scans, explained
