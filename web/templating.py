"""The Jinja2 environment pages render with, and the filters templates format values with.

Templates receive protobuf messages as they come from the API; money is integer minor units
plus a currency code, turned into text here, once, with Babel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from babel.dates import format_date
from babel.numbers import format_currency, get_currency_precision

from web.config import PROJECT_ROOT
from web.urls import category_url, landing_url, product_url

TEMPLATES_DIR = PROJECT_ROOT / "templates"


def money(value: Any, locale: str) -> str:
    """A shop.v1.Money as text: {amount: 1299, currency: "EUR"} -> "€12.99"."""
    if not value.currency:
        return ""
    amount = Decimal(value.amount).scaleb(-get_currency_precision(value.currency))
    return format_currency(amount, value.currency, locale=locale)


def date(value: Any, locale: str, style: str = "medium") -> str:
    """A google.protobuf.Timestamp (or datetime) as a date in the shop's locale."""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value.seconds, UTC)
    return format_date(moment, format=style, locale=locale)


def with_params(base: dict[str, Any], **changes: Any) -> str:
    """The query string of `base` with `changes` applied; None removes a parameter."""
    merged = {**base, **changes}
    pairs = [
        (k, v)
        for k, values in merged.items()
        if values is not None
        for v in (values if isinstance(values, list | tuple) else [values])
    ]
    return "?" + urlencode(pairs) if pairs else ""


def make_environment(
    locale: str,
    asset_urls: Callable[[str], list[str]],
    *,
    directory: Path = TEMPLATES_DIR,
    auto_reload: bool = False,
) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"]),
        # A typo in a template fails loudly instead of rendering an empty string.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=auto_reload,
        extensions=["jinja2.ext.do"],
    )
    env.filters["money"] = lambda value: money(value, locale)
    env.filters["date"] = lambda value, style="medium": date(value, locale, style)
    env.globals.update(
        asset_urls=asset_urls,
        product_url=product_url,
        category_url=category_url,
        landing_url=landing_url,
        with_params=with_params,
        locale=locale,
    )
    return env
