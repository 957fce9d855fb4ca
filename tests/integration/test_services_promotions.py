"""Promotions and vouchers through the services, on the hand-made catalogue (tests/integration/
catalogue_fixture.py), on SQLite and, marked postgres, on PostgreSQL: sale prices on every
catalogue read and in the basket, every rule a code is refused by (in words), discounts in the
checkout and the order, its email, and limits that hold under concurrent orders.

Variants used (id: product, category, stock, price in cents):
    81: Linen Shirt (Shirts, 5), 4, 5000      71: Oxford Shirt M (Shirts, 5), 1, 4500
    11: Summer Dress S (Dresses, 3), 2, 1999  51: Running Shoe 40 (Shoes, 4), 1, 12000
The fixture's clock is 1 March 2025, noon UTC; migration 0009 gives every shop free standard
delivery from EUR 75.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from api import mail
from api.pricing import Benefit
from api.promotions import create_promotion
from api.schema import (
    charges,
    order_discounts,
    orders,
    promotions,
    registrations,
    variants,
    voucher_codes,
)
from api.services import auth, basket, catalog, checkout, landings, vouchers
from api.services import orders as orders_service
from contract import (
    auth_pb2,
    basket_pb2,
    catalog_pb2,
    checkout_pb2,
    help_pb2,
    landings_pb2,
    orders_pb2,
    promotions_pb2,
    vouchers_pb2,
)
from contract.errors import FailedPrecondition, ResourceExhausted
from tests.integration.catalogue_fixture import NOW, Shop, writable_shop  # noqa: F401 - `shop`
from tests.integration.test_services_checkout import (
    add,
    place,
    ready_to_place,
    set_address,
    set_card,
    set_shipping,
    state,
)

ITEMS = promotions_pb2.DISCOUNT_TARGET_ITEMS
DELIVERY = promotions_pb2.DISCOUNT_TARGET_DELIVERY


def promote(shop: Shop, name: str, benefit: Benefit, **fields) -> int:
    async def write() -> int:
        async with shop.ctx.db.begin() as conn:
            return await create_promotion(
                conn, name=name, benefit=benefit, now=NOW - timedelta(days=30), **fields
            )

    promotion_id = shop.run(write())
    shop.ctx.cache.clear()  # the worker's sales, kept a few seconds, are read again
    return promotion_id


def apply(shop: Shop, token: str, code: str, session: str = "") -> vouchers_pb2.VoucherAnswer:
    request = vouchers_pb2.ApplyVoucherRequest(basket_token=token, code=code, session_token=session)
    return shop.call(vouchers.apply_voucher, request)


def remove(shop: Shop, token: str, code: str) -> vouchers_pb2.VoucherAnswer:
    request = vouchers_pb2.RemoveVoucherRequest(basket_token=token, code=code)
    return shop.call(vouchers.remove_voucher, request)


def get(shop: Shop, token: str) -> basket_pb2.BasketContents:
    return shop.call(basket.get_basket, basket_pb2.GetBasketRequest(token=token))


def scalar(shop: Shop, statement):
    async def read():
        async with shop.ctx.db.connect() as conn:
            return await conn.scalar(statement)

    return shop.run(read())


def set_stock(shop: Shop, variant_id: int, stock: int) -> None:
    async def write() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(
                update(variants).where(variants.c.id == variant_id).values(stock=stock)
            )

    shop.run(write())


# -- Sales -----------------------------------------------------------------------------------


def test_a_sale_prices_listings_product_pages_rails_and_the_basket(shop):
    sale_id = promote(
        shop,
        "Shirt sale",
        Benefit.PERCENT_OFF,
        percent_off=20,
        categories=[2],  # Men
        ends_at=NOW + timedelta(days=10),
    )
    listing = shop.call(
        catalog.list_category_products,
        catalog_pb2.ListCategoryProductsRequest(category_slug="men-shirts"),
    )
    linen = next(p for p in listing.products if p.name == "Linen Shirt")
    assert (linen.price.amount, linen.compare_at_price.amount) == (4000, 5000)
    assert (linen.sale.promotion_id, linen.sale.name) == (sale_id, "Shirt sale")
    assert linen.sale.ends_at.ToDatetime(tzinfo=UTC) == NOW + timedelta(days=10)

    product = shop.call(catalog.get_product, catalog_pb2.GetProductRequest(id=8)).product
    assert (product.price.amount, product.compare_at_price.amount) == (4000, 5000)
    # Not covered: women's products keep their price and their own "was" price.
    dress = shop.call(catalog.get_product, catalog_pb2.GetProductRequest(id=1)).product
    assert (dress.price.amount, dress.compare_at_price.amount) == (1999, 2999)
    assert not dress.HasField("sale")

    home = shop.call(landings.get_landing_page, landings_pb2.GetLandingPageRequest(slug="home"))
    rail = [p for block in home.blocks for p in block.rail.products if p.id == 9]
    assert rail
    assert rail[0].price.amount == 12000

    token = add(shop, 81)
    line = get(shop, token).lines[0]
    assert (line.unit_price.amount, line.compare_at_unit_price.amount) == (4000, 5000)
    assert line.sale.name == "Shirt sale"
    summary = shop.call(basket.get_basket_summary, basket_pb2.GetBasketRequest(token=token))
    assert summary.subtotal.amount == 4000


def test_a_sale_that_has_not_started_or_has_ended_changes_no_price(shop):
    promote(
        shop,
        "Soon",
        Benefit.PERCENT_OFF,
        percent_off=50,
        products=[8],
        starts_at=NOW + timedelta(hours=1),
    )
    promote(shop, "Over", Benefit.PERCENT_OFF, percent_off=50, products=[8], ends_at=NOW)
    product = shop.call(catalog.get_product, catalog_pb2.GetProductRequest(id=8)).product
    assert product.price.amount == 5000
    assert not product.HasField("compare_at_price")


# -- Voucher codes on the basket --------------------------------------------------------------


def test_applying_a_code_adds_a_discount_line_and_removing_it_takes_it_away(shop):
    promote(shop, "10 % off", Benefit.PERCENT_OFF, percent_off=10, codes=[("TAKE10", None)])
    token = add(shop, 81)
    answer = apply(shop, token, "  take10 ")
    assert (answer.refusal, answer.code) == ("", "TAKE10")
    contents = answer.basket
    assert [(d.code, d.amount.amount, d.target) for d in contents.discounts] == [
        ("TAKE10", 500, ITEMS)
    ]
    assert [(v.code, v.applies, v.amount.amount) for v in contents.vouchers] == [
        ("TAKE10", True, 500)
    ]
    totals = contents.totals
    assert (totals.subtotal.amount, totals.discount.amount, totals.shipping_estimate.amount) == (
        5000,
        500,
        495,
    )
    assert totals.total.amount == 5000 - 500 + 495
    assert contents.lines[0].discount.amount == 500
    assert apply(shop, token, "TAKE10").basket == contents  # twice is once
    assert get(shop, token) == contents
    assert state(shop, token).basket == contents  # the checkout, before its first step
    removed = remove(shop, token, "take10").basket
    assert list(removed.discounts) == []
    assert list(removed.vouchers) == []
    assert removed.totals.total.amount == 5495
    assert remove(shop, token, "TAKE10").basket == removed  # a double click


@pytest.mark.parametrize(
    ("fields", "variant", "words"),
    [
        ({}, 81, "We do not know this code. Check it and try again."),
        (
            {"ends_at": datetime(2025, 2, 1, tzinfo=UTC)},
            81,
            "This code expired on 1 February 2025.",
        ),
        (
            {"starts_at": datetime(2025, 4, 1, tzinfo=UTC)},
            81,
            "This code can be used from 1 April 2025.",
        ),
        ({"min_subtotal": 7000}, 81, "Spend €20.00 more to use this code."),
        ({"max_uses": 3, "times_used": 3}, 81, "This code has been used up."),
        ({"products": [5]}, 81, "This code does not apply to anything in your basket."),
    ],
)
def test_a_refused_code_says_why_in_words_and_changes_nothing(shop, fields, variant, words):
    if fields:
        promote(shop, "Deal", Benefit.PERCENT_OFF, percent_off=10, codes=[("DEAL", None)], **fields)
    token = add(shop, variant)
    before = get(shop, token)
    answer = apply(shop, token, "DEAL")
    assert answer.refusal == words
    assert answer.basket == before


def test_a_code_limited_per_code_is_used_up_when_its_code_is(shop):
    promote(shop, "Few", Benefit.AMOUNT_OFF, amount_off=500, codes=[("FEW1", 1), ("FEW2", None)])
    token, stale_key = ready_to_place(shop, 81, 1)
    assert apply(shop, token, "FEW1").refusal == ""
    key = state(shop, token).idempotency_key
    assert key != stale_key  # a review page shown before the code no longer places the order
    assert place(shop, token, key).order.discount.amount == 500
    other = add(shop, 81)
    assert apply(shop, other, "FEW1").refusal == "This code has been used up."
    assert apply(shop, other, "FEW2").refusal == ""


def test_a_code_that_cannot_be_combined_says_with_which(shop):
    promote(
        shop,
        "€20 off",
        Benefit.AMOUNT_OFF,
        amount_off=2000,
        combinable=False,
        codes=[("SUMMER20", None)],
    )
    promote(shop, "10 % off", Benefit.PERCENT_OFF, percent_off=10, codes=[("TAKE10", None)])
    token = add(shop, 81)
    assert apply(shop, token, "SUMMER20").refusal == ""
    assert apply(shop, token, "TAKE10").refusal == "This code cannot be combined with SUMMER20."
    remove(shop, token, "SUMMER20")
    assert apply(shop, token, "TAKE10").refusal == ""
    answer = apply(shop, token, "SUMMER20")
    assert answer.refusal == "This code cannot be combined with TAKE10."
    assert [v.code for v in answer.basket.vouchers] == ["TAKE10"]


def test_a_code_that_stops_applying_stays_on_the_basket_and_says_why(shop):
    promote(
        shop,
        "€10 off from €60",
        Benefit.AMOUNT_OFF,
        amount_off=1000,
        min_subtotal=6000,
        codes=[("SPEND60", None)],
    )
    token = add(shop, 81, 2)
    assert apply(shop, token, "SPEND60").basket.totals.discount.amount == 1000
    lowered = shop.call(
        basket.set_quantity,
        basket_pb2.SetQuantityRequest(token=token, variant_id=81, quantity=1),
    )
    (voucher,) = lowered.vouchers
    assert (voucher.applies, voucher.refusal) == (False, "Spend €10.00 more to use this code.")
    assert lowered.totals.discount.amount == 0
    assert list(lowered.discounts) == []


def test_free_delivery_from_the_threshold_is_its_own_line(shop):
    below = get(shop, add(shop, 81))  # 50.00
    assert list(below.within_reach) == ["Spend €25.00 more for Free standard delivery from €75."]
    assert below.totals.shipping_estimate.amount == 495
    token = add(shop, 81, 2)  # 100.00, over the 75.00 of migration 0009's promotion
    contents = get(shop, token)
    assert contents.totals.shipping_estimate.amount == 0
    assert [(d.name, d.amount.amount, d.target) for d in contents.discounts] == [
        ("Free standard delivery from €75", 495, DELIVERY)
    ]
    assert contents.totals.total.amount == 10000
    assert list(contents.within_reach) == []


def test_the_help_pages_and_product_offers_state_the_free_delivery_promotion_that_runs(shop):
    def policies() -> help_pb2.ShopPolicies:
        shop.ctx.cache.clear()
        return shop.call(landings.get_shop_policies, help_pb2.GetShopPoliciesRequest())

    def delivery_page() -> str:
        page = shop.call(landings.get_help_page, help_pb2.GetHelpPageRequest(slug="delivery"))
        return " ".join(cell for s in page.sections for row in s.table.rows for cell in row.cells)

    standard = policies().shipping[0]
    assert (standard.code, standard.free_from.amount) == ("standard", 7500)
    assert not policies().shipping[1].HasField("free_from")  # express always costs
    assert "free on orders from €75.00" in delivery_page()

    promote(shop, "Free delivery from €50", Benefit.FREE_DELIVERY, min_subtotal=5000)
    assert policies().shipping[0].free_from.amount == 5000  # the lowest running threshold
    assert "free on orders from €50.00" in delivery_page()

    async def end_them() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(update(promotions).values(ends_at=NOW - timedelta(days=1)))

    shop.run(end_them())
    assert not policies().shipping[0].HasField("free_from")
    assert "free on orders" not in delivery_page()


def test_buy_two_get_one_free_on_shirts(shop):
    promote(
        shop,
        "3 for 2 on shirts",
        Benefit.BUY_N_GET_M,
        buy_quantity=2,
        free_quantity=1,
        categories=[5],
    )
    set_stock(shop, 71, 5)
    token = add(shop, 81, 2)
    contents = shop.call(
        basket.add_line, basket_pb2.AddLineRequest(token=token, variant_id=71, quantity=1)
    )
    # 50.00 50.00 45.00: the 45.00 is free.
    assert contents.totals.discount.amount == 4500
    first = contents.discounts[0]
    assert (first.name, first.amount.amount) == ("3 for 2 on shirts", 4500)


# -- Checkout and the order -------------------------------------------------------------------


def test_a_first_order_code_is_refused_at_checkout_for_an_email_that_ordered(shop):
    promote(
        shop,
        "10 % off your first order",
        Benefit.PERCENT_OFF,
        percent_off=10,
        first_order_only=True,
        max_uses_per_customer=1,
        codes=[("WELCOME10", None)],
    )
    token, key = ready_to_place(shop, 81, 1)
    assert apply(shop, token, "WELCOME10").refusal == ""  # a guest: who it is, not known yet
    key = state(shop, token).idempotency_key
    first = place(shop, token, key).order
    assert first.discount.amount == 500
    assert first.total.amount == 5000 - 500 + 495
    assert [(d.code, d.amount.amount) for d in first.discounts] == [("WELCOME10", 500)]
    assert [line.discount.amount for line in first.lines] == [500]

    again = add(shop, 81)
    assert apply(shop, again, "WELCOME10").refusal == ""
    set_address(shop, again)  # the same email as the first order
    (voucher,) = state(shop, again).basket.vouchers
    assert (voucher.applies, voucher.refusal) == (False, "This code is for a first order only.")
    assert state(shop, again).basket.totals.discount.amount == 0


def test_the_order_its_page_and_its_email_show_the_discount(shop):
    promote(shop, "Shirt sale", Benefit.PERCENT_OFF, percent_off=20, products=[8])
    promote(shop, "€5 off", Benefit.AMOUNT_OFF, amount_off=500, codes=[("FIVE", None)])
    token = add(shop, 81, 2)  # 2 x 40.00 on sale
    apply(shop, token, "FIVE")
    set_address(shop, token)
    set_shipping(shop, token)
    key = set_card(shop, token).state.idempotency_key
    review = state(shop, token).basket
    assert (review.totals.subtotal.amount, review.totals.discount.amount) == (8000, 500)
    order = place(shop, token, key).order
    assert (order.subtotal.amount, order.discount.amount, order.shipping.amount) == (8000, 500, 0)
    assert order.total.amount == 7500
    (line,) = order.lines
    assert (line.unit_price.amount, line.compare_at_unit_price.amount) == (4000, 5000)
    assert (line.sale.name, line.discount.amount) == ("Shirt sale", 500)
    assert [(d.name, d.code, d.amount.amount, d.target) for d in order.discounts] == [
        ("€5 off", "FIVE", 500, ITEMS),
        ("Free standard delivery from €75", "", 495, DELIVERY),
    ]
    seen = shop.call(
        orders_service.get_order,
        orders_pb2.GetOrderRequest(number=order.number, access_token=order.access_token),
    )
    assert seen == order
    charged = scalar(shop, select(charges.c.amount).where(charges.c.state == "placed"))
    assert charged == 7500

    message = mail.order_confirmation(order, shop.ctx.settings)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "€5 off (code FIVE): -€5.00" in text
    assert "Free standard delivery from €75" in text
    assert "Shirt sale" in text
    assert "FIVE" in html
    assert "-€5.00" in html


def test_a_code_used_up_after_the_review_refuses_the_order_in_words(shop):
    promote(shop, "Last one", Benefit.PERCENT_OFF, percent_off=10, codes=[("LAST", 1)])
    token, _ = ready_to_place(shop, 81, 1)
    apply(shop, token, "LAST")
    review = state(shop, token)
    assert review.basket.totals.total.amount == 5000 - 500 + 495

    async def use_it_up() -> None:
        async with shop.ctx.db.begin() as conn:
            await conn.execute(update(voucher_codes).values(times_used=1))

    shop.run(use_it_up())
    # The review page had the discount: the order would not cost what it showed.
    request = checkout_pb2.PlaceOrderRequest(
        basket_token=token,
        idempotency_key=review.idempotency_key,
        expected_total=review.basket.totals.total,
    )
    with pytest.raises(FailedPrecondition) as refused:
        shop.call(checkout.place_order, request)
    assert str(refused.value) == (
        "Your order was not placed: the code LAST no longer applies (This code has been used "
        "up.) Nothing was charged. Please check your order's new total and place it again."
    )
    assert scalar(shop, select(func.count()).select_from(orders)) == 0
    assert scalar(shop, select(func.count()).select_from(charges)) == 0
    fresh = state(shop, token)
    assert fresh.basket.totals.discount.amount == 0  # the review page now says why
    assert fresh.basket.vouchers[0].refusal == "This code has been used up."
    request.expected_total.CopyFrom(fresh.basket.totals.total)
    assert shop.call(checkout.place_order, request).order.total.amount == 5495


def test_twenty_concurrent_orders_against_a_code_limited_to_five_give_it_to_five(shop):
    promote(shop, "Five only", Benefit.PERCENT_OFF, percent_off=10, codes=[("FIVEONLY", 5)])
    set_stock(shop, 81, 100)
    ready = []
    for number in range(20):
        token = add(shop, 81)
        assert apply(shop, token, "FIVEONLY").refusal == ""
        set_address(shop, token, email_address=f"shopper{number}@example.com")
        set_shipping(shop, token)
        ready.append((token, set_card(shop, token).state.idempotency_key))

    async def at_once() -> list[object]:
        return await asyncio.gather(
            *(
                checkout.place_order(
                    shop.ctx, checkout_pb2.PlaceOrderRequest(basket_token=t, idempotency_key=k)
                )
                for t, k in ready
            ),
            return_exceptions=True,
        )

    answers = shop.run(at_once())
    placed = [a.order for a in answers if isinstance(a, checkout_pb2.PlaceOrderResponse)]
    refused = [a for a in answers if isinstance(a, FailedPrecondition)]
    assert len(placed) == 5, answers
    assert len(refused) == 15
    assert all("FIVEONLY no longer applies" in str(error) for error in refused)
    assert all(order.discount.amount == 500 for order in placed)
    assert scalar(shop, select(voucher_codes.c.times_used)) == 5
    assert (
        scalar(shop, select(promotions.c.times_used).where(promotions.c.name == "Five only")) == 5
    )
    used = (
        select(func.count())
        .select_from(order_discounts)
        .where(order_discounts.c.code == "FIVEONLY")
    )
    assert scalar(shop, used) == 5
    assert scalar(shop, select(func.count()).where(charges.c.state == "refunded")) == 15
    assert scalar(shop, select(variants.c.stock).where(variants.c.id == 81)) == 95


def test_a_per_customer_limit_counts_the_account_and_the_email(shop):
    promote(
        shop,
        "Once each",
        Benefit.AMOUNT_OFF,
        amount_off=300,
        max_uses_per_customer=1,
        codes=[("ONCE", None)],
    )
    token, _ = ready_to_place(shop, 81, 1)
    apply(shop, token, "ONCE")
    place(shop, token, state(shop, token).idempotency_key)
    again = add(shop, 81)
    apply(shop, again, "ONCE")
    set_address(shop, again)
    (voucher,) = state(shop, again).basket.vouchers
    assert voucher.refusal == "You have already used this code as many times as it allows."
    elsewhere = add(shop, 81)
    apply(shop, elsewhere, "ONCE")
    set_address(shop, elsewhere, email_address="someone.else@example.com")
    assert state(shop, elsewhere).basket.vouchers[0].applies


def register_and_log_in(shop: Shop, email_address: str) -> str:
    """A new account's session."""
    shop.call(
        auth.register,
        auth_pb2.RegisterRequest(email=email_address, password="long enough pw", name="Owner"),
    )
    link = scalar(shop, select(registrations.c.token).where(registrations.c.email == email_address))
    request = auth_pb2.ConfirmRegistrationRequest(token=link)
    return shop.call(auth.confirm_registration, request).session.token


