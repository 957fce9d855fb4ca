"""Full-text search on both engines (SQLite FTS5, PostgreSQL tsvector and pg_trgm): stemming,
misspellings, relevance, facets, suggestions, and an index that follows every write.

Each test gets a fresh catalogue (catalogue_fixture), on SQLite and, with
VITRINE_TEST_POSTGRES_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update

from api import fulltext as fulltext_module
from api import listing_index
from api.fulltext import for_dialect
from api.schema import product_attributes, product_images, products, variants
from api.services import search
from contract import catalog_pb2, search_pb2
from tests.integration.catalogue_fixture import Shop, writable_shop

shop = writable_shop
Kind = search_pb2.Suggestion


def find(shop: Shop, query: str, **fields) -> search_pb2.SearchProductsResponse:
    return shop.call(
        search.search_products, search_pb2.SearchProductsRequest(query=query, **fields)
    )


def found(shop: Shop, query: str, **fields) -> list[int]:
    return [p.id for p in find(shop, query, **fields).products]


def execute(shop: Shop, *statements) -> None:
    async def run() -> None:
        async with shop.ctx.db.begin() as conn:
            for statement in statements:
                await conn.execute(statement)

    shop.run(run())


def test_the_plural_finds_the_singular_and_the_singular_the_plural(shop):
    assert sorted(found(shop, "jackets")) == [9, 10]  # names say "Jacket"
    assert sorted(found(shop, "shoes")) == [5, 6]
    assert sorted(found(shop, "coat")) == [11]  # the category is "Coats"; 12 is discontinued


def test_a_misspelling_finds_the_products_and_says_what_was_searched_for(shop):
    response = find(shop, "jaket")
    assert sorted(p.id for p in response.products) == [9, 10]
    assert response.searched_for == "jacket"

    as_typed = find(shop, "jaket", exact=True)
    assert not as_typed.products
    assert list(as_typed.did_you_mean) == ["jacket"]


def test_a_name_match_comes_before_a_description_match(shop):
    execute(
        shop,
        update(products).where(products.c.id == 8).values(description="Wear it under a jacket."),
    )
    assert found(shop, "jacket") == [9, 10, 8]
    # Other sorts stay available.
    assert found(shop, "jacket", sort=catalog_pb2.PRODUCT_SORT_PRICE_ASC) == [8, 10, 9]


def test_a_renamed_product_is_found_by_its_new_name_right_after(shop):
    assert found(shop, "cardigans") == []
    assert found(shop, "shirt") == [7, 8]
    execute(
        shop,
        update(products)
        .where(products.c.id == 7)
        .values(name="Oxford Cardigan", search_text="oxford cardigan acme shirts white rainbow"),
    )
    assert found(shop, "cardigans") == [7]
    assert found(shop, "oxford") == [7]
    # Still a shirt by its category's words, but no longer by name: the names' own index
    # (products_name_fts, products_name_search) followed the rename too.
    assert found(shop, "shirt") == [8, 7]


async def _remove_from_listings(shop, product_id: int) -> None:
    # A delete goes through the listing index first (its rows refer to the product).
    async with shop.ctx.db.begin() as conn:
        await listing_index.remove_products(conn, [product_id])


def test_a_deleted_product_is_not_found_right_after(shop):
    assert found(shop, "linen") == [8]
    shop.run(_remove_from_listings(shop, 8))
    execute(
        shop,
        delete(variants).where(variants.c.product_id == 8),
        delete(product_images).where(product_images.c.product_id == 8),
        delete(product_attributes).where(product_attributes.c.product_id == 8),
        delete(products).where(products.c.id == 8),
    )
    assert found(shop, "linen") == []
    suggested = shop.call(search.suggest, search_pb2.SuggestRequest(prefix="lin"))
    assert not suggested.suggestions


def test_results_carry_facets_as_category_listings_do(shop):
    response = find(shop, "dress")
    facets = {f.name: [(v.value, v.count, v.selected) for v in f.values] for f in response.facets}
    assert facets["brand"] == [("Acme", 2, False), ("Belle", 1, False)]
    assert facets["colour"] == [("black", 1, False), ("blue", 2, False), ("red", 2, False)]

    filtered = find(shop, "dress", filter=catalog_pb2.FacetFilter(brands=["Acme"]))
    assert sorted(p.id for p in filtered.products) == [1, 3]
    brand = next(f for f in filtered.facets if f.name == "brand")
    # Disjunctive: Belle still shows what choosing it too would add.
    assert [(v.value, v.count, v.selected) for v in brand.values] == [
        ("Acme", 2, True),
        ("Belle", 1, False),
    ]


def test_suggestions_by_prefix_of_any_word_of_a_name(shop):
    def suggest(prefix: str) -> list[tuple[str, int]]:
        response = shop.call(search.suggest, search_pb2.SuggestRequest(prefix=prefix))
        return [(s.text, s.kind) for s in response.suggestions]

    assert suggest("jack") == [
        ("Rain Jackets", Kind.KIND_CATEGORY),
        ("Rain Jacket", Kind.KIND_PRODUCT),
        ("Packable Rain Jacket", Kind.KIND_PRODUCT),
    ]
    # A prefix that is no stem ("running" is indexed as "run") still finds the name.
    assert suggest("RUNN") == [("Running Shoe", Kind.KIND_PRODUCT)]
    assert suggest("rain j") == [
        ("Rain Jackets", Kind.KIND_CATEGORY),
        ("Rain Jacket", Kind.KIND_PRODUCT),
        ("Packable Rain Jacket", Kind.KIND_PRODUCT),
    ]
    assert suggest("ain") == []  # inside a word: not a prefix


# Rows enough that the planner weighs indexes as it would on a real catalogue: on the twelve of
# the fixture, reading the table (or a whole listing index) is rightly cheaper than any search
# index, and the plan would tell nothing.
FILLER_PRODUCTS = 20_000
_FILL = f"""
INSERT INTO products (id, slug, sku, name, brand, description, category_id, price, currency,
    discontinued, position, search_text, created_at, updated_at)
