"""The rows the generators make, as plain dicts ready for one executemany per table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass
class ProductChunk:
    """The rows of up to CHUNK_SIZE products, for one insert per table."""

    products: list[Row] = field(default_factory=list)
    images: list[Row] = field(default_factory=list)
    variants: list[Row] = field(default_factory=list)
    attributes: list[Row] = field(default_factory=list)
    old_slugs: list[Row] = field(default_factory=list)


@dataclass
class LandingRows:
    pages: list[Row] = field(default_factory=list)
    blocks: list[Row] = field(default_factory=list)
    banners: list[Row] = field(default_factory=list)
    rail_products: list[Row] = field(default_factory=list)
