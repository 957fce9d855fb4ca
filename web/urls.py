"""The storefront's URL scheme, in one place: readable slugs, and a stable id in product URLs."""

from __future__ import annotations

from typing import Any


def product_url(product: Any) -> str:
    """/p/<id>/<slug>: the id finds the product even after its slug changes."""
    return f"/p/{product.id}/{product.slug}"


def category_url(category: Any) -> str:
    return f"/c/{category.slug}"


def landing_url(page: Any) -> str:
    return f"/l/{page.slug}"
