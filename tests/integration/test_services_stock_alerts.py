"""shop.v1.StockAlerts over catalogue_fixture's shop, on SQLite and, marked postgres, PostgreSQL:
a request is stored once, mailed once when the stock returns, and never while it is still 0."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from api import mail
from api.back_in_stock import stock_returned
from api.schema import stock_alerts, variants
from api.services import stock_alerts as service
from contract import METHODS, stock_alerts_pb2
from contract.errors import FailedPrecondition, Invalid, NotFound, ResourceExhausted
from tests.integration.catalogue_fixture import Shop, writable_shop  # noqa: F401 - the `shop` fixture

SOLD_OUT = 101  # Packable Rain Jacket, M / navy, SKU-010-1
ALSO_SOLD_OUT = 12  # Summer Dress, M / red, SKU-001-2
IN_STOCK = 11  # Summer Dress, S / red
DISCONTINUED = 121  # Discontinued Coat, L / grey


def ask(shop: Shop, variant_id: int = SOLD_OUT, address: str = "a@b.ie", client: str = "10.0.0.1"):
    return shop.call(
        service.request_stock_alert,
        stock_alerts_pb2.RequestStockAlertRequest(
            variant_id=variant_id, email=address, client_address=client
        ),
    )


def set_stock(shop: Shop, **levels: int) -> stock_alerts_pb2.SetStockResponse:
    return shop.call(
        service.set_stock,
        stock_alerts_pb2.SetStockRequest(
            levels=[
                stock_alerts_pb2.StockLevel(sku=sku.replace("_", "-"), stock=stock)
                for sku, stock in levels.items()
            ]
        ),
    )


def stored(shop: Shop) -> int:
    async def count() -> int:
        async with shop.ctx.db.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(stock_alerts)) or 0

    return shop.run(count())


def sent_mails(shop: Shop) -> list[email.message.EmailMessage]:
    shop.run(mail.finish_sending())
    shop.run(mail.send_pending(shop.ctx.db, shop.ctx.settings))
    outbox = shop.ctx.settings.outbox_dir
    files = sorted(outbox.glob("back-in-stock-*.eml")) if outbox.exists() else []
    return [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for f in files
    ]


def test_a_request_is_stored_once_per_email_and_variant(shop):
    first = ask(shop, address="  A@B.ie ")
    assert first.email == "a@b.ie"
    assert (first.product_name, first.variant_label) == ("Packable Rain Jacket", "M / navy")
    assert (first.product_id, first.product_slug) == (10, "packable-rain-jacket")
    # Asking again answers the same (it tells no one what an address asked for), stores nothing.
    assert ask(shop) == first
    assert stored(shop) == 1
    ask(shop, ALSO_SOLD_OUT)
    ask(shop, address="c@d.ie")
    assert stored(shop) == 3


def test_requests_sent_at_once_are_stored_once(shop):
    async def together() -> list[object]:
        request = stock_alerts_pb2.RequestStockAlertRequest(
            variant_id=SOLD_OUT, email="a@b.ie", client_address="10.0.0.1"
        )
        return await asyncio.gather(
            *(service.request_stock_alert(shop.ctx, request) for _ in range(5)),
            return_exceptions=True,
        )

    answers = shop.run(together())
    assert not [answer for answer in answers if isinstance(answer, BaseException)]
    assert stored(shop) == 1


def test_the_mail_goes_out_once_when_stock_returns_and_not_before(shop):
    ask(shop)
    ask(shop, address="c@d.ie")
    ask(shop, ALSO_SOLD_OUT)
    # Another variant's stock, and this one's staying at 0, mail nobody.
    assert set_stock(shop, SKU_010_1=0, SKU_008_1=9).alerts_due == 0
    assert sent_mails(shop) == []

    answer = set_stock(shop, SKU_010_1=3)
    assert (answer.updated, answer.alerts_due) == (1, 2)
    mails = sent_mails(shop)
    assert sorted(m["To"] for m in mails) == ["a@b.ie", "c@d.ie"]
    text = mails[0].get_body(("plain",)).get_content()
    assert "Packable Rain Jacket in M / navy is back in stock" in text
    assert "/p/10/packable-rain-jacket" in text
    assert mails[0]["Subject"] == "Back in stock: Packable Rain Jacket"

    # Sold out and back again: the requests were answered, so nothing more is sent.
    set_stock(shop, SKU_010_1=0)
    set_stock(shop, SKU_010_1=5)
    assert len(sent_mails(shop)) == 2
    # A new request after the mail is a new request.
    set_stock(shop, SKU_010_1=0)
    ask(shop)
    assert stored(shop) == 4
    set_stock(shop, SKU_010_1=1)
    assert len(sent_mails(shop)) == 3


def test_stock_returned_is_what_other_writes_call(shop):
    ask(shop)

    async def restock(stock: int) -> int:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(
                update(variants).where(variants.c.id == SOLD_OUT).values(stock=stock)
            )
            return await stock_returned(conn, [SOLD_OUT, IN_STOCK])

    assert shop.run(restock(0)) == 0
    assert shop.run(restock(4)) == 1
    assert shop.run(restock(6)) == 0  # already due: due once
    assert len(sent_mails(shop)) == 1


def test_a_rolled_back_restock_mails_nobody(shop):
    ask(shop)

    async def restock_then_fail() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(update(variants).where(variants.c.id == SOLD_OUT).values(stock=4))
            await stock_returned(conn, [SOLD_OUT])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        shop.run(restock_then_fail())
    assert sent_mails(shop) == []


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("", "Enter your email address."),
        ("not-an-address", "Enter an email address like name@example.com."),
        ("a@b", "Enter an email address like name@example.com."),
        ("a b@c.ie", "Enter an email address like name@example.com."),
        ("x" * 250 + "@b.ie", "An email address has at most 254 characters."),
    ],
)
def test_a_bad_email_is_refused_and_nothing_is_stored(shop, address, problem):
    with pytest.raises(Invalid) as refused:
        ask(shop, address=address)
    assert refused.value.message == problem
    assert stored(shop) == 0


def test_only_sold_out_variants_of_live_products_take_requests(shop):
    with pytest.raises(FailedPrecondition, match="in stock"):
        ask(shop, IN_STOCK)
    with pytest.raises(FailedPrecondition, match="no longer sold"):
        ask(shop, DISCONTINUED)
    with pytest.raises(NotFound):
        ask(shop, 999_999)
    with pytest.raises(NotFound):
        ask(shop, 2**63)
    assert stored(shop) == 0


def test_requests_are_rate_limited_by_client_address(shop):
    for n in range(10):
        ask(shop, address=f"shopper{n}@b.ie")
    with pytest.raises(ResourceExhausted) as refused:
        ask(shop, address="one-more@b.ie")
    assert 0 < refused.value.retry_after_seconds <= 3600
    assert stored(shop) == 10
    ask(shop, address="other@b.ie", client="10.0.0.2")  # another address is not held back
    shop.ctx = dataclasses.replace(shop.ctx, now=shop.ctx.now + timedelta(hours=1, seconds=1))
    ask(shop, address="later@b.ie")
    assert stored(shop) == 12


def test_set_stock_refuses_unknown_or_repeated_skus_and_changes_nothing(shop):
    ask(shop)
    with pytest.raises(Invalid, match="NOPE"):
        set_stock(shop, SKU_010_1=3, NOPE=1)
    with pytest.raises(Invalid):
        shop.call(service.set_stock, stock_alerts_pb2.SetStockRequest())
    with pytest.raises(Invalid, match="at most"):
        set_stock(shop, SKU_010_1=2**32 - 1)
    assert sent_mails(shop) == []


def test_shoppers_may_ask_but_only_the_shop_sets_stock():
    assert METHODS["shop.v1.StockAlerts/RequestStockAlert"].public
    assert not METHODS["shop.v1.StockAlerts/SetStock"].public
