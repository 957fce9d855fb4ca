"""A small hand-made catalogue, inserted row by row, so tests can assert exact counts and orders.

Categories (position order):
    Men (2, pos 1)            Shirts (5), Outerwear (6) > Rain Jackets (7), Coats (8)
    Women (1, pos 2)          Shoes (4, pos 1), Dresses (3, pos 2)
    Gifts (9, pos 3)          no products

Products (price in euro cents; * = discontinued):
    Dresses       1 Summer Dress  Acme  1999 (was 2999) pos 3  S red 2, M red 0, L blue 0
                  2 Evening Dress Belle 8999          pos 1  M black 1
                  3 Floral Dress  Acme  4999          pos 2  XS red 0, XL blue 0; no image
                  4 Old Dress*    Belle 2999          pos 4  M red 5
    Shoes         5 Running Shoe  Zoom  12000         pos 1  40 white 1, 38 white 3
                  6 Trail Shoe    Zoom  25000         pos 2  10 black 2, 9 black 1
    Shirts        7 Oxford Shirt  Acme  4500          pos 1  M white 1, L rainbow 1
                  8 Linen Shirt   Cotto 5000          pos 2  S blue 4
    Rain Jackets  9 Rain Jacket   Storm 15000         pos 1  L yellow 2
                 10 Packable Rain Jacket Storm 9900   pos 2  M navy 0
    Coats        11 Wool Coat     Storm 24999         pos 1  XL grey 1
                 12 Discontinued Coat* Storm 19999    pos 2  L grey 0

Landing pages: "home", "summer-sale" (Summer Sale), "autumn" (Autumn Looks); see LANDINGS.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api import listing_index, mail
from api.cache import TtlCache
from api.context import CallContext
from api.db import create_engine, migrate
from api.schema import (
    banners,
    categories,
    landing_blocks,
    landing_pages,
    landing_rail_products,
    product_attributes,
    product_images,
    product_old_slugs,
    products,
    variants,
)
from vitrine.config import Settings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
Request = TypeVar("Request")
Response = TypeVar("Response")

# id, parent_id, slug, name, depth, position
CATEGORIES = [
    (1, None, "women", "Women", 0, 2),
    (2, None, "men", "Men", 0, 1),
    (3, 1, "women-dresses", "Dresses", 1, 2),
    (4, 1, "women-shoes", "Shoes", 1, 1),
    (5, 2, "men-shirts", "Shirts", 1, 1),
    (6, 2, "men-outerwear", "Outerwear", 1, 2),
    (7, 6, "men-rain-jackets", "Rain Jackets", 2, 1),
    (8, 6, "men-coats", "Coats", 2, 2),
    (9, None, "gifts", "Gifts", 0, 3),
]
CATEGORY_NAMES = {row[0]: row[3] for row in CATEGORIES}


@dataclass(frozen=True)
class P:
    id: int
    name: str
    brand: str
    category_id: int
    price: int
    position: int
    created: datetime
    variants: tuple[tuple[str, str, int], ...]  # size, colour, stock
    images: int = 1
    compare_at_price: int | None = None
    discontinued: bool = False

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "-")


def _day(month: int, day: int = 1, year: int = 2024) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


# One product a line reads better as a table than the formatter's layout.
# fmt: off
PRODUCTS = [
    P(1, "Summer Dress", "Acme", 3, 1999, 3, _day(1),
      (("S", "red", 2), ("M", "red", 0), ("L", "blue", 0)), images=2, compare_at_price=2999),
    P(2, "Evening Dress", "Belle", 3, 8999, 1, _day(3), (("M", "black", 1),)),
    P(3, "Floral Dress", "Acme", 3, 4999, 2, _day(2), (("XS", "red", 0), ("XL", "blue", 0)),
      images=0),
    P(4, "Old Dress", "Belle", 3, 2999, 4, _day(1, 15), (("M", "red", 5),), discontinued=True),
    P(5, "Running Shoe", "Zoom", 4, 12000, 1, _day(4), (("40", "white", 1), ("38", "white", 3))),
    P(6, "Trail Shoe", "Zoom", 4, 25000, 2, _day(5), (("10", "black", 2), ("9", "black", 1))),
    P(7, "Oxford Shirt", "Acme", 5, 4500, 1, _day(6), (("M", "white", 1), ("L", "rainbow", 1))),
    P(8, "Linen Shirt", "Cotto", 5, 5000, 2, _day(7), (("S", "blue", 4),)),
    P(9, "Rain Jacket", "Storm", 7, 15000, 1, _day(8), (("L", "yellow", 2),)),
    P(10, "Packable Rain Jacket", "Storm", 7, 9900, 2, _day(9), (("M", "navy", 0),)),
    P(11, "Wool Coat", "Storm", 8, 24999, 1, _day(10), (("XL", "grey", 1),)),
    P(12, "Discontinued Coat", "Storm", 8, 19999, 2, _day(11), (("L", "grey", 0),),
      discontinued=True),
]
# fmt: on
OLD_SLUGS = [("summer-dress-2023", 1), ("raincoat", 9)]

# Landing pages: (id, slug, title, updated_at)
PAGES = [
    (1, "home", "Home", _day(12, 1)),
    (2, "summer-sale", "Summer Sale", _day(6, 1)),
    (3, "autumn", "Autumn Looks", _day(9, 1)),
]
# id, page_id, position, title, kind, rail_category_id, rail_sort, rail_limit
BLOCKS = [
    (1, 1, 2, "Highlights", "banners", None, 0, 8),
    (2, 1, 1, "Women's picks", "rail", 1, 1, 3),  # price ascending
    (3, 1, 3, "Coming soon", "banners", None, 0, 8),
    (4, 1, 4, "Staff picks", "rail", None, 0, 2),
    (5, 2, 1, "Outerwear", "rail", 6, 3, 8),  # newest
    (6, 2, 2, "Sale banners", "banners", None, 0, 8),
]
# block_id, position, product_id
RAIL_PICKS = [(4, 1, 12), (4, 2, 9), (4, 3, 5), (4, 4, 1)]
# id, block_id, position, title, starts_at, ends_at
BANNERS = [
    (1, 1, 2, "Always on", None, None),
    (2, 1, 1, "June only", _day(6, 1), _day(7, 1)),
    (3, 1, 3, "Expired", None, _day(1, 1)),
    (4, 3, 1, "Spring 2025", _day(1, 1, 2025), None),
    (5, 6, 1, "Sale ended", _day(6, 1), _day(6, 30)),
]


def _search_text(product: P) -> str:
    colours = dict.fromkeys(colour for _, colour, _ in product.variants)
    words = [product.name, product.brand, CATEGORY_NAMES[product.category_id], *colours]
    return " ".join(words).lower()


async def fill_catalogue(engine: AsyncEngine) -> None:
    await migrate(engine)
    async with engine.begin() as conn:
        await conn.execute(
            insert(categories),
            [
                {
                    "id": i,
                    "parent_id": parent,
                    "slug": slug,
                    "name": name,
                    "description": f"All {name.lower()}",
                    "depth": depth,
                    "position": position,
                }
                for i, parent, slug, name, depth, position in CATEGORIES
            ],
        )
        await conn.execute(
            insert(products),
            [
                {
                    "id": p.id,
                    "slug": p.slug,
                    "sku": f"SKU-{p.id:03}",
                    "name": p.name,
                    "brand": p.brand,
                    "description": f"The {p.name.lower()}.",
                    "category_id": p.category_id,
                    "price": p.price,
                    "compare_at_price": p.compare_at_price,
                    "currency": "EUR",
                    "discontinued": p.discontinued,
                    "position": p.position,
                    "search_text": _search_text(p),
                    "created_at": p.created,
                    "updated_at": p.created,
                }
                for p in PRODUCTS
            ],
        )
        await conn.execute(
            insert(product_old_slugs),
            [{"slug": slug, "product_id": product_id} for slug, product_id in OLD_SLUGS],
        )
        images = [
            # Inserted last position first: readers must order them.
            {
                "product_id": p.id,
                "position": position,
                "url": f"/img/{p.id}-{position}.jpg",
                "alt": f"{p.name}, view {position}",
                "width": 800,
                "height": 1000,
            }
            for p in PRODUCTS
            for position in range(p.images, 0, -1)
        ]
        await conn.execute(insert(product_images), images)
        await conn.execute(
            insert(variants),
            [
                {
                    "id": p.id * 10 + n,
                    "product_id": p.id,
                    "sku": f"SKU-{p.id:03}-{n}",
                    "size": size,
                    "colour": colour,
                    "stock": stock,
                    "position": n,
                }
                for p in PRODUCTS
                for n, (size, colour, stock) in enumerate(p.variants, start=1)
            ],
        )
        await conn.execute(
            insert(product_attributes),
            [
                {"product_id": p.id, "position": position, "name": name, "value": value}
                for p in PRODUCTS
                for position, name, value in (
                    (2, "Care", "Machine wash"),
                    (1, "Material", "Cotton"),
                )
            ],
        )
        await listing_index.rebuild(conn)
        await conn.execute(
            insert(landing_pages),
            [
                {
                    "id": i,
                    "slug": slug,
                    "title": title,
                    "description": f"{title} at Vitrine",
                    "updated_at": updated,
                }
                for i, slug, title, updated in PAGES
            ],
        )
        await conn.execute(
            insert(landing_blocks),
            [
                {
                    "id": i,
                    "page_id": page,
                    "position": position,
                    "title": title,
                    "kind": kind,
                    "rail_category_id": category,
                    "rail_sort": sort,
                    "rail_limit": limit,
                }
                for i, page, position, title, kind, category, sort, limit in BLOCKS
            ],
        )
        await conn.execute(
            insert(landing_rail_products),
            [
                {"block_id": block, "position": position, "product_id": product}
                for block, position, product in RAIL_PICKS
            ],
        )
        await conn.execute(
            insert(banners),
            [
                {
                    "id": i,
                    "block_id": block,
                    "position": position,
                    "title": title,
                    "link": f"/l/banner-{i}",
                    "image_url": f"/img/banner-{i}.jpg",
                    "alt": title,
                    "starts_at": starts,
                    "ends_at": ends,
                }
                for i, block, position, title, starts, ends in BANNERS
            ],
        )


class Shop:
    """A filled catalogue and the event loop its engine lives on; `call` runs one method."""

    def __init__(self, runner: asyncio.Runner, ctx: CallContext) -> None:
        self.runner = runner
        self.ctx = ctx

    def call(
        self,
        method: Callable[[CallContext, Request], Awaitable[Response]],
        request: Request,
    ) -> Response:
        return self.runner.run(method(self.ctx, request))

    def run(self, coroutine: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await coroutine

        return self.runner.run(wrapped())


@contextlib.contextmanager
def shop_on(settings: Settings) -> Iterator[Shop]:
    with asyncio.Runner() as runner:
        engine = create_engine(settings)
        try:
            runner.run(fill_catalogue(engine))
            ctx = CallContext(
                db=engine, settings=settings, cache=TtlCache(), trace_id="test", now=NOW
            )
            yield Shop(runner, ctx)
        finally:
            # An order's email goes out in the background: let it end before the pool does.
            runner.run(mail.finish_sending())
            runner.run(engine.dispose())


def sqlite_shop(tmp_path: Path) -> contextlib.AbstractContextManager[Shop]:
    return shop_on(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}",
            outbox_dir=tmp_path / "outbox",
        )
    )


@contextlib.contextmanager
def postgres_shop(url: str) -> Iterator[Shop]:
    """The catalogue in a schema of its own, dropped afterwards."""
    schema = f"vitrine_svc_{secrets.token_hex(6)}"
    admin = create_engine(Settings(database_url=url))

    async def execute(statement: str) -> None:
        async with admin.begin() as conn:
            await conn.execute(text(statement))

    with asyncio.Runner() as runner:
        try:
            runner.run(execute(f"CREATE SCHEMA {schema}"))
        finally:
            runner.run(admin.dispose())
    try:
        with shop_on(Settings(database_url=url, database_schema=schema)) as shop:
            yield shop
    finally:
        with asyncio.Runner() as runner:
            try:
                runner.run(execute(f"DROP SCHEMA {schema} CASCADE"))
            finally:
                runner.run(admin.dispose())


@pytest.fixture(
    name="shop", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def writable_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    """A fresh catalogue for each test, on each backend (a schema of its own on PostgreSQL): for
    modules whose tests write. Import it into such a module; its tests ask for `shop`."""
    if request.param == "sqlite":
        with sqlite_shop(tmp_path) as shop:
            yield shop
        return
    url = request.getfixturevalue("postgres_url")
    schema = request.getfixturevalue("postgres_schema")
    settings = Settings(database_url=url, database_schema=schema, outbox_dir=tmp_path / "outbox")
    with shop_on(settings) as shop:
        yield shop
