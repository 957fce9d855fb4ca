"""The columns of an import file and how one cell becomes a value, or the reason it cannot.

A cell is text (CSV, or a JSON string or number), a list of texts (JSON only, for the image
columns) or None (an empty cell, a JSON null). Every check raises RowError with a reason a shop
can act on; the reader puts "line N: " in front of it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision, is_currency

from api.schema import product_images, products, variants

Cell = str | list[str] | None

# Product columns: the same on every row of a product (or left empty after its first row).
PRODUCT_CODE = "product_code"
PRODUCT_COLUMNS = (
    PRODUCT_CODE,
    "name",
    "slug",
    "brand",
    "description",
    "category",
    "price",
    "compare_at_price",
    "currency",
    "status",
    "position",
    "image_urls",
    "image_alts",
    "image_width",
    "image_height",
)
# Variant columns: one variant a row.
SKU = "sku"
STOCK = "stock"
VARIANT_COLUMNS = (SKU, "size", "colour", STOCK)
COLUMNS = PRODUCT_COLUMNS + VARIANT_COLUMNS
IMAGE_COLUMNS = ("image_urls", "image_alts", "image_width", "image_height")

ACTIVE, DISCONTINUED = "active", "discontinued"
# A product image's size when the file gives none: the demo catalogue's portrait 4:5.
DEFAULT_IMAGE_WIDTH, DEFAULT_IMAGE_HEIGHT = 800, 1000
MAX_IMAGES = 20
MAX_IMAGE_SIDE = 10_000
MAX_DESCRIPTION = 20_000
# Prices up to a billion in the currency's major unit: beyond any shop's catalogue, and far from
# the 64-bit column's limit.
MAX_PRICE_MAJOR = 10**9
MAX_INT = 2**31 - 1

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HAS_LETTER = re.compile(r"[a-z]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_WHOLE = re.compile(r"[0-9]+")


class RowError(ValueError):
    """Why a row cannot be imported; the line, when the one raising it knows it."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.line = line


def _length(column: Any) -> int:
    return int(column.type.length)


MAX_LENGTHS = {
    PRODUCT_CODE: _length(products.c.sku),
    "name": _length(products.c.name),
    "slug": _length(products.c.slug),
    "brand": _length(products.c.brand),
    "description": MAX_DESCRIPTION,
    SKU: _length(variants.c.sku),
    "size": _length(variants.c.size),
    "colour": _length(variants.c.colour),
    "image_url": _length(product_images.c.url),
    "image_alt": _length(product_images.c.alt),
}


def shown(value: str) -> str:
    """A cell as a reason quotes it: short, on one line."""
    text = value if len(value) <= 40 else value[:40] + "…"
    return repr(text)


def text(column: str, cell: Cell) -> str | None:
    """Stripped text, None for an empty cell."""
    if cell is None:
        return None
    if isinstance(cell, list):
        raise RowError(f"{column} is a list; a text was expected")
    value = cell.strip()
    if not value:
        return None
    if "\x00" in value:
        raise RowError(f"{column} contains a NUL character")
    limit = MAX_LENGTHS.get(column)
    if limit is not None and len(value) > limit:
        raise RowError(f"{column} is {len(value)} characters long; the most is {limit}")
    return value


def required_text(column: str, cell: Cell) -> str:
    value = text(column, cell)
    if value is None:
        raise RowError(f"{column} is empty")
    return value


def slug(cell: Cell) -> str | None:
    value = text("slug", cell)
    if value is None:
        return None
    if not _SLUG.fullmatch(value) or not _HAS_LETTER.search(value):
        raise RowError(
            f"slug {shown(value)} is not a slug: lower-case letters, digits and single hyphens, "
            "with at least one letter"
        )
    return value


def slug_from_name(name: str) -> str:
    """The slug a new product without one gets: its name, lower-cased, hyphenated."""
    made = _NOT_SLUG.sub("-", name.lower()).strip("-")[: MAX_LENGTHS["slug"] - 8].strip("-")
    return made if _HAS_LETTER.search(made) else f"product-{made}".strip("-")


