"""Catalog/ListFeedItems, the product feed's read, over the hand-made catalogue, on SQLite and
PostgreSQL: pages by id, what each item says, and bounds a caller gets wrong."""

from __future__ import annotations

import pytest

from api.services import catalog
from api.validation import MAX_ROW_ID
from contract import catalog_pb2
from contract.errors import Invalid
from tests.integration.catalogue_fixture import Shop, writable_shop  # noqa: F401 - the `shop` fixture

LIVE_IDS = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]  # 4 and 12 are discontinued


def items(shop: Shop, **fields) -> list[catalog_pb2.FeedItem]:
    request = catalog_pb2.ListFeedItemsRequest(**fields)
    return list(shop.call(catalog.list_feed_items, request).items)


def ids(found: list[catalog_pb2.FeedItem]) -> list[int]:
    return [item.summary.id for item in found]


def test_feed_items_page_through_live_products_by_id(shop):
    first = items(shop, limit=4)
    assert ids(first) == [1, 2, 3, 5]
    rest = items(shop, after_id=5, limit=100)
    assert ids(first + rest) == LIVE_IDS


def test_a_feed_item_has_what_a_shopping_ad_shows(shop):
    dress, evening, floral = items(shop, limit=3)
    assert dress.sku
    assert dress.description
    assert dress.summary.slug == "summer-dress"
    assert dress.summary.name == "Summer Dress"
    assert dress.summary.brand == "Acme"
    assert (dress.summary.price.amount, dress.summary.price.currency) == (1999, "EUR")
    assert dress.summary.compare_at_price.amount == 2999
    assert dress.summary.image.url
    assert dress.summary.in_stock  # S red has 2
    assert not evening.summary.HasField("compare_at_price")
    assert not floral.summary.in_stock  # no variant has stock
    assert not floral.summary.HasField("image")


def test_feed_items_stay_within_the_range(shop):
    assert ids(items(shop, after_id=2, up_to_id=8)) == [3, 5, 6, 7, 8]
    assert ids(items(shop, after_id=2, up_to_id=8, limit=2)) == [3, 5]


def test_an_empty_range_answers_no_items(shop):
    assert items(shop, after_id=3, up_to_id=3) == []
    assert items(shop, after_id=3, up_to_id=4) == []  # 4 is discontinued
    assert items(shop, after_id=12) == []
    assert items(shop, after_id=MAX_ROW_ID) == []


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"after_id": 8, "up_to_id": 2}, "up_to_id"),
        ({"after_id": MAX_ROW_ID + 1}, "after_id"),
        ({"after_id": 2**64 - 1}, "after_id"),
        ({"up_to_id": 2**63}, "up_to_id"),
        ({"limit": catalog.FEED_ITEMS_MAX + 1}, "limit"),
    ],
)
def test_bad_bounds_are_refused_as_invalid(shop, fields, named):
    with pytest.raises(Invalid, match=named):
        items(shop, **fields)