def test_a_logged_in_shopper_with_an_order_is_refused_a_first_order_code_at_once(shop):
    promote(
        shop,
        "Welcome",
        Benefit.PERCENT_OFF,
        percent_off=10,
        first_order_only=True,
        codes=[("WELCOME10", None)],
    )
    session = register_and_log_in(shop, "owner@b.ie")
    fresh = add(shop, 81)
    assert apply(shop, fresh, "WELCOME10", session=session).refusal == ""  # no order yet
    token = add(shop, 81)
    set_address(shop, token, email_address="owner@b.ie")
    set_shipping(shop, token)
    key = set_card(shop, token).state.idempotency_key
    place(shop, token, key, session=session)
    again = add(shop, 81)
    assert apply(shop, again, "WELCOME10", session=session).refusal == (
        "This code is for a first order only."
    )


def test_nonsense_codes_are_refused_not_errors(shop):
    token = add(shop, 81)
    for typed in ["", " ", "x" * 500, "bad\x00code", "ÜBER", "' OR 1=1 --"]:
        answer = apply(shop, token, typed)
        assert answer.refusal == "We do not know this code. Check it and try again."
        assert len(answer.code) <= 40
    assert apply(shop, "", "ANY").refusal == "Add something to your basket before using a code."
    assert remove(shop, "unknown", "ANY").basket.lines == []


