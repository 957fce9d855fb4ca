"""Promotions as a shopper meets them without JavaScript, on real workers, a real front and the
seeded demo shop (its promotions: docs/checkout.md), on SQLite and PostgreSQL: the running sale
on listings, product pages and their JSON-LD; the voucher form (apply, refuse in words, remove);
the discount through checkout to the order's page and its email."""

from __future__ import annotations

import asyncio
import email
import email.policy
import html
import itertools
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import extruct
import pytest
from sqlalchemy import and_, exists, select

from api.db import create_engine
from api.schema import categories, products, variants
from tests.functional.pages import Page, Shopper, first_in_stock, own_address, xsrf_field
from tests.processes import Process, Processes
from vitrine.config import Settings

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Merrion Square",
    "line2": "",
    "city": "Dublin",
    "postcode": "D02 X285",
    "country": "IE",
    "phone": "",
}
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "holder": "A L"}
_emails = itertools.count()


@dataclass
class Shop:
    front: Process
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
                async with engine.connect() as conn:
                    return (await conn.execute(statement)).first()
            finally:
                await engine.dispose()

        return asyncio.run(run())

    def product_in(self, category_slug: str):
        """A live product of a leaf category with a variant in stock: id, slug, price."""
        in_stock = exists().where(variants.c.product_id == products.c.id, variants.c.stock > 5)
        return self.query(
            select(products.c.id, products.c.slug, products.c.price)
            .join(categories, categories.c.id == products.c.category_id)
            .where(
                and_(categories.c.slug == category_slug, products.c.discontinued.is_(False)),
                in_stock,
            )
            .order_by(products.c.id)
        )


