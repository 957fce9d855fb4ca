"""The storefront's URL scheme, in one place: readable slugs, and a stable id in product URLs.

The front links with it; the API's emails use it too (order_url, confirm_registration_url), so it
lives here."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote_plus, urlencode

# A listing's parameters that do not filter it: they stay on the category URL /c/<slug>.
LISTING_PARAMS = frozenset({"sort", "page"})
# Parameter names and values quoted for links: the facet values, sorts and page numbers of the
# catalogue, and the searches of the moment.
QUOTED_TEXTS_CACHED = 8192


def product_url(product: Any) -> str:
    """/p/<id>/<slug>: the id finds the product even after its slug changes."""
    return product_path(product.id, product.slug)


def product_path(product_id: int, slug: str) -> str:
    return f"/p/{product_id}/{slug}"


def category_url(category: Any) -> str:
    return category_path(category.slug)


def category_path(slug: str) -> str:
    return f"/c/{slug}"


def order_url(order: Any) -> str:
    """The order's own page: stable, and a guest's way back to it (also in the email)."""
    return f"/orders/{order.number}/{order.access_token}"


def account_order_url(number: str) -> str:
    return f"/account/orders/{number}"


def login_url(next_path: str) -> str:
    """The log-in page, coming back to `next_path` (a path on this site) afterwards."""
    return "/account/login?" + urlencode({"next": next_path}, safe="/")


def confirm_registration_url(token: str) -> str:
    """The registration email's link: its page's button makes the account."""
    return f"/account/confirm/{token}"


def search_url(params: dict[str, Any]) -> str:
    """/search with `params` (None values dropped, lists repeated): results, sorted and filtered."""
    pairs = query_pairs(params)
    return "/search" + ("?" + query_string(pairs) if pairs else "")


def help_path(slug: str) -> str:
    """A help page: /help/delivery, /help/returns, /help/contact, ..."""
    return f"/help/{slug}"


def landing_url(page: Any) -> str:
    return f"/l/{page.slug}"


def listing_url(category_slug: str, params: dict[str, Any]) -> str:
    """A category listing with `params` (None values dropped). Filtered listings live under
    /filter/<slug> so robots.txt can keep crawlers out of their combinations with one prefix;
    sorted and paged ones stay on /c/<slug>."""
    pairs = query_pairs(params)
    filtered = any(key not in LISTING_PARAMS for key, _ in pairs)
    path = f"/filter/{category_slug}" if filtered else f"/c/{category_slug}"
    return path + ("?" + query_string(pairs) if pairs else "")


def query_pairs(params: dict[str, Any]) -> list[tuple[str, Any]]:
    """`params` as (name, value) pairs: None values dropped, a list's values one pair each."""
    return [
        (key, value)
        for key, values in params.items()
        if values is not None
        for value in (values if isinstance(values, list | tuple) else [values])
    ]


def query_string(pairs: list[tuple[str, Any]]) -> str:
    """urlencode(pairs) for text and numbers, quoting each distinct name and value once: a
    category page links to a dozen filtered listings, and urlencode's quoting of the same
    facet values was a tenth of its render."""
    return "&".join(f"{_quoted(str(key))}={_quoted(str(value))}" for key, value in pairs)


@functools.lru_cache(maxsize=QUOTED_TEXTS_CACHED)
def _quoted(text: str) -> str:
    return quote_plus(text)