def currency(cell: Cell) -> str | None:
    value = text("currency", cell)
    if value is None:
        return None
    code = value.upper()
    if not _CURRENCY.fullmatch(code) or not is_currency(code):
        raise RowError(f"currency {shown(value)} is not an ISO 4217 currency code")
    return code


def amount(column: str, cell: Cell) -> Decimal | None:
    """An amount in a currency's major unit ("59.95"); minor_units turns it into the stored
    integer once the product's currency is known."""
    value = text(column, cell)
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RowError(f"{column} {shown(value)} is not a number") from None
    if not number.is_finite():
        raise RowError(f"{column} {shown(value)} is not a number")
    if number < 0:
        raise RowError(f"{column} {shown(value)} is negative")
    if number >= MAX_PRICE_MAJOR:
        raise RowError(f"{column} {shown(value)} is over {MAX_PRICE_MAJOR:,}")
    return number


def minor_units(column: str, number: Decimal, currency_code: str) -> int:
    """59.95 EUR -> 5995; more decimals than the currency has is refused, not rounded."""
    digits = get_currency_precision(currency_code)
    minor = number.scaleb(digits)
    if minor != minor.to_integral_value():
        raise RowError(
            f"{column} {number} has more than {digits} decimals, the most {currency_code} has"
        )
    return int(minor)


def major_units(minor: int, currency_code: str) -> Decimal:
    """5995 EUR -> 59.95: an amount as the file would write it."""
    return Decimal(minor).scaleb(-get_currency_precision(currency_code))


def whole(column: str, cell: Cell, *, lowest: int = 0, highest: int = MAX_INT) -> int | None:
    value = text(column, cell)
    if value is None:
        return None
    if not _WHOLE.fullmatch(value):
        raise RowError(f"{column} {shown(value)} is not a whole number of {lowest} or more")
    number = int(value)
    if not lowest <= number <= highest:
        raise RowError(f"{column} {number} is not between {lowest} and {highest}")
    return number


def status(cell: Cell) -> bool | None:
    """Whether the product is discontinued; None for an empty cell."""
    value = text("status", cell)
    if value is None:
        return None
    word = value.lower()
    if word not in (ACTIVE, DISCONTINUED):
        raise RowError(f"status {shown(value)} is neither {ACTIVE!r} nor {DISCONTINUED!r}")
    return word == DISCONTINUED


def image_urls(cell: Cell) -> tuple[str, ...]:
    """A JSON list, or in a CSV cell URLs separated by spaces (a URL holds none)."""
    urls = cell if isinstance(cell, list) else (cell or "").split()
    if len(urls) > MAX_IMAGES:
        raise RowError(f"image_urls has {len(urls)} images; the most is {MAX_IMAGES}")
    checked = []
    for url in urls:
        if not isinstance(url, str):
            raise RowError("image_urls holds something other than a text")
        value = url.strip()
        if not value.startswith(("https://", "http://", "/")) or value.startswith("//"):
            raise RowError(
                f"image URL {shown(value)} is neither http(s):// nor a path on the site (/…)"
            )
        if any(character.isspace() for character in value):
            raise RowError(f"image URL {shown(value)} contains a space")
        if len(value) > MAX_LENGTHS["image_url"]:
            raise RowError(f"an image URL is over {MAX_LENGTHS['image_url']} characters")
        checked.append(value)
    return tuple(checked)


def image_alts(cell: Cell) -> tuple[str, ...]:
    """A JSON list, or in a CSV cell texts separated by "|"."""
    alts = cell if isinstance(cell, list) else (cell.split("|") if cell else [])
    checked = []
    for alt in alts:
        if not isinstance(alt, str):
            raise RowError("image_alts holds something other than a text")
        value = alt.strip()
        if len(value) > MAX_LENGTHS["image_alt"]:
            raise RowError(f"an image's alt text is over {MAX_LENGTHS['image_alt']} characters")
        checked.append(value)
    return tuple(checked)
