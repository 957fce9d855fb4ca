"""Checkout as a shopper does it without JavaScript, on real workers and a real front, on SQLite
and PostgreSQL: every step and its validation, idempotent and racing orders, tampered forms,
the xsrf guard, the order's page, the account's history and the confirmation email."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from api.db import create_engine
from api.schema import orders, variants
from tests.functional.pages import (
    Facts,
    Page,
    Shopper,
    catalogue_facts,
    own_address,
    product_option,
    register_and_confirm,
    xsrf_field,
)
from tests.processes import Process, Processes, free_port
from vitrine.config import Settings

ADDRESS = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "line1": "12 Merrion Square",
    "line2": "",
    "city": "Dublin",
    "postcode": "D02 X285",
    "country": "IE",
    "phone": "",
}
GOOD_CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "holder": "A L"}
DECLINED_CARD = {**GOOD_CARD, "card_number": "4000 0000 0000 0002"}


@dataclass
class Shop:
    front: Process
    facts: Facts
    database: dict[str, str]
    outbox: Path

    def shopper(self) -> Shopper:
        return Shopper(self.front.url, own_address())

    def query(self, statement):
        async def run():
            settings = Settings(
                database_url=self.database["VITRINE_DATABASE_URL"],
                database_schema=self.database.get("VITRINE_DATABASE_SCHEMA", ""),
            )
            engine = create_engine(settings)
            try:
                async with engine.begin() as conn:
                    result = await conn.execute(statement)
                    return result.scalar() if result.returns_rows else None
            finally:
                await engine.dispose()

        return asyncio.run(run())

    def order_count(self) -> int:
        return self.query(select(func.count()).select_from(orders))

    def stock(self, variant_id: str) -> int:
        return self.query(select(variants.c.stock).where(variants.c.id == int(variant_id)))

    def set_stock(self, variant_id: str, stock: int) -> None:
        self.query(update(variants).where(variants.c.id == int(variant_id)).values(stock=stock))


@pytest.fixture(scope="module")
def shop(database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp = tmp_path_factory.mktemp("checkout")
    outbox = tmp / "outbox"
    processes = Processes({**database, "VITRINE_OUTBOX_DIR": str(outbox)}, tmp)
    try:
        front = processes.start_front(
            processes.start_worker(),
            processes.start_worker(),
            env={"VITRINE_TRUSTED_PROXIES": "127.0.0.1"},
        )
        yield Shop(front, catalogue_facts(database), database, outbox)
    finally:
        processes.stop_all()


@pytest.fixture
def fresh_product(shop: Shop) -> Iterator[None]:
    """Tests change the first product's stock; each gets it back with plenty."""
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    before = shop.stock(variant)
    shop.set_stock(variant, 50)
    yield
    shop.set_stock(variant, before)


def errors(page: Page) -> dict[str, str]:
    """Each field's error message, by field name."""
    return dict(
        re.findall(r'id="(?:checkout|payment)-([a-z_0-9]+)-error">([^<]+)<', page.body)
        + re.findall(r'id="(shipping)-error" role="alert">([^<]+)<', page.body)
    )


def fill_basket(shop: Shop, shopper: Shopper, quantity: int = 1) -> tuple[str, str]:
    """The xsrf token (from the basket page's forms) and the variant now in the basket."""
    variant = product_option(shopper, shop.facts)
    added = shopper.request("/basket/lines", {"variant_id": variant, "quantity": str(quantity)})
    assert added.status == 303
    return xsrf_field(shopper.request("/basket")), variant


def to_review(shopper: Shopper, token: str, card: dict[str, str] = GOOD_CARD) -> str:
    """Goes through the steps; the review page's idempotency key."""
    for path, form in [
        ("/checkout/address", ADDRESS),
        ("/checkout/shipping", {"shipping_method": "standard"}),
        ("/checkout/payment", card),
    ]:
        saved = shopper.request(path, {"_xsrf": token, **form})
        assert saved.status == 303, (path, saved.status, errors(saved))
    return review_key(shopper)


