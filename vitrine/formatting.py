"""Formatting the front and the API share: money, dates and country names in the shop's locale
(pages use them as Jinja2 filters, the API's order emails call them directly)."""

from __future__ import annotations

import datetime as dt
import functools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.support import NullTranslations

MONEY_TEXTS_CACHED = 8192
# Days a few years back and forth: every review and order date a shop shows.
DATE_TEXTS_CACHED = 4096
# The shop's words are English today; a Babel catalogue put here (and installed in the pages'
# Jinja environment, web/templating.py) would translate them, plurals included.
TRANSLATIONS = NullTranslations()


def item_count(count: int) -> str:
    """ "1 item", "2 items": the basket's count in words, through gettext's ngettext."""
    return TRANSLATIONS.ngettext("%(num)d item", "%(num)d items", count) % {"num": count}


def number(value: int, locale: str) -> str:
    """A count in the shop's locale: 1000 -> "1,000"."""
    return format_decimal(value, locale=locale)


def money(value: Any, locale: str) -> str:
    """A shop.v1.Money as text: {amount: 1299, currency: "EUR"} -> "€12.99"."""
    if not value.currency:
        return ""
    return _formatted_money(value.amount, value.currency, locale)


def money_amount(amount: int, currency: str, locale: str) -> str:
    """Minor units of a currency as text: (2000, "EUR") -> "€20.00"."""
    return _formatted_money(amount, currency, locale)


# A catalogue page shows the same few hundred prices again and again, and Babel's formatting
# (a locale parse each time) was 23 % of a product page's CPU (bench/README.md).
@functools.lru_cache(maxsize=MONEY_TEXTS_CACHED)
def _formatted_money(amount: int, currency: str, locale: str) -> str:
    minor = Decimal(amount).scaleb(-get_currency_precision(currency))
    return format_currency(minor, currency, locale=locale)


def date(value: Any, locale: str, style: str = "medium") -> str:
    """A google.protobuf.Timestamp (or datetime) as a date in the shop's locale."""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value.seconds, UTC)
    # Babel formats a datetime's day (its date()), so the day is the whole key.
    return _formatted_date(moment.date(), locale, style)


# Babel's formatting (a locale parse and a pattern each time) took 10 µs a date: ten reviews
# on a product page, ten dates.
@functools.lru_cache(maxsize=DATE_TEXTS_CACHED)
def _formatted_date(day: dt.date, locale: str, style: str) -> str:
    return format_date(day, format=style, locale=locale)


@functools.lru_cache(maxsize=64)
def country_name(code: str, locale: str) -> str:
    """An ISO 3166-1 alpha-2 code as the country's name in the shop's locale: "IE" -> "Ireland"."""
    name: str = Locale.parse(locale).territories.get(code.upper(), code)
    return name