SELECT 1000 + g, 'filler-' || g, 'FILL-' || g, 'Plain Item ' || g, 'Filler', 'Nothing here.',
    5, 1000, 'EUR', false, 100 + g, 'plain item ' || g || ' filler shirts', now(), now()
FROM generate_series(1, {FILLER_PRODUCTS}) AS g
"""


def _fill(shop: Shop) -> None:
    async def fill() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(text(_FILL))
            # As after autovacuum: rows moved from the GIN indexes' pending lists into the
            # indexes proper (the planner prices a long pending list high), statistics taken.
            for index in ("products_search", "products_name_trigram", "products_name_search"):
                await conn.execute(text(f"SELECT gin_clean_pending_list('{index}'::regclass)"))
            await conn.execute(text("ANALYZE products"))

    shop.run(fill())


def _plan(
    shop: Shop, statement, *, ranked: bool = False, settings: dict[str, str] | None = None
) -> str:
    """EXPLAIN of `statement` as api/services/search.py reads it: after prepare_search when
    `ranked`; with the planner `settings` (as PostgresFullText.names_starting sets them for
    each of its two reads)."""
    fulltext = for_dialect("postgresql")

    async def explain() -> str:
        async with shop.ctx.db.connect() as conn:
            if ranked:
                await fulltext.prepare_search(conn)  # as api/services/search.py reads them
            for name, value in (settings or {}).items():
                await conn.execute(text(f"SET LOCAL {name} = {value}"))
            sql = statement.compile(conn.sync_connection, compile_kwargs={"literal_binds": True})
            rows = await conn.execute(text(f"EXPLAIN {sql}"))
            return "\n".join(row[0] for row in rows)

    plan: str = shop.run(explain())
    return plan


@pytest.mark.postgres
@pytest.mark.parametrize("shop", ["postgres"], indirect=True)
def test_postgres_search_and_suggestions_use_the_gin_indexes(shop):
    _fill(shop)
    fulltext = for_dialect("postgresql")
    plan = _plan(shop, fulltext.ranked(["cardigans", "wool"], [], 1001), ranked=True)
    assert "products_search" in plan
    assert "Seq Scan on products" not in plan
    assert "Sort" not in plan  # the first rows of the scan, not every match ranked

    plan = _plan(shop, fulltext.ranked_by_name(["plain", "item"], [], 1000), ranked=True)
    assert "products_name_search" in plan
    assert "Seq Scan on products" not in plan

    # Suggestions: the first ids walked by the key (stopping at the sixteenth match), the
    # others only through the trigram index; never every name.
    plan = _plan(
        shop,
        fulltext.names_walked("jack", 16, bound=fulltext_module.SUGGEST_WALKED),
        settings={"enable_bitmapscan": "off", "max_parallel_workers_per_gather": "0", "jit": "off"},
    )
    assert "Index Scan using products_pkey" in plan
    assert "Seq Scan on products" not in plan
    plan = _plan(
        shop,
        fulltext.names_beyond_walk("jack", 16, bound=fulltext_module.SUGGEST_WALKED),
        settings={"enable_indexscan": "off", "enable_seqscan": "off"},
    )
    assert "products_name_trigram" in plan
    assert "Seq Scan on products" not in plan


@pytest.mark.postgres
@pytest.mark.parametrize("shop", ["postgres"], indirect=True)
@pytest.mark.parametrize("walked", [1, 2, 5, 10_000])
def test_postgres_suggestions_are_the_same_however_many_ids_the_walk_reads(
    shop, monkeypatch, walked
):
    # The walk's first ids by key, then the trigram index past them: together the first
    # matches by id, wherever the bound falls.
    monkeypatch.setattr(fulltext_module, "SUGGEST_WALKED", walked)
    response = shop.call(search.suggest, search_pb2.SuggestRequest(prefix="rain j"))
    assert [(s.text, s.kind) for s in response.suggestions] == [
        ("Rain Jackets", Kind.KIND_CATEGORY),
        ("Rain Jacket", Kind.KIND_PRODUCT),
        ("Packable Rain Jacket", Kind.KIND_PRODUCT),
    ]


def test_a_common_word_finds_a_bounded_number_of_results_name_matches_first(shop, monkeypatch):
    # "shirt": 7 and 8 by name, 11 ("Storm Coat") by its category's words only.
    monkeypatch.setattr(search, "RESULTS_MAX", 2)
    execute(
        shop,
        update(products).where(products.c.id == 11).values(description="Wear it over a shirt."),
    )
    assert sorted(found(shop, "shirt")) == [7, 8]  # the name matches, before any other
    response = find(shop, "shirt")
    assert response.total_capped
    assert response.page.total_items == 2
    assert response.facets_counted_over == 2

    monkeypatch.setattr(search, "RESULTS_MAX", 3)
    response = find(shop, "shirt")
    assert not response.total_capped
    assert [p.id for p in response.products][2] == 11