@pytest.fixture(scope="module")
def shop(database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp = tmp_path_factory.mktemp("vouchers")
    outbox = tmp / "outbox"
    processes = Processes({**database, "VITRINE_OUTBOX_DIR": str(outbox)}, tmp)
    try:
        front = processes.start_front(
            processes.start_worker(), env={"VITRINE_TRUSTED_PROXIES": "127.0.0.1"}
        )
        yield Shop(front, database, outbox)
    finally:
        processes.stop_all()


def euros(text: str) -> int:
    """ "€1,234.50" as cents; a discount (with "minus" and a minus sign) as what it takes off."""
    digits = text.replace("minus", "").replace("\N{MINUS SIGN}", "").strip()
    return int(digits.replace("€", "").replace(",", "").replace(".", ""))


def fill(shop: Shop, shopper: Shopper, category: str = "home-living-cushions", quantity: int = 1):
    """Puts a product of `category` in the basket; the basket page's xsrf token."""
    product = shop.product_in(category)
    page = shopper.request(f"/p/{product.id}/{product.slug}")
    added = shopper.request(
        "/basket/lines", {"variant_id": first_in_stock(page), "quantity": str(quantity)}
    )
    assert added.status == 303
    return xsrf_field(shopper.request("/basket"))


def totals(page: Page) -> dict[str, str]:
    """The basket's totals, label to amount, as the page lists them."""
    block = re.search(r'<dl class="basket__totals[^"]*">(.*?)</dl>', page.body, re.DOTALL).group(1)
    pairs = re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", block, re.DOTALL)
    return {
        html.unescape(re.sub(r"<[^>]+>", "", k)).strip(): html.unescape(
            re.sub(r"<[^>]+>", "", v)
        ).strip()
        for k, v in pairs
    }


def test_the_running_sale_is_on_listings_product_pages_and_their_json_ld(shop):
    product = shop.product_in("women-clothing-knitwear")
    sale_price = product.price - (product.price * 20 + 50) // 100
    listing = shop.shopper().request("/c/women-clothing-knitwear")
    assert listing.status == 200
    assert "Winter sale" in listing.body
    page = shop.shopper().request(f"/p/{product.id}/{product.slug}")
    was, now = f"€{product.price / 100:,.2f}", f"€{sale_price / 100:,.2f}"
    assert f"Was {was}, now {now} (Winter sale)." in page.body
    assert re.search(rf'<s class="price__was"[^>]*>{re.escape(was)}</s>', page.body)
    found = extruct.extract(page.body, syntaxes=["json-ld"])["json-ld"]
    (item,) = [data for data in found if data.get("@type") == "Product"]
    offers = item["offers"]
    prices = [offers["price"]] if "price" in offers else [o["price"] for o in offers["offers"]]
    assert set(prices) == {f"{sale_price / 100:.2f}"}
    listed = offers if "priceValidUntil" in offers else offers["offers"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", listed["priceValidUntil"])
    # A product outside the sale keeps its price, no struck-through one.
    other = shop.product_in("home-living-cushions")
    plain = shop.shopper().request(f"/p/{other.id}/{other.slug}")
    (item,) = [
        data
        for data in extruct.extract(plain.body, syntaxes=["json-ld"])["json-ld"]
        if data.get("@type") == "Product"
    ]
    assert f'"price":"{other.price / 100:.2f}"' in json.dumps(item, separators=(",", ":"))
    assert "priceValidUntil" not in json.dumps(item)


def test_applying_a_code_without_javascript_shows_it_as_its_own_line(shop):
    shopper = shop.shopper()
    token = fill(shop, shopper)
    applied = shopper.request("/basket/vouchers", {"_xsrf": token, "code": " welcome10 "})
    assert (applied.status, applied.headers["Location"]) == (303, "/basket")
    page = shopper.request("/basket")
    lines = totals(page)
    discount = lines["10 % off your first order (code WELCOME10)"]
    subtotal = euros(lines["Subtotal"])
    assert euros(discount) == (subtotal + 5) // 10
    shipping = 0 if lines["Delivery"] == "Free" else euros(lines["Delivery"])
    assert euros(lines["Total"]) == subtotal - (subtotal + 5) // 10 + shipping
    assert '<span class="voucher__code">WELCOME10</span>' in page.body
    if subtotal < 7500:  # the demo's free delivery from €75 is within reach
        assert re.search(
            r'<p class="within-reach">Spend €[\d.,]+ more for Free standard', page.body
        )


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("SPRING15", "This code expired on 1 March 2026."),
        ("NOSUCHCODE", "We do not know this code. Check it and try again."),
        ("SAVE20", "Spend €"),  # the cushion costs less than the €100 it asks for
    ],
)
def test_a_refused_code_is_said_in_words_beside_the_field_and_nothing_changes(shop, code, words):
    shopper = shop.shopper()
    token = fill(shop, shopper)
    before = totals(shopper.request("/basket"))
    refused = shopper.request("/basket/vouchers", {"_xsrf": token, "code": code})
    assert refused.status == 400
    assert re.search(
        r'id="voucher-code-error" class="form-problem voucher-form__error" role="alert">'
        + re.escape(words),
        refused.body,
    )
    assert f'value="{code}" aria-invalid="true"' in refused.body
    assert totals(refused) == before
    assert totals(shopper.request("/basket")) == before


def test_a_code_that_cannot_be_combined_says_with_which(shop):
    shopper = shop.shopper()
    token = fill(shop, shopper, quantity=9)  # over the €100 SAVE20 asks for
    assert shopper.request("/basket/vouchers", {"_xsrf": token, "code": "SAVE20"}).status == 303
    refused = shopper.request("/basket/vouchers", {"_xsrf": token, "code": "WELCOME10"})
    assert refused.status == 400
    assert "This code cannot be combined with SAVE20." in refused.body


def test_removing_a_code_takes_its_line_away(shop):
    shopper = shop.shopper()
    token = fill(shop, shopper)
    shopper.request("/basket/vouchers", {"_xsrf": token, "code": "WELCOME10"})
    with_code = totals(shopper.request("/basket"))
    removed = shopper.request("/basket/vouchers/remove", {"_xsrf": token, "code": "WELCOME10"})
    assert (removed.status, removed.headers["Location"]) == (303, "/basket")
    page = shopper.request("/basket")
    assert "WELCOME10" not in page.body
    assert euros(totals(page)["Total"]) > euros(with_code["Total"])


