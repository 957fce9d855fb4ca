"""Checks on request fields that several services share: pages, sorts, ids and text.

Each check raises Invalid with a message naming the field, so a bad request is answered, never
passed on to the database where it would fail as an internal error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from contract import catalog_pb2, common_pb2
from contract.errors import Invalid, NotFound

DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 96
# Ids are 32-bit integer columns; a larger id cannot exist, and PostgreSQL would refuse to
# bind it, so lookups answer "not found" without asking the database.
MAX_ROW_ID = 2**31 - 1
_SORTS = frozenset(catalog_pb2.ProductSort.values())


@dataclass(frozen=True)
class Page:
    number: int  # from 1
    size: int

    @classmethod
    def from_request(cls, request: common_pb2.PageRequest) -> Page:
        size = request.page_size or DEFAULT_PAGE_SIZE
        if size > MAX_PAGE_SIZE:
            raise Invalid(f"page_size {size} is over the maximum of {MAX_PAGE_SIZE}")
        return cls(number=request.page or 1, size=size)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def info(self, total_items: int, listed_items: int | None = None) -> common_pb2.PageInfo:
        """`listed_items`: how many of the items the pages reach, when not all of them."""
        listed = total_items if listed_items is None else listed_items
        return common_pb2.PageInfo(
            page=self.number,
            page_size=self.size,
            total_items=total_items,
            total_pages=math.ceil(listed / self.size),
        )


def product_sort(value: int) -> int:
    if value not in _SORTS:
        raise Invalid(f"sort {value} is not a ProductSort value")
    return value


def limit(value: int, *, field: str, default: int, maximum: int) -> int:
    """A requested count: 0 means the default, above the maximum is refused."""
    if value > maximum:
        raise Invalid(f"{field} {value} is over the maximum of {maximum}")
    return value or default


def known_id(value: int) -> bool:
    """Whether a row could have this id; 0 is proto3's "unset"."""
    return 0 < value <= MAX_ROW_ID


def text(value: str, *, field: str, max_length: int) -> str:
    """Stripped text; NUL cannot be stored or compared in PostgreSQL text, so it is refused."""
    if "\x00" in value:
        raise Invalid(f"{field} contains a NUL character")
    if len(value) > max_length:
        raise Invalid(f"{field} is {len(value)} characters long; the maximum is {max_length}")
    return value.strip()


def slug(value: str, *, kind: str, max_length: int) -> str:
    """A stripped slug to look up. Empty or NUL is Invalid; one longer than the column cannot
    name anything, so it is NotFound without asking the database."""
    if "\x00" in value:
        raise Invalid("slug contains a NUL character")
    stripped = value.strip()
    if not stripped:
        raise Invalid("slug is empty")
    if len(stripped) > max_length:
        raise NotFound(f"no {kind} has slug {stripped[:40]!r}…")
    return stripped