def review_key(shopper: Shopper) -> str:
    review = shopper.request("/checkout/review")
    assert review.status == 200
    return re.search(r'name="idempotency_key" value="([^"]+)"', review.body).group(1)


def place(shopper: Shopper, token: str, key: str, **extra: str) -> Page:
    return shopper.request("/checkout/place", {"_xsrf": token, "idempotency_key": key, **extra})


@pytest.mark.usefixtures("fresh_product")
def test_a_guest_goes_through_every_step_to_the_order_page(shop):
    shopper = shop.shopper()
    token, _ = fill_basket(shop, shopper, quantity=2)
    assert shopper.request("/checkout").headers["Location"] == "/checkout/address"
    address = shopper.request("/checkout/address")
    assert address.status == 200
    assert 'name="robots" content="noindex,nofollow"' in address.body
    assert "private" in address.headers["Cache-Control"]
    assert '<option value="IE" selected>Ireland</option>' in address.body
    saved = shopper.request("/checkout/address", {"_xsrf": token, **ADDRESS})
    assert saved.headers["Location"] == "/checkout/shipping"
    delivery = shopper.request("/checkout/shipping")
    assert "Next-day delivery" in delivery.body  # offered in Ireland
    assert "Delivery to Dublin, Ireland" in delivery.body
    saved = shopper.request("/checkout/shipping", {"_xsrf": token, "shipping_method": "express"})
    assert saved.headers["Location"] == "/checkout/payment"
    saved = shopper.request("/checkout/payment", {"_xsrf": token, **GOOD_CARD})
    assert saved.headers["Location"] == "/checkout/review"
    review = shopper.request("/checkout/review")
    assert "Visa ending 4242" in review.body
    assert "Express delivery: €9.95" in review.body
    assert "12 Merrion Square" in review.body
    placed = place(shopper, token, review_key(shopper))
    assert placed.status == 303
    order_path = placed.headers["Location"]
    assert re.fullmatch(r"/orders/VT[A-Z0-9]{8}/[A-Za-z0-9_-]{32}", order_path)
    order = shopper.request(order_path)
    assert order.status == 200
    assert "Thank you for your order" in order.body
    assert "Express delivery" in order.body
    assert order.headers["Referrer-Policy"] == "no-referrer"
    # The basket is empty now, and the checkout starts over.
    assert shopper.request("/checkout").headers["Location"] == "/basket"
    # The order's page is a stable URL: another browser with the link sees it...
    assert Shopper(shop.front.url).request(order_path).status == 200
    # ...and without the right token nobody does.
    wrong = order_path.rsplit("/", 1)[0] + "/" + "x" * 32
    assert Shopper(shop.front.url).request(wrong).status == 404


@pytest.mark.usefixtures("fresh_product")
def test_steps_out_of_order_go_to_the_first_step_not_done(shop):
    shopper = shop.shopper()
    assert shopper.request("/checkout/review").headers["Location"] == "/basket"
    token, _ = fill_basket(shop, shopper)
    for path in ("/checkout/shipping", "/checkout/payment", "/checkout/review"):
        assert shopper.request(path).headers["Location"] == "/checkout/address"
    shopper.request("/checkout/address", {"_xsrf": token, **ADDRESS})
    assert shopper.request("/checkout/review").headers["Location"] == "/checkout/shipping"
    assert shopper.request("/checkout/shipping").status == 200


