"""The storefront's URL scheme, in one place: readable slugs, and a stable id in product URLs.

The front links with it; the API's emails use it too (order_url, confirm_registration_url), so it
lives here."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

# A listing's parameters that do not filter it: they stay on the category URL /c/<slug>.
LISTING_PARAMS = frozenset({"sort", "page"})


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
    pairs = [
        (key, value)
        for key, values in params.items()
        if values is not None
        for value in (values if isinstance(values, list | tuple) else [values])
    ]
    return "/search" + ("?" + urlencode(pairs) if pairs else "")


def help_path(slug: str) -> str:
    """A help page: /help/delivery, /help/returns, /help/contact, ..."""
    return f"/help/{slug}"


def landing_url(page: Any) -> str:
    return f"/l/{page.slug}"


def listing_url(category_slug: str, params: dict[str, Any]) -> str:
    """A category listing with `params` (None values dropped). Filtered listings live under
    /filter/<slug> so robots.txt can keep crawlers out of their combinations with one prefix;
    sorted and paged ones stay on /c/<slug>."""
    pairs = [
        (key, value)
        for key, values in params.items()
        if values is not None
        for value in (values if isinstance(values, list | tuple) else [values])
    ]
    filtered = any(key not in LISTING_PARAMS for key, _ in pairs)
    path = f"/filter/{category_slug}" if filtered else f"/c/{category_slug}"
    return path + ("?" + urlencode(pairs) if pairs else "")
