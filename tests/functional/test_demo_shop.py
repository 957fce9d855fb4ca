"""The demo shop as a shopper and a crawler see it: product pictures that show what their alt
text says, a colour filter that shows that colour, and "email me when it is back"."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
import secrets
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import extruct
import pytest
from sqlalchemy import select

from api.db import create_engine
from api.schema import products, variants
from tests.functional.pages import Facts, Shopper, catalogue_facts, fetch
from tests.processes import Process, Processes, WorkerProcess
from vitrine.config import Settings

MAIL_SECONDS = 10


@dataclass
class Shop:
    front: Process
    worker: WorkerProcess
    facts: Facts
    outbox: Path
    database: dict[str, str]

    def get(self, path: str, **headers: str):
        return fetch(self.front.url + path, headers)

    def shopper(self) -> Shopper:
        return Shopper(self.front.url, f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}")

    def set_stock(self, sku: str, stock: int) -> dict:
        body = json.dumps({"levels": [{"sku": sku, "stock": stock}]}).encode()
        request = urllib.request.Request(
            self.worker.http_url + "/api/v1/stock_alerts/SetStock",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def shop(database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp = tmp_path_factory.mktemp("demo-shop")
    outbox = tmp / "outbox"
    processes = Processes({**database, "VITRINE_OUTBOX_DIR": str(outbox)}, tmp)
    try:
        worker = processes.start_worker()
        front = processes.start_front(worker)
        yield Shop(front, worker, catalogue_facts(database), outbox, database)
    finally:
        processes.stop_all()


def _imgs(html: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'([a-z-]+)(?:="([^"]*)")?', tag))
        for tag in re.findall(r"<img ([^>]*)>", html)
    ]


def test_product_pictures_have_true_sizes_alt_text_and_load_in_order(shop):
    facts = shop.facts
    page = shop.get(f"/p/{facts.product_id}/{facts.product_slug}")
    gallery = re.search(r'<div class="product__gallery"[^>]*>(.*?)</div>', page.body, re.DOTALL)
    pictures = _imgs(gallery.group(1))
    assert len(pictures) >= 4
    first, *others = pictures
    # The first is the largest paint: fetched at once, with high priority.
    assert first["fetchpriority"] == "high"
    assert "loading" not in first
    assert all(picture["loading"] == "lazy" for picture in others)
    for picture in pictures:
        assert re.fullmatch(r"[A-Z][a-z]+( [A-Za-z]+)? [a-z -]+, [a-z -]+", picture["alt"])
        svg = shop.get(picture["src"])
        assert svg.status == 200
        assert svg.headers["Content-Type"] == "image/svg+xml"
        assert "max-age=2592000" in svg.headers["Cache-Control"]
        size = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg.body).groups()
        assert size == (picture["width"], picture["height"])
        # One vector file serves every width and density: a srcset would name it again.
        assert "srcset" not in picture
        assert picture["data-colour"] in picture["alt"]


def test_a_colour_filter_shows_pictures_of_that_colour(shop):
    for colour in ("Navy", "Terracotta"):
        page = shop.get(f"/filter/women?colour={colour}")
        assert page.status == 200
        cards = page.cards()
        assert cards
        for card in cards:
            (picture, *_) = _imgs(card)
            assert picture["alt"].startswith(colour + " "), picture["alt"]
            assert f"-{colour.lower()}-" in picture["src"]
            assert shop.get(picture["src"]).status == 200


def test_banners_are_pictures_of_what_their_alt_text_says(shop):
    page = shop.get("/")
    banners = re.findall(r'<li class="banner">\s*<a href="[^"]+">\s*(<img [^>]*>)', page.body)
    assert banners
    for tag in banners:
        (banner,) = _imgs(tag)
        svg = shop.get(banner["src"])
        assert svg.status == 200
        # The name lists what is drawn ("coat-camel"); the alt says it ("a camel overcoat").
        name = banner["src"].removeprefix("/media/demo/banners/").removesuffix(".svg")
        for item in name.split("--")[1:]:
            colour = item.partition("-")[2].replace("-", " ")
            assert f"{colour} " in banner["alt"].lower()


def _sold_out_variant(database: dict[str, str]) -> tuple[int, str, int, str]:
    """A sold-out variant of a live product that has another option in stock."""

    async def read() -> tuple[int, str, int, str]:
        settings = Settings(
            database_url=database["VITRINE_DATABASE_URL"],
            database_schema=database.get("VITRINE_DATABASE_SCHEMA", ""),
        )
        engine = create_engine(settings)
        try:
            async with engine.connect() as conn:
                in_stock = select(variants.c.product_id).where(variants.c.stock > 0)
                row = (
                    await conn.execute(
                        select(variants.c.id, variants.c.sku, products.c.id, products.c.slug)
                        .join(products, products.c.id == variants.c.product_id)
                        .where(
                            variants.c.stock == 0,
                            products.c.discontinued.is_(False),
                            products.c.id.in_(in_stock),
                        )
                        .order_by(variants.c.id.desc())
                    )
                ).first()
        finally:
            await engine.dispose()
        return row[0], row[1], row[2], row[3]

    return asyncio.run(read())


def _mails(outbox: Path) -> list[email.message.EmailMessage]:
    files = sorted(outbox.glob("back-in-stock-*.eml")) if outbox.exists() else []
    return [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for f in files
    ]


def test_email_me_when_it_is_back_works_without_javascript_and_mails_once(shop):
    variant_id, sku, product_id, slug = _sold_out_variant(shop.database)
    shopper = shop.shopper()
    page = shopper.request(f"/p/{product_id}/{slug}")
    form = re.search(
        r'<form class="stock-alert" action="/stock-alerts".*?</form>', page.body, re.DOTALL
    )
    assert form
    assert f'value="{variant_id}"' in form.group(0)
    assert 'type="email"' in form.group(0)

    refused = shopper.request("/stock-alerts", {"variant_id": str(variant_id), "email": "ana@"})
    assert refused.status == 400
    assert "Enter an email address like name@example.com." in refused.body
    assert 'value="ana@"' in refused.body

    address = f"ana-{secrets.token_hex(4)}@example.com"
    asked = shopper.request("/stock-alerts", {"variant_id": str(variant_id), "email": address})
    assert asked.status == 200
    assert "We will send one email to" in asked.body
    assert f'href="/p/{product_id}/{slug}"' in asked.body
    again = shopper.request("/stock-alerts", {"variant_id": str(variant_id), "email": address})
    assert again.status == 200
    assert again.body == asked.body  # the same answer: it tells no one what was asked before

    try:
        assert shop.set_stock(sku, 0).get("alertsDue", 0) == 0
        assert shop.set_stock(sku, 2)["alertsDue"] == 1
        deadline = time.monotonic() + MAIL_SECONDS
        while not [m for m in _mails(shop.outbox) if m["To"] == address]:
            assert time.monotonic() < deadline, "no back-in-stock mail"
            time.sleep(0.1)
        time.sleep(0.5)  # a second mail, were one sent, would be there by now
        mails = [m for m in _mails(shop.outbox) if m["To"] == address]
        assert len(mails) == 1
        text = mails[0].get_body(("plain",)).get_content()
        assert f"/p/{product_id}/{slug}" in text
    finally:
        shop.set_stock(sku, 0)


def test_an_alert_from_another_site_is_refused(shop):
    variant_id, *_ = _sold_out_variant(shop.database)
    shopper = shop.shopper()
    answer = shopper.request(
        "/stock-alerts",
        {"variant_id": str(variant_id), "email": "ana@example.com"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status == 403
    missing = shopper.request("/stock-alerts", {"email": "ana@example.com"})
    assert missing.status == 400


HELP_PAGES = ("delivery", "returns", "contact", "privacy", "terms", "size-guide")


def _json_ld(page, base: str) -> dict[str, list[dict]]:
    items = extruct.extract(page.body, base_url=base, syntaxes=["json-ld"])["json-ld"]
    by_type: dict[str, list[dict]] = {}
    for item in items:
        by_type.setdefault(item["@type"], []).append(item)
    return by_type


@pytest.mark.parametrize("slug", HELP_PAGES)
def test_a_help_page_answers_with_its_content_and_json_ld(shop, slug):
    page = shop.get(f"/help/{slug}")
    assert page.status == 200
    assert re.search(r"<h1>[^<]+</h1>", page.body)
    assert re.search(rf'<link rel="canonical" href="[^"]*/help/{slug}">', page.body)
    data = _json_ld(page, shop.front.url)
    (web_page,) = data["ContactPage" if slug == "contact" else "WebPage"]
    assert web_page["url"].endswith(f"/help/{slug}")
    assert data["BreadcrumbList"]


def test_the_contact_page_gives_the_shop_and_its_contact_point(shop):
    page = shop.get("/help/contact")
    (organization,) = _json_ld(page, shop.front.url)["Organization"]
    point = organization["contactPoint"]
    assert point["contactType"] == "customer service"
    assert point["telephone"] in page.body
    assert point["email"] in page.body
    logo = shop.get(organization["logo"].removeprefix(organization["url"].rstrip("/")))
    assert logo.status == 200
    assert logo.headers["Content-Type"] == "image/svg+xml"


def test_the_delivery_page_shows_checkouts_options_and_the_size_guide_its_sizes(shop):
    delivery = shop.get("/help/delivery").body
    for label, price in (("Standard delivery", "€4.95"), ("Express delivery", "€9.95")):
        row = rf'<th scope="row">{label}</th>.*?{re.escape(price)}'
        assert re.search(row, delivery, re.DOTALL)
    sizes = shop.get("/help/size-guide").body
    for size in ("XS", "XL", "36", "45"):
        assert f'<th scope="row">{size}</th>' in sizes


def test_help_pages_are_in_the_sitemap_and_unknown_ones_are_not_found(shop):
    sitemap = shop.get("/sitemaps/landings.xml")
    assert sitemap.status == 200
    for slug in HELP_PAGES:
        assert re.search(rf"<loc>[^<]*/help/{slug}</loc>", sitemap.body)
    assert shop.get("/help/no-such-page").status == 404


def test_a_product_offer_states_delivery_and_returns(shop):
    facts = shop.facts
    page = shop.get(f"/p/{facts.product_id}/{facts.product_slug}")
    (product,) = _json_ld(page, shop.front.url)["Product"]
    offer = product["offers"]
    assert offer["hasMerchantReturnPolicy"]["merchantReturnDays"] == 30
    assert {d["name"] for d in offer["shippingDetails"]} == {
        "Standard delivery",
        "Express delivery",
        "Next-day delivery",
    }
