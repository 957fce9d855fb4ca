"""A card charged for a checkout always pays for its order or is refunded (api/charges.py), on
SQLite and PostgreSQL: a database failure or the caller's deadline in the order's transaction,
a worker dying between the charge and the commit, and a retry with the same key. And the test
gateway's tokens are opaque: no card number in the database.

What is asserted is what the shopper and the card's owner see: the order (or none), the words
of the answer, and the gateway's own records of charges and refunds.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from api import charges
from api.schema import charges as charges_table
from api.schema import orders, test_gateway_cards, test_gateway_charges
from api.services import checkout
from contract import checkout_pb2
from contract.errors import DeadlineExceeded, Unavailable
from tests.integration.catalogue_fixture import NOW, Shop, writable_shop  # noqa: F401 - `shop` fixture
from tests.integration.test_services_checkout import ready_to_place, stock

TEST_CARD_DIGITS = "4242424242424242"


def place_request(token: str, key: str) -> checkout_pb2.PlaceOrderRequest:
    return checkout_pb2.PlaceOrderRequest(basket_token=token, idempotency_key=key)


def gateway_charges(shop: Shop) -> list[Any]:
    async def read() -> list[Any]:
        async with shop.ctx.db.connect() as conn:
            query = select(test_gateway_charges).order_by(test_gateway_charges.c.created_at)
            return list((await conn.execute(query)).all())

    return shop.run(read())


def order_count(shop: Shop) -> int:
    async def read() -> int:
        async with shop.ctx.db.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(orders))

    return shop.run(read())


@contextmanager
def failing_order_insert(shop: Shop, *, sleep: float = 0.0) -> Iterator[None]:
    """The order's INSERT fails as a full or read-only disk would make it fail; with `sleep`,
    it is slow instead (the transaction then outlives the caller's deadline)."""

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ORDERS"):
            if sleep:
                time.sleep(sleep)
                return
            raise OperationalError(statement, {}, Exception("disk I/O error"))

    engine = shop.ctx.db.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)


def assert_refunded_then_placed_once(shop: Shop, token: str, key: str) -> None:
    """After a failed try: no order, the charge refunded at the gateway; the retry with the same
    key makes one order, paid by one charge that stands."""
    assert order_count(shop) == 0
    [refunded] = gateway_charges(shop)
    assert refunded.approved
    assert refunded.refunded_at is not None
    assert stock(shop, 81) == 4  # nothing reserved

    retried = shop.call(checkout.place_order, place_request(token, key))
    again = shop.call(checkout.place_order, place_request(token, key))
    assert retried.order.number
    assert again.order.number == retried.order.number
    assert order_count(shop) == 1
    standing = [c for c in gateway_charges(shop) if c.refunded_at is None]
    assert len(standing) == 1
    assert standing[0].amount == retried.order.total.amount


def test_a_database_failure_in_the_order_transaction_refunds_the_charge_and_says_so(shop):
    token, key = ready_to_place(shop)
    with failing_order_insert(shop), pytest.raises(Unavailable) as failed:
        shop.call(checkout.place_order, place_request(token, key))
    assert failed.value.message == checkout.NOT_PLACED_REFUNDED
    assert "refunded" in failed.value.message
    assert_refunded_then_placed_once(shop, token, key)


def test_the_callers_deadline_passing_in_the_order_transaction_refunds_the_charge(shop):
    token, key = ready_to_place(shop)
    late = dataclasses.replace(shop.ctx, expires_at=time.monotonic() + 0.2)
    with failing_order_insert(shop, sleep=0.4), pytest.raises(Unavailable) as failed:
        shop.run(checkout.place_order(late, place_request(token, key)))
    assert isinstance(failed.value.__cause__, DeadlineExceeded)
    assert failed.value.message == checkout.NOT_PLACED_REFUNDED
    assert_refunded_then_placed_once(shop, token, key)


def charged_then_died(shop: Shop, token: str, key: str) -> str:
    """What a worker that died between the charge and the order's commit leaves: a recorded,
    made charge and no order."""

    async def run() -> str:
        ctx = shop.ctx
        gateway = checkout.gateway(ctx)
        async with ctx.db.connect() as conn:
            payment_token = await conn.scalar(select(test_gateway_cards.c.token))
        gateway_key = await charges.record(ctx.db, key, 5495, "EUR", ctx.now)
        made = await gateway.charge(payment_token, 5495, "EUR", gateway_key)
        await charges.mark_charged(ctx.db, gateway_key, made, ctx.now)
        return gateway_key

    del token
    return shop.run(run())


def test_a_retry_finishes_the_charge_a_dead_worker_left_with_one_charge(shop):
    token, key = ready_to_place(shop)
    charged_then_died(shop, token, key)
    assert order_count(shop) == 0
    placed = shop.call(checkout.place_order, place_request(token, key))
    assert placed.order.number
    [made] = gateway_charges(shop)
    assert made.refunded_at is None  # the charge the dead worker made pays for the order
    assert order_count(shop) == 1


def test_the_sweep_refunds_a_charge_a_dead_worker_left_and_no_retry_came_for(shop):
    token, key = ready_to_place(shop)
    gateway_key = charged_then_died(shop, token, key)
    gateway = checkout.gateway(shop.ctx)
    early = shop.run(charges.refund_stale(shop.ctx.db, gateway, NOW + timedelta(seconds=30)))
    assert early == 0  # a call may still be finishing it
    later = NOW + charges.STALE_AFTER + timedelta(seconds=1)
    assert shop.run(charges.refund_stale(shop.ctx.db, gateway, later)) == 1
    [made] = gateway_charges(shop)
    assert made.refunded_at is not None

    async def state() -> str:
        async with shop.ctx.db.connect() as conn:
            return await conn.scalar(
                select(charges_table.c.state).where(charges_table.c.gateway_key == gateway_key)
            )

    assert shop.run(state()) == charges.REFUNDED
    # The shopper comes back later: a new attempt is charged, and it alone stands.
    assert shop.call(checkout.place_order, place_request(token, key)).order.number
    assert [c.refunded_at is None for c in gateway_charges(shop)] == [False, True]


def test_card_tokens_are_opaque_and_no_table_holds_the_card_number(shop):
    token, key = ready_to_place(shop)
    shop.call(checkout.place_order, place_request(token, key))

    async def every_value() -> str:
        async with shop.ctx.db.connect() as conn:
            texts = []
            for table in (test_gateway_cards, test_gateway_charges, orders, charges_table):
                rows = (await conn.execute(select(table))).all()
                texts.extend(repr(tuple(row)) for row in rows)
            return "\n".join(texts)

    dump = shop.run(every_value())
    assert "tok_test_" in dump
    assert TEST_CARD_DIGITS not in dump
