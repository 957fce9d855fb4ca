"""Basket service on the hand-made catalogue (tests/integration/catalogue_fixture.py), on
SQLite and, marked postgres, on PostgreSQL: tokens, limits, totals, line order and concurrent
adds.

Variants used (id: product, size / colour, stock, price in cents):
    11: Summer Dress S / red, 2, 1999 (two images)     12: Summer Dress M / red, 0
    21: Evening Dress M / black, 1, 8999                41: Old Dress (discontinued), 5
    51: Running Shoe 40 / white, 1, 12000               81: Linen Shirt S / blue, 4, 5000
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select, update

from api.sales import sale_prices
from api.schema import basket_lines, baskets, products, variants
from api.services import basket
from api.shipping import STANDARD_DELIVERY
from contract import basket_pb2, common_pb2
from contract.errors import FailedPrecondition, Invalid, NotFound
from tests.integration.catalogue_fixture import NOW, Shop, writable_shop  # noqa: F401 - the `shop` fixture


def add(
    shop: Shop, variant_id: int, quantity: int = 1, token: str = ""
) -> basket_pb2.BasketContents:
    request = basket_pb2.AddLineRequest(token=token, variant_id=variant_id, quantity=quantity)
    return shop.call(basket.add_line, request)


def set_quantity(
    shop: Shop, token: str, variant_id: int, quantity: int
) -> basket_pb2.BasketContents:
    request = basket_pb2.SetQuantityRequest(token=token, variant_id=variant_id, quantity=quantity)
    return shop.call(basket.set_quantity, request)


def get(shop: Shop, token: str) -> basket_pb2.BasketContents:
    return shop.call(basket.get_basket, basket_pb2.GetBasketRequest(token=token))


def summary(shop: Shop, token: str) -> basket_pb2.BasketSummary:
    return shop.call(basket.get_basket_summary, basket_pb2.GetBasketRequest(token=token))


def quantities(contents: basket_pb2.BasketContents) -> list[tuple[int, int]]:
    return [(line.variant_id, line.quantity) for line in contents.lines]


def set_stock(shop: Shop, variant_id: int, stock: int) -> None:
    async def run() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(
                update(variants).where(variants.c.id == variant_id).values(stock=stock)
            )

    shop.run(run())


def test_add_creates_a_basket_with_a_fresh_token(shop):
    contents = add(shop, 11)

    assert len(contents.token) == 32  # token_urlsafe(24)
    assert quantities(contents) == [(11, 1)]
    line = contents.lines[0]
    assert (line.product_id, line.product_slug, line.name) == (1, "summer-dress", "Summer Dress")
    assert line.variant_label == "S / red"
    assert (line.unit_price.amount, line.unit_price.currency) == (1999, "EUR")
    assert (line.line_total.amount, line.stock) == (1999, 2)
    assert line.image.url == "/img/1-1.jpg"  # the first of its two images
    assert get(shop, contents.token) == contents

    other = add(shop, 11)
    assert other.token != contents.token


def test_unknown_token_gets_a_new_basket_not_that_token(shop):
    contents = add(shop, 11, token="made-up-by-someone")
    assert contents.token
    assert contents.token != "made-up-by-someone"
    assert get(shop, "made-up-by-someone").lines == []


def test_add_twice_increments_and_keeps_the_line_in_place(shop):
    token = add(shop, 81).token
    add(shop, 11, token=token)
    contents = add(shop, 81, quantity=2, token=token)

    assert contents.token == token
    assert quantities(contents) == [(81, 3), (11, 1)]
    assert contents.lines[0].line_total.amount == 15000


def test_lines_are_listed_in_added_order(shop):
    # The whole test runs at one ctx.now, as the calls of one batch do.
    token = add(shop, 81).token
    for variant_id in (11, 51, 21):
        add(shop, variant_id, token=token)
    assert [line.variant_id for line in get(shop, token).lines] == [81, 11, 51, 21]


def test_beyond_stock_is_refused_and_changes_nothing(shop):
    token = add(shop, 11, quantity=2).token
    before = shop.run(basket_row(shop, token))

    later = dataclasses.replace(shop.ctx, now=NOW + timedelta(hours=1))
    with pytest.raises(FailedPrecondition, match=r"^Only 2 left of Summer Dress, S / red"):
        shop.runner.run(
            basket.add_line(
                later, basket_pb2.AddLineRequest(token=token, variant_id=11, quantity=1)
            )
        )
    assert quantities(get(shop, token)) == [(11, 2)]
    assert shop.run(basket_row(shop, token)) == before  # not even updated_at moved

    with pytest.raises(FailedPrecondition, match="Summer Dress, M / red is out of stock"):
        add(shop, 12, token=token)
    with pytest.raises(FailedPrecondition, match="Only 4 left of Linen Shirt, S / blue"):
        add(shop, 81, quantity=5)


def test_a_line_holds_at_most_99(shop):
    set_stock(shop, 81, 500)
    token = add(shop, 81, quantity=99).token
    with pytest.raises(FailedPrecondition, match="at most 99 of Linen Shirt"):
        add(shop, 81, token=token)
    assert quantities(get(shop, token)) == [(81, 99)]


@pytest.mark.parametrize("quantity", [0, 100, 2**32 - 1])
def test_add_quantity_out_of_range_is_invalid(shop, quantity):
    with pytest.raises(Invalid, match="quantity must be from 1 to 99"):
        add(shop, 11, quantity=quantity)


@pytest.mark.parametrize("variant_id", [999, 0, 2**40])
def test_unknown_variant_is_not_found(shop, variant_id):
    with pytest.raises(NotFound):
        add(shop, variant_id)
    # Nor was a basket left behind by the failed add.
    assert shop.run(count_rows(shop)) == (0, 0)


def test_discontinued_product_cannot_be_added(shop):
    with pytest.raises(FailedPrecondition, match="Old Dress, M / red is no longer available"):
        add(shop, 41)


def test_lines_that_cannot_be_bought_still_show_with_no_stock(shop):
    token = add(shop, 11).token
    add(shop, 81, token=token)
    set_stock(shop, 11, 0)

    async def discontinue() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(update(products).where(products.c.id == 8).values(discontinued=True))

    shop.run(discontinue())
    contents = get(shop, token)
    assert [(line.variant_id, line.stock) for line in contents.lines] == [(11, 0), (81, 0)]


def test_variant_without_size_or_colour_has_an_empty_label(shop):
    async def plain_variant() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(
                insert(variants).values(
                    id=99, product_id=8, sku="SKU-PLAIN", size="", colour="", stock=3, position=9
                )
            )

    shop.run(plain_variant())
    assert add(shop, 99).lines[0].variant_label == ""


def test_set_quantity_changes_and_zero_removes(shop):
    token = add(shop, 81).token
    add(shop, 11, token=token)

    assert quantities(set_quantity(shop, token, 81, 4)) == [(81, 4), (11, 1)]
    with pytest.raises(FailedPrecondition, match="Only 4 left of Linen Shirt"):
        set_quantity(shop, token, 81, 5)
    assert quantities(set_quantity(shop, token, 81, 0)) == [(11, 1)]
    # Removing again (a double click) is not an error.
    assert quantities(set_quantity(shop, token, 81, 0)) == [(11, 1)]
    assert quantities(set_quantity(shop, token, 11, 0)) == []
    assert get(shop, token).token == token  # an emptied basket keeps its token


def test_set_quantity_refusals(shop):
    token = add(shop, 11).token
    with pytest.raises(Invalid, match="quantity must be from 0 to 99"):
        set_quantity(shop, token, 11, 100)
    with pytest.raises(NotFound, match="no such basket line"):
        set_quantity(shop, token, 81, 1)  # not in the basket
    with pytest.raises(NotFound, match="no such basket line"):
        set_quantity(shop, "unknown", 11, 1)
    with pytest.raises(NotFound, match="no such basket line"):
        set_quantity(shop, token, 2**40, 1)
    assert set_quantity(shop, "unknown", 11, 0) == get(shop, "")
    assert quantities(get(shop, token)) == [(11, 1)]


def test_totals_and_shipping(shop):
    empty = get(shop, "")
    assert empty.token == ""
    assert empty.lines == []
    assert [empty.totals.subtotal.amount, empty.totals.shipping_estimate.amount] == [0, 0]
    assert empty.totals.total.currency == "EUR"

    token = add(shop, 11).token  # 19.99: below the free shipping threshold
    totals = get(shop, token).totals
    assert (totals.subtotal.amount, totals.shipping_estimate.amount, totals.total.amount) == (
        1999,
        STANDARD_DELIVERY.price,
        1999 + STANDARD_DELIVERY.price,
    )

    totals = add(shop, 81, quantity=2, token=token).totals  # + 100.00
    assert (totals.subtotal.amount, totals.shipping_estimate.amount, totals.total.amount) == (
        11999,
        0,
        11999,
    )
    assert totals.total.currency == "EUR"


def test_summary_counts_items_and_subtotal(shop):
    token = add(shop, 81, quantity=3).token
    add(shop, 11, quantity=2, token=token)

    assert summary(shop, token) == basket_pb2.BasketSummary(
        item_count=5, subtotal=common_pb2.Money(amount=18998, currency="EUR")
    )
    set_quantity(shop, token, 81, 0)
    set_quantity(shop, token, 11, 0)
    emptied = summary(shop, token)
    assert (emptied.item_count, emptied.subtotal.amount, emptied.subtotal.currency) == (0, 0, "EUR")


@pytest.mark.parametrize("token", ["", "unknown", "x" * 500, "bad\x00token", "ümlaut"])
def test_unknown_or_odd_token_is_an_empty_basket(shop, token):
    assert get(shop, token) == basket_pb2.BasketContents(
        token="",
        totals=basket_pb2.BasketTotals(
            subtotal={"currency": "EUR"},
            shipping_estimate={"currency": "EUR"},
            total={"currency": "EUR"},
            discount={"currency": "EUR"},
        ),
    )
    assert summary(shop, token).item_count == 0


def test_created_at_and_updated_at(shop):
    token = add(shop, 81).token
    later = dataclasses.replace(shop.ctx, now=NOW + timedelta(minutes=5))
    request = basket_pb2.AddLineRequest(token=token, variant_id=11, quantity=1)
    shop.runner.run(basket.add_line(later, request))

    created_at, updated_at = shop.run(basket_row(shop, token))
    assert (created_at, updated_at) == (NOW, NOW + timedelta(minutes=5))


def test_get_basket_reads_in_four_queries_whatever_the_line_count(shop):
    token = add(shop, 81).token
    for variant_id in (11, 21, 51, 52):
        add(shop, variant_id, token=token)
    shop.run(sale_prices(shop.ctx))  # the worker's sales, kept for a few seconds
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sync_engine = shop.ctx.db.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        assert len(get(shop, token).lines) == 5
        summary(shop, token)
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert len(statements) == 5  # basket, lines, promotions, codes; summary


@pytest.mark.parametrize("adds", [20, 25])
def test_concurrent_adds_lose_no_update_and_respect_stock(shop, adds):
    set_stock(shop, 81, 20)
    token = add(shop, 11).token  # the basket exists; the line of 81 does not yet

    async def add_concurrently() -> list[object]:
        request = basket_pb2.AddLineRequest(token=token, variant_id=81, quantity=1)
        return await asyncio.gather(
            *(basket.add_line(shop.ctx, request) for _ in range(adds)), return_exceptions=True
        )

    outcomes = shop.run(add_concurrently())
    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert all(isinstance(outcome, FailedPrecondition) for outcome in refused), refused
    assert len(refused) == adds - 20
    assert quantities(get(shop, token)) == [(11, 1), (81, 20)]


async def basket_row(shop: Shop, token: str) -> tuple[object, ...]:
    async with shop.ctx.db.connect() as conn:
        row = (
            await conn.execute(
                select(baskets.c.created_at, baskets.c.updated_at).where(baskets.c.token == token)
            )
        ).one()
    # SQLite gives naive datetimes back; they are UTC.
    return tuple(value if value.tzinfo else value.replace(tzinfo=NOW.tzinfo) for value in row)


async def count_rows(shop: Shop) -> tuple[int, int]:
    """How many baskets and basket lines there are."""
    async with shop.ctx.db.connect() as conn:
        basket_count = await conn.scalar(select(func.count()).select_from(baskets))
        line_count = await conn.scalar(select(func.count()).select_from(basket_lines))
    return basket_count or 0, line_count or 0
