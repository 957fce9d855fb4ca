"""The API shows each product's pictures in the colour a shopper asked for, on both databases:
a colour filter's cards, their hover pictures, and a basket line's thumbnail."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from api.cache import TtlCache
from api.context import CallContext
from api.db import create_engine
from api.demo import seed_demo
from api.schema import basket_lines, baskets, product_images, products, variants
from api.services import basket, catalog
from contract import basket_pb2, catalog_pb2, common_pb2
from tests.conftest import fresh_schema
from vitrine.config import Settings

PRODUCTS = 300


class Shop:
    def __init__(self, runner: asyncio.Runner, ctx: CallContext) -> None:
        self.runner = runner
        self.ctx = ctx

    def run(self, coroutine: Any) -> Any:
        async def wrapped() -> Any:
            return await coroutine

        return self.runner.run(wrapped())


@contextlib.contextmanager
def _shop(settings: Settings) -> Iterator[Shop]:
    with asyncio.Runner() as runner:
        engine = create_engine(settings)
        try:
            runner.run(seed_demo(engine, products=PRODUCTS, seed=3))
            now = datetime.now(UTC)
            yield Shop(runner, CallContext(engine, settings, TtlCache(), "test", now))
        finally:
            runner.run(engine.dispose())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    if request.param == "sqlite":
        with _shop(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.sqlite3'}")) as s:
            yield s
        return
    url = request.getfixturevalue("postgres_url")
    with (
        fresh_schema(url) as schema,
        _shop(Settings(database_url=url, database_schema=schema)) as s,
    ):
        yield s


def test_a_colour_filter_shows_cards_in_that_colour(shop: Shop) -> None:
    for colour in ("Navy", "Sage"):
        listing = shop.run(
            catalog.list_category_products(
                shop.ctx,
                catalog_pb2.ListCategoryProductsRequest(
                    category_slug="women",
                    page=common_pb2.PageRequest(page_size=48),
                    filter=catalog_pb2.FacetFilter(colours=[colour]),
                ),
            )
        )
        assert listing.products
        for card in listing.products:
            assert card.image.colour == colour, (card.name, card.image.url)
            assert card.image.alt.startswith(colour + " ")
            assert card.images[0] == card.image
            assert len(card.images) == 2  # every colour has a front and a back
            assert card.images[1].colour == colour
            assert card.images[1].url.replace("-back-", "-front-") == card.image.url


def test_unfiltered_cards_show_the_first_colour_and_its_back(shop: Shop) -> None:
    listing = shop.run(
        catalog.list_category_products(
            shop.ctx, catalog_pb2.ListCategoryProductsRequest(category_slug="home")
        )
    )
    for card in listing.products:
        product = shop.run(catalog.get_product(shop.ctx, catalog_pb2.GetProductRequest(id=card.id)))
        pictures = product.product.images
        assert card.image == pictures[0]
        assert card.images[1] == pictures[1]
        assert pictures[0].colour == product.product.variants[0].colour


def test_a_basket_line_shows_its_variants_colour(shop: Shop) -> None:
    async def a_product_in_two_colours() -> tuple[int, str]:
        async with shop.ctx.db.connect() as conn:
            row = (
                await conn.execute(
                    select(variants.c.id, variants.c.colour)
                    .join(product_images, product_images.c.product_id == variants.c.product_id)
                    .join(products, products.c.id == variants.c.product_id)
                    .where(
                        product_images.c.position == 0,
                        product_images.c.colour != variants.c.colour,
                        variants.c.stock > 0,
                        products.c.discontinued.is_(False),
                    )
                    .order_by(variants.c.id)
                    .limit(1)
                )
            ).one()
        async with shop.ctx.db.begin() as conn:
            await conn.execute(
                insert(baskets).values(
                    id=1, token="t" * 32, created_at=shop.ctx.now, updated_at=shop.ctx.now
                )
            )
            await conn.execute(
                insert(basket_lines).values(
                    basket_id=1, variant_id=row.id, quantity=1, added_at=shop.ctx.now
                )
            )
        return row.id, row.colour

    variant_id, colour = shop.run(a_product_in_two_colours())
    answer = shop.run(basket.get_basket(shop.ctx, basket_pb2.GetBasketRequest(token="t" * 32)))
    (line,) = answer.lines
    assert line.variant_id == variant_id
    assert line.image.colour == colour
    assert line.image.alt.startswith(colour + " ")
