"""From records to products: each row checked on its own, then a product's consecutive rows
(one a variant) gathered into one ProductInput whose product columns must agree.

A product's columns may be repeated on every row of it or given on its first row only (as
Shopify's exports do); a later row that gives another value is a bad row. A column missing from
the file (or from a JSON object) leaves that part of an existing product as it is; a column
present but empty means "none" where none is possible (brand, description, compare_at_price,
images) and "keep" where it is not (name, category, price, currency, status, slug, position).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from api.catalogue_import import fields
from api.catalogue_import.fields import PRODUCT_CODE, SKU, STOCK, RowError
from api.catalogue_import.reading import Record

# Rows (variants) of one product at most: a product is held in memory while it is read.
MAX_VARIANTS = 1000

_PARSERS: dict[str, Any] = {
    "name": lambda cell: fields.text("name", cell),
    "slug": fields.slug,
    "brand": lambda cell: fields.text("brand", cell),
    "description": lambda cell: fields.text("description", cell),
    "category": lambda cell: fields.text("category", cell),
    "price": lambda cell: fields.amount("price", cell),
    "compare_at_price": lambda cell: fields.amount("compare_at_price", cell),
    "currency": fields.currency,
    "status": fields.status,
    "position": lambda cell: fields.whole("position", cell),
    "image_urls": lambda cell: fields.image_urls(cell) or None,
    "image_alts": lambda cell: fields.image_alts(cell) or None,
    "image_width": lambda cell: fields.whole("image_width", cell, lowest=1, highest=10_000),
    "image_height": lambda cell: fields.whole("image_height", cell, lowest=1, highest=10_000),
}


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class VariantInput:
    line: int
    sku: str
    size: str
    colour: str
    stock: int | None  # None: keep the variant's stock (a new variant needs one)


@dataclass
class ProductInput:
    """A product as its rows give it; `given` holds only the columns the file has, None for
    an empty cell."""

    code: str
    first_line: int
    given: dict[str, Any] = field(default_factory=dict)
    variants: list[VariantInput] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    _given_on: dict[str, int] = field(default_factory=dict)
    _too_many: bool = False

    @property
    def last_line(self) -> int:
        return self.variants[-1].line if self.variants else self.first_line

    def add(self, record: Record) -> None:
        self.rows += 1
        if record.problem:
            self.problems.append(Problem(record.line, record.problem))
            return
        try:
            values = _product_values(record)
            variant = _variant(record)
        except RowError as error:
            self.problems.append(Problem(record.line, str(error)))
            return
        for column, value in values.items():
            self._merge(record.line, column, value)
        if len(self.variants) < MAX_VARIANTS:
            self.variants.append(variant)
        elif not self._too_many:
            self._too_many = True
            self.problems.append(
                Problem(record.line, f"product {self.code} has {MAX_VARIANTS} variants at most")
            )

    def _merge(self, line: int, column: str, value: Any) -> None:
        if value is None:
            self.given.setdefault(column, None)
            return
        before = self.given.get(column)
        if before is None:
            self.given[column] = value
            self._given_on[column] = line
        elif before != value:
            self.problems.append(
                Problem(
                    line,
                    f"{column} differs from line {self._given_on[column]}'s: the rows of "
                    f"product {self.code} must agree (or leave it empty after the first)",
                )
            )

    def decimal(self, column: str) -> Decimal | None:
        value = self.given.get(column)
        return value if isinstance(value, Decimal) else None


def _product_values(record: Record) -> dict[str, Any]:
    # Most rows of a product leave its columns empty: those need no parser.
    return {
        column: parse(cell) if cell else None
        for column, parse in _PARSERS.items()
        if column in record.cells
        for cell in (record.cells[column],)
    }


def _variant(record: Record) -> VariantInput:
    cells = record.cells
    return VariantInput(
        line=record.line,
        sku=fields.required_text(SKU, cells.get(SKU)),
        size=fields.text("size", cells.get("size")) or "",
        colour=fields.text("colour", cells.get("colour")) or "",
        stock=fields.whole(STOCK, cells.get(STOCK)),
    )


@dataclass(frozen=True)
class Unattributed:
    """A row with no product to put it with: unreadable, or without a product code."""

    problem: Problem


def products_of(records: Iterable[Record]) -> Iterator[ProductInput | Unattributed]:
    """Consecutive rows with the same product code make one product. A row without one is
    reported alone and does not end the product being read."""
    current: ProductInput | None = None
    for record in records:
        try:
            code = fields.text(PRODUCT_CODE, record.cells.get(PRODUCT_CODE))
        except RowError as error:
            yield Unattributed(Problem(record.line, str(error)))
            continue
        if code is None:
            reason = record.problem or "product_code is empty"
            yield Unattributed(Problem(record.line, reason))
            continue
        if current is None or current.code != code:
            if current is not None:
                yield current
            current = ProductInput(code=code, first_line=record.line)
        current.add(record)
    if current is not None:
        yield current


@dataclass(frozen=True)
class StockInput:
    line: int
    sku: str
    stock: int


def stock_of(record: Record) -> StockInput:
    """A row of a stock-only feed: its sku and stock; other columns are not read."""
    if record.problem and not record.problem.startswith("unknown field"):
        raise RowError(record.problem)
    stock = fields.whole(STOCK, record.cells.get(STOCK))
    if stock is None:
        raise RowError("stock is empty")
    return StockInput(record.line, fields.required_text(SKU, record.cells.get(SKU)), stock)