@pytest.mark.usefixtures("fresh_product")
def test_every_address_problem_is_shown_beside_its_field_and_what_was_typed_stays(shop):
    shopper = shop.shopper()
    token, _ = fill_basket(shop, shopper)
    typed = {**ADDRESS, "email": "ada@", "name": "", "line1": "", "city": "", "country": "US"}
    typed["phone"] = "call me maybe"
    page = shopper.request("/checkout/address", {"_xsrf": token, **typed})
    assert page.status == 400
    assert errors(page) == {
        "email": "Enter an email address like name@example.com.",
        "name": "Enter the name of who receives the parcel.",
        "line1": "Enter the street and number.",
        "city": "Enter the town or city.",
        "country": "Choose a country we deliver to.",
        "phone": "A phone number has digits, spaces and + ( ) - only.",
    }
    assert 'value="ada@"' in page.body
    assert 'value="call me maybe"' in page.body
    # Nothing was saved: the next step is still the address.
    assert shopper.request("/checkout/shipping").headers["Location"] == "/checkout/address"
    french = {**ADDRESS, "country": "FR", "postcode": ""}
    page = shopper.request("/checkout/address", {"_xsrf": token, **french})
    assert errors(page) == {"postcode": "Enter the postcode."}


@pytest.mark.usefixtures("fresh_product")
def test_a_delivery_option_not_offered_is_refused(shop):
    shopper = shop.shopper()
    token, _ = fill_basket(shop, shopper)
    shopper.request("/checkout/address", {"_xsrf": token, **ADDRESS, "country": "FR"})
    page = shopper.request("/checkout/shipping", {"_xsrf": token, "shipping_method": "next_day"})
    assert page.status == 400
    assert errors(page) == {"shipping": "Choose one of the delivery options shown."}
    assert "Next-day delivery" not in page.body  # not offered in France


@pytest.mark.usefixtures("fresh_product")
def test_every_card_problem_is_shown_and_the_security_code_is_never_sent_back(shop):
    shopper = shop.shopper()
    token, _ = fill_basket(shop, shopper)
    shopper.request("/checkout/address", {"_xsrf": token, **ADDRESS})
    shopper.request("/checkout/shipping", {"_xsrf": token, "shipping_method": "standard"})
    typed = {"card_number": "4242 4242 4242 4241", "expiry": "13/30", "cvc": "98", "holder": ""}
    page = shopper.request("/checkout/payment", {"_xsrf": token, **typed})
    assert page.status == 400
    assert errors(page) == {
        "card_number": "This card number has a typo: check the digits.",
        "expiry": "The expiry month is from 01 to 12.",
        "cvc": "The security code is the 3 digits on the card.",
        "holder": "Enter the name on the card.",
    }
    assert 'value="4242 4242 4242 4241"' in page.body
    assert 'value="98"' not in page.body
    real = {**GOOD_CARD, "card_number": "4111 1111 1111 1111"}
    page = shopper.request("/checkout/payment", {"_xsrf": token, **real})
    assert errors(page)["card_number"].startswith("This shop takes test cards only")


@pytest.mark.usefixtures("fresh_product")
def test_a_declined_card_places_nothing_and_asks_for_another(shop):
    shopper = shop.shopper()
    token, variant = fill_basket(shop, shopper)
    stock = shop.stock(variant)
    orders_before = shop.order_count()
    key = to_review(shopper, token, DECLINED_CARD)
    page = place(shopper, token, key)
    assert page.status == 402
    assert "Your card was declined." in page.body
    assert 'action="/checkout/payment"' in page.body
    assert shop.order_count() == orders_before
    assert shop.stock(variant) == stock
    # The declined card is not offered again, then or later, and the review waits for another.
    assert "ending 0002" not in page.body
    assert "go on to the review" not in page.body
    again = shopper.request("/checkout/payment")
    assert again.status == 200
    assert "ending 0002" not in again.body
    review = shopper.request("/checkout/review")
    assert review.status == 303
    assert review.headers["Location"] == "/checkout/payment"
    # Another card, and the order goes through.
    shopper.request("/checkout/payment", {"_xsrf": token, **GOOD_CARD})
    assert place(shopper, token, review_key(shopper)).status == 303
    assert shop.stock(variant) == stock - 1