def test_the_voucher_forms_need_the_xsrf_token(shop):
    shopper = shop.shopper()
    fill(shop, shopper)
    before = totals(shopper.request("/basket"))
    assert shopper.request("/basket/vouchers", {"code": "WELCOME10"}).status == 403
    assert totals(shopper.request("/basket")) == before


def test_asking_for_json_answers_the_code_or_why_not(shop):
    shopper = shop.shopper()
    token = fill(shop, shopper)
    accept = {"Accept": "application/json"}
    ok = shopper.request("/basket/vouchers", {"_xsrf": token, "code": "welcome10"}, accept)
    assert (ok.status, json.loads(ok.body)) == (200, {"code": "WELCOME10", "refusal": ""})
    refused = shopper.request("/basket/vouchers", {"_xsrf": token, "code": "SPRING15"}, accept)
    assert refused.status == 200  # an answer: the code is refused, the request was fine
    assert json.loads(refused.body)["refusal"] == "This code expired on 1 March 2026."


def wait_for(path: Path) -> email.message.EmailMessage:
    deadline = time.monotonic() + 10
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_the_discount_goes_through_checkout_to_the_order_page_and_its_email(shop):
    shopper = shop.shopper()
    token = fill(shop, shopper, quantity=2)
    shopper.request("/basket/vouchers", {"_xsrf": token, "code": "WELCOME10"})
    discount = totals(shopper.request("/basket"))["10 % off your first order (code WELCOME10)"]
    address = {**ADDRESS, "email": f"first-{next(_emails)}-{time.time_ns()}@example.com"}
    for path, form in [
        ("/checkout/address", address),
        ("/checkout/shipping", {"shipping_method": "standard"}),
        ("/checkout/payment", CARD),
    ]:
        assert shopper.request(path, {"_xsrf": token, **form}).status == 303
    review = shopper.request("/checkout/review")
    assert "10 % off your first order" in review.body
    key = re.search(r'name="idempotency_key" value="([^"]+)"', review.body).group(1)
    shown = re.search(r'name="expected_total" value="(\d+)"', review.body).group(1)
    placed = shopper.request(
        "/checkout/place", {"_xsrf": token, "idempotency_key": key, "expected_total": shown}
    )
    assert placed.status == 303
    order = shopper.request(placed.headers["Location"])
    assert "10 % off your first order (code WELCOME10)" in order.body
    assert discount.replace("minus", "").strip() in html.unescape(order.body)
    number = placed.headers["Location"].split("/")[2]
    message = wait_for(shop.outbox / f"{number}-confirmation.eml")
    text = message.get_body(("plain",)).get_content()
    assert "10 % off your first order (code WELCOME10): -€" in text

    # The same email again: not a first order any more, said on the review page.
    again = fill(shop, shopper)
    shopper.request("/basket/vouchers", {"_xsrf": again, "code": "WELCOME10"})
    for path, form in [
        ("/checkout/address", address),
        ("/checkout/shipping", {"shipping_method": "standard"}),
        ("/checkout/payment", CARD),
    ]:
        assert shopper.request(path, {"_xsrf": again, **form}).status == 303
    review = shopper.request("/checkout/review")
    assert "Code WELCOME10 is not applied: This code is for a first order only." in review.body


def test_a_review_page_whose_total_no_longer_holds_cannot_place_the_order(shop):
    shopper = shop.shopper()
    token = fill(shop, shopper)
    for path, form in [
        ("/checkout/address", {**ADDRESS, "email": f"x{time.time_ns()}@example.com"}),
        ("/checkout/shipping", {"shipping_method": "standard"}),
        ("/checkout/payment", CARD),
    ]:
        assert shopper.request(path, {"_xsrf": token, **form}).status == 303
    review = shopper.request("/checkout/review")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', review.body).group(1)
    shown = int(re.search(r'name="expected_total" value="(\d+)"', review.body).group(1))
    tampered = shopper.request(
        "/checkout/place", {"_xsrf": token, "idempotency_key": key, "expected_total": shown - 1}
    )
    assert tampered.status == 409
    assert "its total changed while you were checking out. Nothing was charged." in tampered.body
