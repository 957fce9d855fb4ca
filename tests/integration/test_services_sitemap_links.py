"""The Catalog reads behind sitemaps, over the hand-made catalogue, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.services import catalog
from contract import catalog_pb2
from contract.errors import Invalid
from tests.integration.catalogue_fixture import Shop, writable_shop  # noqa: F401 - the `shop` fixture

LIVE_IDS = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]  # 4 and 12 are discontinued


def links(shop: Shop, **fields) -> list[catalog_pb2.ProductLink]:
    request = catalog_pb2.ListProductLinksRequest(**fields)
    return list(shop.call(catalog.list_product_links, request).links)


def test_product_links_page_through_live_products_by_id_with_slug_and_change_time(shop):
    first = links(shop, limit=4)
    assert [link.id for link in first] == [1, 2, 3, 5]
    assert first[0].slug == "summer-dress"
    assert first[0].updated_at.ToDatetime(tzinfo=UTC) == datetime(2024, 1, 1, 9, 30, tzinfo=UTC)
    rest = links(shop, after_id=first[-1].id, limit=100)
    assert [link.id for link in first + rest] == LIVE_IDS


def test_product_links_stop_at_the_upper_bound(shop):
    assert [link.id for link in links(shop, after_id=2, up_to_id=8)] == [3, 5, 6, 7, 8]


def test_product_links_refuse_a_page_over_the_maximum(shop):
    with pytest.raises(Invalid, match="limit"):
        links(shop, limit=catalog.PRODUCT_LINKS_MAX + 1)


def test_link_ranges_are_spans_of_size_ids_with_their_live_product_counts(shop):
    request = catalog_pb2.GetProductLinkRangesRequest(size=4)
    ranges = shop.call(catalog.get_product_link_ranges, request).ranges
    assert [(r.first_id, r.last_id, r.count) for r in ranges] == [(1, 4, 3), (5, 8, 4), (9, 12, 3)]
    for each in ranges:
        inside = links(shop, after_id=each.first_id - 1, up_to_id=each.last_id)
        assert len(inside) == each.count


def test_one_range_holds_a_small_catalogue(shop):
    request = catalog_pb2.GetProductLinkRangesRequest()
    ranges = shop.call(catalog.get_product_link_ranges, request).ranges
    assert [(r.first_id, r.last_id, r.count) for r in ranges] == [(1, 50_000, 10)]


def test_spans_without_a_live_product_are_left_out(shop):
    request = catalog_pb2.GetProductLinkRangesRequest(size=2)
    ranges = shop.call(catalog.get_product_link_ranges, request).ranges
    # ids 11-12 hold the wool coat; 3-4 only the floral dress (4 is discontinued)
    assert [(r.first_id, r.count) for r in ranges] == [
        (1, 2),
        (3, 1),
        (5, 2),
        (7, 2),
        (9, 2),
        (11, 1),
    ]


def test_category_links_name_categories_with_live_products_and_their_latest_change(shop):
    request = catalog_pb2.ListCategoryLinksRequest()
    found = shop.call(catalog.list_category_links, request).categories
    assert [link.slug for link in found] == [  # tree order; gifts has no products
        "men",
        "men-shirts",
        "men-outerwear",
        "men-rain-jackets",
        "men-coats",
        "women",
        "women-shoes",
        "women-dresses",
    ]
    latest = {link.slug: link.updated_at.ToDatetime(tzinfo=UTC) for link in found}
    # Coats: the discontinued coat (Nov 11) is newer than the wool coat (Oct 1) but not listed.
    assert latest["men-coats"] == datetime(2024, 10, 1, 9, 30, tzinfo=UTC)
    assert latest["men"] == latest["men-coats"]