@pytest.mark.usefixtures("fresh_product")
def test_a_tampered_price_is_ignored(shop):
    shopper = shop.shopper()
    token, _variant = fill_basket(shop, shopper, quantity=3)
    key = to_review(shopper, token)
    review = shopper.request("/checkout/review")
    total = re.search(r"Total to pay: <strong>([^<]+)</strong>", review.body).group(1)
    placed = place(shopper, token, key, total="0.01", price="1", unit_price="1", quantity="99")
    order = shopper.request(placed.headers["Location"])
    assert f"<strong>{total}</strong>" in order.body
    assert re.search(r"<td>3</td>", order.body)


@pytest.mark.usefixtures("fresh_product")
def test_a_post_without_the_xsrf_token_is_refused_and_changes_nothing(shop):
    shopper = shop.shopper()
    token, _variant = fill_basket(shop, shopper)
    key = to_review(shopper, token)
    orders_before = shop.order_count()
    refused = shopper.request("/checkout/place", {"idempotency_key": key})
    assert refused.status == 403
    forged = shopper.request("/checkout/place", {"_xsrf": "2|00|forged|0", "idempotency_key": key})
    assert forged.status == 403
    moved = shopper.request("/checkout/address", {**ADDRESS, "city": "Cork"})
    assert moved.status == 403
    assert shop.order_count() == orders_before
    assert "12 Merrion Square" in shopper.request("/checkout/review").body
    assert "Cork" not in shopper.request("/checkout/review").body


@pytest.mark.usefixtures("fresh_product")
def test_a_stale_review_page_cannot_place_the_order(shop):
    shopper = shop.shopper()
    token, _ = fill_basket(shop, shopper)
    stale = to_review(shopper, token)
    shopper.request("/checkout/shipping", {"_xsrf": token, "shipping_method": "express"})
    page = place(shopper, token, stale)
    assert page.status == 409
    assert "Your checkout changed after this page was shown" in page.body
    assert "Express delivery" in page.body  # the review again, as it is now
    malformed = place(shopper, token, "not a key")
    assert malformed.status == 400


@pytest.mark.usefixtures("fresh_product")
def test_fifty_concurrent_posts_with_one_key_make_one_order(shop):
    shopper = shop.shopper()
    token, variant = fill_basket(shop, shopper, quantity=2)
    stock = shop.stock(variant)
    key = to_review(shopper, token)
    orders_before = shop.order_count()
    start = threading.Barrier(50)

    def post(_: int) -> Page:
        start.wait()
        return place(shopper, token, key)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(post, range(50)))
    assert {answer.status for answer in answers} == {303}
    assert len({answer.headers["Location"] for answer in answers}) == 1
    assert shop.order_count() == orders_before + 1
    assert shop.stock(variant) == stock - 2


def test_twenty_shoppers_racing_for_the_last_item_make_one_order(shop):
    shoppers = [shop.shopper() for _ in range(20)]
    variant = product_option(shoppers[0], shop.facts)
    before = shop.stock(variant)
    shop.set_stock(variant, 1)
    try:
        keys = []
        for shopper in shoppers:
            token, _ = fill_basket(shop, shopper)
            keys.append((token, to_review(shopper, token)))
        orders_before = shop.order_count()
        start = threading.Barrier(20)

        def post(index: int) -> Page:
            start.wait()
            token, key = keys[index]
            return place(shoppers[index], token, key)

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(post, range(20)))
        statuses = sorted(answer.status for answer in answers)
        assert statuses == [303] + [409] * 19
        assert all("sold out" in a.body for a in answers if a.status == 409)
        assert shop.order_count() == orders_before + 1
        assert shop.stock(variant) == 0
    finally:
        shop.set_stock(variant, before)


