"""The storefront's URL scheme, in one place: readable slugs, and a stable id in product URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

# A listing's parameters that do not filter it: they stay on the category URL /c/<slug>.
LISTING_PARAMS = frozenset({"sort", "page"})


def product_url(product: Any) -> str:
    """/p/<id>/<slug>: the id finds the product even after its slug changes."""
    return f"/p/{product.id}/{product.slug}"


def category_url(category: Any) -> str:
    return f"/c/{category.slug}"


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
