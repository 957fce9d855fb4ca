"""The URL scheme shoppers, crawlers and the order emails see, built in one module."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

from vitrine.urls import (
    account_order_url,
    category_path,
    login_url,
    order_url,
    product_path,
    product_url,
    query_pairs,
    query_string,
)


def test_product_urls_carry_the_id_then_the_slug():
    assert product_url(SimpleNamespace(id=42, slug="wool-coat")) == "/p/42/wool-coat"
    assert product_path(42, "wool-coat") == "/p/42/wool-coat"
    assert category_path("women") == "/c/women"


def test_an_order_page_is_reached_by_number_and_access_token():
    order = SimpleNamespace(number="V-1001", access_token="tok_abc")
    assert order_url(order) == "/orders/V-1001/tok_abc"
    assert account_order_url("V-1001") == "/account/orders/V-1001"


def test_log_in_comes_back_to_a_path_kept_readable_and_escaped():
    assert login_url("/account/orders") == "/account/login?next=/account/orders"
    assert login_url("/search?q=a&b") == "/account/login?next=/search%3Fq%3Da%26b"


def test_query_strings_are_what_urlencode_writes():
    pairs = [("q", "wool & silk"), ("brand", "Aldgate & Co <Ltd>"), ("page", 2), ("x", "é/?=+#%")]
    assert query_string(pairs) == urlencode(pairs)
    assert query_pairs({"sort": None, "size": ["S", "M"], "page": 2}) == [
        ("size", "S"),
        ("size", "M"),
        ("page", 2),
    ]