@pytest.mark.usefixtures("fresh_product")
def test_the_confirmation_email_lands_in_the_outbox(shop):
    shopper = shop.shopper()
    token, _ = fill_basket(shop, shopper)
    key = to_review(shopper, token)
    order_path = place(shopper, token, key).headers["Location"]
    number = order_path.split("/")[2]
    path = shop.outbox / f"{number}-confirmation.eml"
    message = _wait_for(path)
    assert message["To"] == ADDRESS["email"]
    assert message["Subject"] == f"Your Vitrine order {number}"
    body = message.get_body(("plain",)).get_content()
    assert shop.facts.product_name in body
    assert order_path in body
    # A repeated "place order" sends no second email.
    assert place(shopper, token, key).headers["Location"] == order_path
    assert len(list(shop.outbox.glob(f"{number}-*.eml"))) == 1


@pytest.mark.usefixtures("fresh_product")
def test_free_delivery_says_free_in_the_email_as_on_the_site(shop):
    shopper = shop.shopper()
    token, _ = fill_basket(shop, shopper, quantity=20)  # over the free delivery threshold
    key = to_review(shopper, token)  # standard delivery
    assert "Standard delivery: Free" in shopper.request("/checkout/review").body
    number = place(shopper, token, key).headers["Location"].split("/")[2]
    message = _wait_for(shop.outbox / f"{number}-confirmation.eml")
    plain = message.get_body(("plain",)).get_content()
    assert "Standard delivery: Free" in plain
    assert "€0.00" not in plain
    html = message.get_body(("html",)).get_content()
    assert re.search(r"<td>Standard delivery</td><td[^>]*>Free</td>", html)


@pytest.mark.usefixtures("fresh_product")
def test_an_account_sees_its_orders_and_nobody_else_does(shop):
    owner = shop.shopper()
    email_address = f"owner-{id(owner)}@example.com"
    registered = register_and_confirm(owner, shop.outbox, email_address, "Owner", "a long password")
    assert registered.status == 303
    empty = owner.request("/account/orders")
    assert "You have not ordered anything yet." in empty.body
    token, _ = fill_basket(shop, owner, quantity=2)
    address = owner.request("/checkout/address")
    assert f'value="{email_address}"' in address.body  # the account's email is offered
    number = place(owner, token, to_review(owner, token)).headers["Location"].split("/")[2]
    history = owner.request("/account/orders")
    assert history.status == 200
    assert f'href="/account/orders/{number}"' in history.body
    detail = owner.request(f"/account/orders/{number}")
    assert detail.status == 200
    assert f"Order {number}" in detail.body
    stranger = shop.shopper()
    assert stranger.request(f"/account/orders/{number}").status == 302  # to the log-in page
    assert stranger.request("/account/orders").headers["Location"].startswith("/account/login")


def _wait_for(path: Path) -> email.message.EmailMessage:
    for _ in range(100):
        if path.exists():
            return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        threading.Event().wait(0.05)
    pytest.fail(f"{path} did not appear")


class Inbox:
    """An SMTP server's handler (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


def test_with_smtp_configured_the_confirmation_is_sent_over_smtp(
    database: dict[str, str], tmp_path: Path
):
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    outbox = tmp_path / "outbox"
    processes = Processes(
        {
            **database,
            "VITRINE_SMTP_URL": f"smtp://127.0.0.1:{server.port}",
            "VITRINE_OUTBOX_DIR": str(outbox),
        },
        tmp_path,
    )
    try:
        front = processes.start_front(processes.start_worker())
        shop = Shop(front, catalogue_facts(database), database, outbox)
        shopper = shop.shopper()
        token, _variant = fill_basket(shop, shopper)
        number = place(shopper, token, to_review(shopper, token)).headers["Location"].split("/")[2]
        for _ in range(100):
            if inbox.messages:
                break
            threading.Event().wait(0.05)
        assert [m["Subject"] for m in inbox.messages] == [f"Your Vitrine order {number}"]
        assert inbox.messages[0]["To"] == ADDRESS["email"]
        assert not outbox.exists()  # sent, not filed
    finally:
        processes.stop_all()
        server.stop()
