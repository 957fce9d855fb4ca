"""What templates show: money and dates through Babel, and links that change one parameter."""

from __future__ import annotations

import types
from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from contract import catalog_pb2, common_pb2
from vitrine.urls import category_url, product_url
from web.handlers.base import PageError
from web.handlers.catalog import ListingQuery
from web.templating import date, money, with_params


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        (1299, "EUR", "en_IE", "€12.99"),
        (0, "EUR", "en_IE", "€0.00"),
        (123456789, "EUR", "de_DE", "1.234.567,89\xa0€"),
        (1500, "JPY", "ja_JP", "￥1,500"),
        (995, "GBP", "en_GB", "£9.95"),
    ],
)
def test_money_is_minor_units_formatted_for_the_locale(amount, currency, locale, shown):
    assert money(common_pb2.Money(amount=amount, currency=currency), locale) == shown


def test_unset_money_shows_nothing_rather_than_a_wrong_amount():
    assert money(common_pb2.Money(), "en_IE") == ""


def test_dates_come_from_protobuf_timestamps():
    stamp = Timestamp(seconds=int(datetime(2026, 11, 23, tzinfo=UTC).timestamp()))
    assert date(stamp, "en_IE") == "23 Nov 2026"
    assert date(stamp, "de_DE", "long") == "23. November 2026"


def test_links_change_one_parameter_and_keep_the_rest():
    base = {"sort": "price-asc", "brand": ["Kestrel", "Marlowe"]}
    assert with_params(base, page=2) == "?sort=price-asc&brand=Kestrel&brand=Marlowe&page=2"
    assert with_params(base, brand=None) == "?sort=price-asc"
    assert with_params({}, page=None) == ""
    assert with_params({"q": "linen & wool"}) == "?q=linen+%26+wool"


def test_product_and_category_urls():
    product = catalog_pb2.Product(id=17, slug="soft-cotton-cardigan")
    assert product_url(product) == "/p/17/soft-cotton-cardigan"
    assert category_url(catalog_pb2.Category(slug="women-shoes")) == "/c/women-shoes"


def handler_with(**arguments: list[str]) -> object:
    def get_query_argument(name: str, default: str) -> str:
        return arguments.get(name, [default])[-1]

    def get_query_arguments(name: str) -> list[str]:
        return arguments.get(name, [])

    return types.SimpleNamespace(
        get_query_argument=get_query_argument, get_query_arguments=get_query_arguments
    )


def test_a_listing_query_keeps_sort_and_filters_in_a_stable_order():
    query = ListingQuery.parse(
        handler_with(page=["3"], sort=["newest"], brand=["Marlowe", "Kestrel", "Kestrel", " "])
    )
    assert (query.page, query.sort) == (3, "newest")
    assert query.filters == {"brand": ["Kestrel", "Marlowe"]}
    assert query.request_filter() == catalog_pb2.FacetFilter(brands=["Kestrel", "Marlowe"])
    assert query.arguments() == {"sort": "newest", "brand": ["Kestrel", "Marlowe"]}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"page": ["0"]}, "Page must be a whole number from 1 to 10000."),
        ({"page": ["-1"]}, "Page must be a whole number"),
        ({"page": ["1e3"]}, "Page must be a whole number"),
        ({"sort": ["cheapest"]}, "Unknown sort 'cheapest'"),
        ({"colour": [f"c{n}" for n in range(21)]}, "At most 20 values of colour."),
    ],
)
def test_a_bad_listing_query_is_a_400_that_says_why(arguments, message):
    with pytest.raises(PageError) as raised:
        ListingQuery.parse(handler_with(**arguments))
    assert raised.value.status_code == 400
    assert raised.value.message.startswith(message)