def test_later_or_earlier_clock_shows_the_expiry_date_in_words(shop):
    promote(
        shop,
        "Spring",
        Benefit.PERCENT_OFF,
        percent_off=15,
        ends_at=datetime(2026, 3, 1, tzinfo=UTC),
        codes=[("SPRING15", None)],
    )
    token = add(shop, 81)
    later = dataclasses.replace(shop.ctx, now=datetime(2026, 12, 5, tzinfo=UTC))
    request = vouchers_pb2.ApplyVoucherRequest(basket_token=token, code="SPRING15")
    answer = shop.runner.run(vouchers.apply_voucher(later, request))
    assert answer.refusal == "This code expired on 1 March 2026."


def test_guessing_codes_is_limited_per_basket_and_per_address(shop):
    promote(shop, "10 % off", Benefit.PERCENT_OFF, percent_off=10, codes=[("TAKE10", None)])
    token = add(shop, 81)

    def guess(basket_token: str, code: str, address: str = "192.0.2.1"):
        request = vouchers_pb2.ApplyVoucherRequest(
            basket_token=basket_token, code=code, client_address=address
        )
        return shop.call(vouchers.apply_voucher, request)

    # A code that applies is no guess: it does not count.
    assert guess(token, "TAKE10").refusal == ""
    remove(shop, token, "TAKE10")
    for number in range(vouchers.TRIES_PER_BASKET.most):
        assert guess(token, f"GUESS{number}").refusal.startswith("We do not know")
    with pytest.raises(ResourceExhausted) as limited:
        guess(token, "TAKE10")
    assert str(limited.value) == "Too many codes tried that did not work. Try again in 15 minutes."
    assert limited.value.retry_after_seconds == 15 * 60
    # Other baskets from the same address go on, until the address's own limit.
    tries = vouchers.TRIES_PER_BASKET.most
    while tries < vouchers.TRIES_PER_ADDRESS.most:
        other = add(shop, 81)
        for number in range(min(5, vouchers.TRIES_PER_ADDRESS.most - tries)):
            assert guess(other, f"MORE{number}").refusal
            tries += 1
    with pytest.raises(ResourceExhausted):
        guess(add(shop, 81), "TAKE10")
    assert guess(add(shop, 81), "TAKE10", address="198.51.100.7").refusal == ""
