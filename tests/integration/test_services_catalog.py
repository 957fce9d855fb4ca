"""shop.v1.Catalog over the hand-made catalogue of catalogue_fixture, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from api import listing_index
from api.db import read
from api.listings import LeafRails, related_page
from api.sales import sale_prices
from api.schema import products, variants
from api.services import catalog
from contract import catalog_pb2, common_pb2
from contract.errors import Invalid, NotFound
from tests.integration.catalogue_fixture import Shop, sqlite_shop
from tests.integration.statements import statements_run

ListRequest = catalog_pb2.ListCategoryProductsRequest
Filter = catalog_pb2.FacetFilter
Page = common_pb2.PageRequest


@pytest.fixture
def shop(tmp_path) -> Iterator[Shop]:
    with sqlite_shop(tmp_path) as shop:
        yield shop


def listing(shop: Shop, **fields) -> catalog_pb2.ListCategoryProductsResponse:
    return shop.call(catalog.list_category_products, ListRequest(**fields))


def ids(summaries) -> list[int]:
    return [summary.id for summary in summaries]


def facet(response, name: str) -> list[tuple[str, int, bool]]:
    (found,) = [f for f in response.facets if f.name == name]
    return [(value.value, value.count, value.selected) for value in found.values]


# -- GetCategoryTree ---------------------------------------------------------------------------


def test_tree_nests_categories_in_position_order_with_live_subtree_counts(shop):
    tree = shop.call(catalog.get_category_tree, catalog_pb2.GetCategoryTreeRequest())

    assert [(root.slug, root.product_count) for root in tree.roots] == [
        ("men", 5),
        ("women", 5),
        ("gifts", 0),
    ]
    men, women, _ = tree.roots
    assert [(c.name, c.product_count) for c in women.children] == [("Shoes", 2), ("Dresses", 3)]
    outerwear = men.children[1]
    assert (outerwear.name, outerwear.depth, outerwear.parent_id) == ("Outerwear", 1, 2)
    assert [(c.name, c.depth, c.product_count) for c in outerwear.children] == [
        ("Rain Jackets", 2, 2),
        ("Coats", 2, 1),
    ]


def test_tree_is_kept_per_worker_for_a_while(shop):
    shop.call(catalog.get_category_tree, catalog_pb2.GetCategoryTreeRequest())

    async def discontinue_everything() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(update(products).values(discontinued=True))
            await listing_index.refresh_products(conn, range(1, 13))

    shop.run(discontinue_everything())
    tree = shop.call(catalog.get_category_tree, catalog_pb2.GetCategoryTreeRequest())
    assert tree.roots[0].product_count == 5  # from the cache, not the changed table
    shop.ctx.cache.clear()
    tree = shop.call(catalog.get_category_tree, catalog_pb2.GetCategoryTreeRequest())
    assert tree.roots[0].product_count == 0


# -- ListCategoryProducts: category, breadcrumbs, summaries ------------------------------------


def test_listing_covers_the_live_products_of_the_whole_subtree(shop):
    response = listing(shop, category_slug="women")

    assert ids(response.products) == [2, 5, 3, 6, 1]  # position, then id; Old Dress is gone
    assert response.category.slug == "women"
    assert [c.slug for c in response.category.children] == ["women-shoes", "women-dresses"]
    assert [c.slug for c in response.breadcrumbs] == ["women"]
    assert response.page == common_pb2.PageInfo(page=1, page_size=24, total_items=5, total_pages=1)


def test_listing_by_id_of_a_deep_category_has_breadcrumbs_from_the_top(shop):
    response = listing(shop, category_id=7)

    assert [c.name for c in response.breadcrumbs] == ["Men", "Outerwear", "Rain Jackets"]
    assert ids(response.products) == [9, 10]
    assert not response.category.children


def test_summaries_carry_first_image_stock_and_was_price_only_when_set(shop):
    by_id = {p.id: p for p in listing(shop, category_slug="women-dresses").products}

    summer = by_id[1]
    assert (summer.slug, summer.name, summer.brand) == ("summer-dress", "Summer Dress", "Acme")
    assert summer.price == common_pb2.Money(amount=1999, currency="EUR")
    assert summer.compare_at_price == common_pb2.Money(amount=2999, currency="EUR")
    assert summer.image.url == "/img/1-1.jpg"
    assert summer.in_stock
    floral = by_id[3]
    assert not floral.HasField("compare_at_price")
    assert not floral.HasField("image")
    assert not floral.in_stock  # all its variants are at 0


def test_unknown_category_is_not_found(shop):
    with pytest.raises(NotFound):
        listing(shop, category_slug="no-such-thing")
    with pytest.raises(NotFound):
        listing(shop, category_id=999)
    with pytest.raises(NotFound):
        listing(shop, category_id=2**40)


def test_listing_needs_a_category(shop):
    with pytest.raises(Invalid, match="category_id or category_slug"):
        listing(shop)
    with pytest.raises(Invalid, match="empty"):
        listing(shop, category_slug="  ")


def test_empty_category_lists_nothing(shop):
    response = listing(shop, category_slug="gifts")

    assert not response.products
    assert response.page.total_items == 0
    assert response.page.total_pages == 0


# -- sorting and paging ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (catalog_pb2.PRODUCT_SORT_UNSPECIFIED, [2, 5, 3, 6, 1]),
        (catalog_pb2.PRODUCT_SORT_PRICE_ASC, [1, 3, 2, 5, 6]),
        (catalog_pb2.PRODUCT_SORT_PRICE_DESC, [6, 5, 2, 3, 1]),
        (catalog_pb2.PRODUCT_SORT_NEWEST, [6, 5, 2, 3, 1]),
        (catalog_pb2.PRODUCT_SORT_NAME, [2, 3, 5, 1, 6]),
    ],
)
def test_sorts(shop, sort, expected):
    assert ids(listing(shop, category_slug="women", sort=sort).products) == expected


def test_unknown_sort_is_invalid(shop):
    with pytest.raises(Invalid, match="sort 42"):
        listing(shop, category_slug="women", sort=42)


def test_pages_split_the_listing_without_overlap(shop):
    pages = [
        listing(shop, category_slug="women", page=common_pb2.PageRequest(page=n, page_size=2))
        for n in (1, 2, 3)
    ]

    assert [ids(p.products) for p in pages] == [[2, 5], [3, 6], [1]]
    assert pages[2].page == common_pb2.PageInfo(page=3, page_size=2, total_items=5, total_pages=3)


def test_page_zero_is_the_first_and_a_page_past_the_end_is_empty(shop):
    first = listing(shop, category_slug="women", page=common_pb2.PageRequest(page=0, page_size=2))
    assert ids(first.products) == [2, 5]
    assert first.page.page == 1

    beyond = listing(shop, category_slug="women", page=common_pb2.PageRequest(page=9, page_size=2))
    assert not beyond.products
    assert beyond.page == common_pb2.PageInfo(page=9, page_size=2, total_items=5, total_pages=3)
    assert [f.name for f in beyond.facets] == ["brand", "colour", "size", "price_band"]


def test_page_size_is_capped(shop):
    response = listing(shop, category_slug="women", page=common_pb2.PageRequest(page_size=96))
    assert response.page.page_size == 96
    with pytest.raises(Invalid, match="page_size 97 is over the maximum of 96"):
        listing(shop, category_slug="women", page=common_pb2.PageRequest(page_size=97))


# -- facets ------------------------------------------------------------------------------------


def test_facets_without_filters(shop):
    response = listing(shop, category_slug="women")

    assert [(f.name, f.label) for f in response.facets] == [
        ("brand", "Brand"),
        ("colour", "Colour"),
        ("size", "Size"),
        ("price_band", "Price"),
    ]
    assert facet(response, "brand") == [("Acme", 2, False), ("Belle", 1, False), ("Zoom", 2, False)]
    assert facet(response, "colour") == [
        ("black", 2, False),
        ("blue", 2, False),
        ("red", 2, False),
        ("white", 1, False),
    ]
    # Letter sizes in wearing order, then numeric sizes by value.
    assert [v for v, _, _ in facet(response, "size")] == [
        "XS",
        "S",
        "M",
        "L",
        "XL",
        "9",
        "10",
        "38",
        "40",
    ]
    assert facet(response, "size")[2] == ("M", 2, False)
    (bands,) = [f for f in response.facets if f.name == "price_band"]
    assert [(v.value, v.label, v.count) for v in bands.values] == [
        ("0-25", "Under €25", 1),
        ("25-50", "€25 \N{EN DASH} €50", 1),
        ("50-100", "€50 \N{EN DASH} €100", 1),
        ("100-250", "€100 \N{EN DASH} €250", 1),
        ("250-", "€250 and over", 1),  # 250.00 exactly is in the top band
    ]


def test_values_of_one_facet_are_ored(shop):
    response = listing(shop, category_slug="women", filter=Filter(brands=["Belle", "Zoom"]))

    assert ids(response.products) == [2, 5, 6]
    # The brand facet ignores the brand filter: it still offers Acme, with what it would add.
    assert facet(response, "brand") == [("Acme", 2, False), ("Belle", 1, True), ("Zoom", 2, True)]
    assert facet(response, "colour") == [("black", 2, False), ("white", 1, False)]


def test_facets_are_anded_and_counted_disjunctively(shop):
    response = listing(shop, category_slug="women", filter=Filter(brands=["Acme"], colours=["red"]))

    assert ids(response.products) == [3, 1]
    assert response.page.total_items == 2
    # Brands are counted with the colour filter only; Belle's red dress is discontinued.
    assert facet(response, "brand") == [("Acme", 2, True)]
    # Colours are counted with the brand filter only.
    assert facet(response, "colour") == [("blue", 2, False), ("red", 2, True)]
    # Other facets get every filter.
    assert facet(response, "size") == [
        ("XS", 1, False),
        ("S", 1, False),
        ("M", 1, False),
        ("L", 1, False),
        ("XL", 1, False),
    ]
    assert facet(response, "price_band") == [("0-25", 1, False), ("25-50", 1, False)]


def test_size_and_price_band_filters(shop):
    response = listing(
        shop, category_slug="women", filter=Filter(sizes=["M"], price_bands=["50-100", "0-25"])
    )

    assert ids(response.products) == [2, 1]
    assert facet(response, "price_band") == [("0-25", 1, True), ("50-100", 1, True)]
    assert facet(response, "size") == [("S", 1, False), ("M", 2, True), ("L", 1, False)]


def test_a_price_sorted_page_walks_only_the_prices_of_the_bands_holding_matches(shop):
    # Shoe sizes: the running shoe (EUR 120, band 100-250) and the trail shoe (EUR 250, 250-).
    # A walk along the price from the cheapest would read every cheaper product of Women
    # first: it starts at the first band holding a match, 100-250.
    shoes = Filter(sizes=["40", "10"])
    with statements_run(shop.ctx.db) as statements:
        ascending = listing(
            shop, category_slug="women", filter=shoes, sort=catalog_pb2.PRODUCT_SORT_PRICE_ASC
        )
    assert ids(ascending.products) == [5, 6]
    (page,) = [(sql, values) for sql, values in statements if "category_products.price >=" in sql]
    assert 10_000 in page[1]  # from the band's start, in cents
    descending = listing(
        shop, category_slug="women", filter=shoes, sort=catalog_pb2.PRODUCT_SORT_PRICE_DESC
    )
    assert ids(descending.products) == [6, 5]
    # Matches in every band (a colour of all prices): nothing to skip, no bounds.
    with statements_run(shop.ctx.db) as statements:
        listing(shop, category_slug="women", sort=catalog_pb2.PRODUCT_SORT_PRICE_ASC)
        listing(
            shop,
            category_slug="women",
            filter=Filter(brands=["Acme", "Belle", "Zoom"]),
            sort=catalog_pb2.PRODUCT_SORT_PRICE_ASC,
        )
    assert not [sql for sql, _ in statements if "category_products.price >=" in sql]


def test_selected_values_without_products_are_still_listed(shop):
    response = listing(
        shop,
        category_slug="women",
        filter=Filter(brands=["Acme", "Nobody"], price_bands=["250-"]),
    )

    assert not response.products
    assert response.page.total_items == 0
    assert facet(response, "brand") == [("Acme", 0, True), ("Nobody", 0, True), ("Zoom", 1, False)]
    assert facet(response, "price_band") == [
        ("0-25", 1, False),
        ("25-50", 1, False),
        ("250-", 0, True),
    ]


def test_filtered_pages_stop_at_the_listed_maximum_and_unfiltered_ones_do_not(shop, monkeypatch):
    # A filtered page walks the index probing each entry before it (2.5 s for page 2,000 of a
    # colour at a million products): its pages reach FILTERED_LISTED_MAX products at most.
    monkeypatch.setattr(catalog, "FILTERED_LISTED_MAX", 2)
    sizes = Filter(sizes=["S", "M", "L", "XL"])
    every = listing(shop, category_slug="women", filter=sizes)
    assert every.page.total_items == 3  # still every match
    assert (every.listed_max, every.page.total_pages, len(every.products)) == (2, 1, 2)

    pages = [
        listing(shop, category_slug="women", filter=sizes, page=Page(page=number, page_size=1))
        for number in (1, 2, 3)
    ]
    assert [response.page.total_pages for response in pages] == [2, 2, 2]
    assert [ids(response.products) for response in pages] == [
        ids(every.products)[:1],
        ids(every.products)[1:],
        [],
    ]

    unfiltered = listing(shop, category_slug="women", page=Page(page_size=2))
    assert unfiltered.page.total_items == 5
    assert (unfiltered.listed_max, unfiltered.page.total_pages) == (0, 3)
    few = listing(shop, category_slug="women", filter=Filter(sizes=["XL"]))
    assert (few.page.total_items, few.listed_max) == (1, 0)


def test_unknown_price_band_is_invalid(shop):
    with pytest.raises(Invalid, match="unknown price band '10-20'"):
        listing(shop, category_slug="women", filter=Filter(price_bands=["10-20"]))


def test_too_many_filter_values_are_invalid(shop):
    with pytest.raises(Invalid, match=r"filter\.colours"):
        listing(shop, category_slug="women", filter=Filter(colours=[str(n) for n in range(51)]))


def test_overlong_filter_value_is_invalid(shop):
    with pytest.raises(Invalid, match="over 100 characters"):
        listing(shop, category_slug="women", filter=Filter(brands=["x" * 101]))


def test_a_product_write_moves_its_listings_and_counts_in_the_same_transaction(shop):
    assert listing(shop, category_slug="women").page.total_items == 5

    async def discontinue_evening_dress_and_recolour_the_summer_dress() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(update(products).where(products.c.id == 2).values(discontinued=True))
            await conn.execute(
                update(variants).where(variants.c.product_id == 1).values(colour="green")
            )
            await listing_index.refresh_products(conn, [1, 2])

    shop.run(discontinue_evening_dress_and_recolour_the_summer_dress())
    response = listing(shop, category_slug="women")
    # No cache to wait for: the counts are the index's, moved by the write itself.
    assert ids(response.products) == [5, 3, 6, 1]
    assert response.page.total_items == 4
    assert facet(response, "brand") == [("Acme", 2, False), ("Zoom", 2, False)]
    assert facet(response, "colour") == [
        ("black", 1, False),
        ("blue", 1, False),
        ("green", 1, False),
        ("red", 1, False),
        ("white", 1, False),
    ]
    dresses = listing(shop, category_slug="women-dresses", filter=Filter(colours=["red"]))
    assert ids(dresses.products) == [3]
    tree = shop.call(catalog.get_category_tree, catalog_pb2.GetCategoryTreeRequest())
    assert [(root.slug, root.product_count) for root in tree.roots][1] == ("women", 5)  # cached


def test_filter_values_are_data_not_sql(shop):
    response = listing(shop, category_slug="women", filter=Filter(brands=["' OR 1=1 --", "%"]))
    assert response.page.total_items == 0


# -- GetProduct / GetProductBySlug -------------------------------------------------------------


def test_product_has_everything_its_page_shows(shop):
    product = shop.call(catalog.get_product, catalog_pb2.GetProductRequest(id=1)).product

    assert (product.slug, product.name, product.sku) == ("summer-dress", "Summer Dress", "SKU-001")
    assert product.price.amount == 1999
    assert product.compare_at_price.amount == 2999
    assert [image.url for image in product.images] == ["/img/1-1.jpg", "/img/1-2.jpg"]
    assert product.images[0].alt == "Summer Dress, view 1"
    assert [(v.size, v.colour, v.stock) for v in product.variants] == [
        ("S", "red", 2),
        ("M", "red", 0),
        ("L", "blue", 0),
    ]
    assert [(a.name, a.value) for a in product.attributes] == [
        ("Material", "Cotton"),
        ("Care", "Machine wash"),
    ]
    assert [c.slug for c in product.breadcrumbs] == ["women", "women-dresses"]
    assert product.category_id == 3
    assert not product.discontinued
    assert product.created_at.ToDatetime(tzinfo=UTC) == datetime(2024, 1, 1, 9, 30, tzinfo=UTC)


def test_discontinued_product_is_returned_marked(shop):
    product = shop.call(catalog.get_product, catalog_pb2.GetProductRequest(id=4)).product

    assert product.discontinued
    assert product.name == "Old Dress"
    assert not product.HasField("compare_at_price")


@pytest.mark.parametrize("product_id", [0, 999, 2**40])
def test_unknown_product_is_not_found(shop, product_id):
    with pytest.raises(NotFound):
        shop.call(catalog.get_product, catalog_pb2.GetProductRequest(id=product_id))


def test_product_by_slug(shop):
    response = shop.call(
        catalog.get_product_by_slug, catalog_pb2.GetProductBySlugRequest(slug="rain-jacket")
    )
    assert response.WhichOneof("result") == "product"
    assert response.product.id == 9
    assert [c.name for c in response.product.breadcrumbs] == ["Men", "Outerwear", "Rain Jackets"]


def test_old_slug_answers_moved_with_the_canonical_one(shop):
    response = shop.call(
        catalog.get_product_by_slug, catalog_pb2.GetProductBySlugRequest(slug="summer-dress-2023")
    )

    assert response.WhichOneof("result") == "moved"
    assert response.moved == catalog_pb2.ProductMoved(product_id=1, canonical_slug="summer-dress")


def test_unknown_slug_is_not_found(shop):
    with pytest.raises(NotFound):
        shop.call(catalog.get_product_by_slug, catalog_pb2.GetProductBySlugRequest(slug="nope"))
    with pytest.raises(NotFound):
        shop.call(catalog.get_product_by_slug, catalog_pb2.GetProductBySlugRequest(slug="x" * 500))


@pytest.mark.parametrize("slug", ["", "   ", "bad\x00slug"])
def test_blank_or_broken_slug_is_invalid(shop, slug):
    with pytest.raises(Invalid):
        shop.call(catalog.get_product_by_slug, catalog_pb2.GetProductBySlugRequest(slug=slug))


# -- GetRelatedProducts ------------------------------------------------------------------------


def related(shop: Shop, product_id: int, limit: int = 0) -> list[int]:
    request = catalog_pb2.GetRelatedProductsRequest(product_id=product_id, limit=limit)
    return ids(shop.call(catalog.get_related_products, request).products)


def test_related_are_siblings_then_the_parents_subtree(shop):
    assert related(shop, 1) == [2, 3, 5, 6]  # dresses first, then shoes; never itself
    assert related(shop, 1, limit=3) == [2, 3, 5]
    assert related(shop, 9) == [10, 11]  # the discontinued coat is left out


def test_related_of_a_discontinued_product_still_answers(shop):
    assert related(shop, 12) == [11, 9, 10]


def test_related_limit_is_capped(shop):
    assert len(related(shop, 1, limit=24)) == 4
    with pytest.raises(Invalid, match="limit 25 is over the maximum of 24"):
        related(shop, 1, limit=25)


def test_related_of_unknown_product_is_not_found(shop):
    with pytest.raises(NotFound):
        related(shop, 999)


def test_related_from_a_kept_rail_are_those_read_afresh(shop):
    kept = {(n, limit): related(shop, n, limit) for n in range(1, 13) for limit in (1, 2, 3, 8)}
    shop.ctx = replace(shop.ctx, settings=replace(shop.ctx.settings, api_answer_cache=False))
    assert kept == {key: related(shop, *key) for key in kept}
    assert kept[1, 8] == [2, 3, 5, 6]


def test_a_kept_rail_shows_a_change_once_its_seconds_are_over(shop):
    now = [0.0]
    rails = LeafRails(5, timer=lambda: now[0])

    def names(product_id: int) -> list[str]:
        rows = shop.run(read(shop.ctx.db, lambda conn: related_page(conn, product_id, 1, rails)))
        return [row.name for row in rows]

    assert names(1) == ["Evening Dress"]

    async def rename() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(update(products).where(products.c.id == 2).values(name="Renamed"))

    shop.run(rename())
    now[0] = 4.9
    assert names(3) == ["Evening Dress"]  # the leaf's rail, kept
    now[0] = 5.1
    assert names(3) == ["Renamed"]


def test_a_rail_is_kept_per_leaf_within_its_bound(shop):
    rails = LeafRails(5, max_leaves=1)
    for product_id in (1, 5, 1):  # a dress, a shoe, the dress again: its rail read anew
        shop.run(read(shop.ctx.db, lambda conn, n=product_id: related_page(conn, n, 1, rails)))
    assert len(rails._rails) == 1


# -- Statements per read -----------------------------------------------------------------------


def test_product_reads_and_a_category_page_are_a_statement_or_two(shop):
    # Each statement is a round trip (several thread hops on aiosqlite): what a worker spends
    # per uncached read. The category tree and the sales are loaded once per worker (for a few
    # seconds), not counted here.
    shop.call(catalog.get_category_tree, catalog_pb2.GetCategoryTreeRequest())
    shop.run(sale_prices(shop.ctx))
    with statements_run(shop.ctx.db) as statements:

        def count(method, request) -> int:
            statements.clear()
            shop.call(method, request)
            return len(statements)

        assert count(catalog.get_product, catalog_pb2.GetProductRequest(id=1)) == 1
        by_slug = catalog_pb2.GetProductBySlugRequest(slug="summer-dress")
        assert count(catalog.get_product_by_slug, by_slug) == 1
        # The product's leaf, then the leaf's first products, read once and kept (LeafRails):
        # a sibling then probes only its leaf. Too few siblings: the cousins' statement too.
        enough = catalog_pb2.GetRelatedProductsRequest(product_id=1, limit=1)
        assert count(catalog.get_related_products, enough) == 2
        sibling = catalog_pb2.GetRelatedProductsRequest(product_id=2, limit=1)
        assert count(catalog.get_related_products, sibling) == 1
        too_few = catalog_pb2.GetRelatedProductsRequest(product_id=1)
        assert count(catalog.get_related_products, too_few) == 2
        # With the answer cache off every call reads: the siblings' statement alone, or the
        # statement of both parts after it.
        shop.ctx = replace(shop.ctx, settings=replace(shop.ctx.settings, api_answer_cache=False))
        assert count(catalog.get_related_products, enough) == 1
        assert count(catalog.get_related_products, too_few) == 2
        # The counts, then the page.
        assert count(catalog.list_category_products, ListRequest(category_slug="women")) == 2
