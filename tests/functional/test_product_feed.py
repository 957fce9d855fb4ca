"""The product feed as Google Merchant Center fetches it, from a real front and API worker over the
demo catalogue: every live product once, each link a product page whose structured data agrees."""

from __future__ import annotations

import asyncio
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import extruct
import pytest
from sqlalchemy import exists, func, select

from api.db import create_engine
from api.schema import products, variants
from tests.functional.pages import Facts, Page, catalogue_facts, fetch
from tests.processes import Process, Processes
from vitrine.config import Settings

G = "{http://base.google.com/ns/1.0}"
FEED = "/feeds/products.xml"
# Small pages, so the demo catalogue's 300 products stream in many of them.
PAGE_ITEMS = 7
SCHEMA = "https://schema.org/"


@dataclass
class FeedSite:
    front: Process
    facts: Facts
    live_ids: set[int]
    out_of_stock_ids: set[int]

    def get(self, path: str, **headers: str) -> Page:
        return fetch(self.front.url + path, headers)


async def _stock(database: dict[str, str]) -> tuple[set[int], set[int]]:
    """The live products, and those of them none of whose variants has stock."""
    engine = create_engine(
        Settings(
            database_url=database["VITRINE_DATABASE_URL"],
            database_schema=database.get("VITRINE_DATABASE_SCHEMA", ""),
        )
    )
    in_stock = exists().where(variants.c.product_id == products.c.id, variants.c.stock > 0)
    live = products.c.discontinued.is_(False)
    try:
        async with engine.connect() as conn:
            live_ids = set(await conn.scalars(select(products.c.id).where(live)))
            out_ids = set(await conn.scalars(select(products.c.id).where(live, ~in_stock)))
            assert await conn.scalar(select(func.count()).where(~live))  # something to leave out
    finally:
        await engine.dispose()
    return live_ids, out_ids


@pytest.fixture(scope="module")
def feed_site(
    database: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FeedSite]:
    processes = Processes(database, tmp_path_factory.mktemp("feed"))
    try:
        worker = processes.start_worker()
        front = processes.start_front(
            worker,
            env={
                "VITRINE_FEED_PAGE_ITEMS": str(PAGE_ITEMS),
                "VITRINE_PUBLIC_URL": "",  # links on the front's own address, to follow them
            },
        )
        live, out_of_stock = asyncio.run(_stock(database))
        yield FeedSite(front, catalogue_facts(database), live, out_of_stock)
    finally:
        processes.stop_all()


@pytest.fixture(scope="module")
def feed(feed_site: FeedSite) -> tuple[Page, list[ET.Element]]:
    answer = feed_site.get(FEED)
    assert answer.status == 200
    channel = ET.fromstring(answer.body.encode()).find("channel")
    assert channel is not None
    return answer, channel.findall("item")


def product_id(item: ET.Element) -> int:
    return int(item.findtext("link").split("/p/", 1)[1].split("/")[0])


def test_the_feed_is_rss_with_one_item_per_live_product(feed_site, feed):
    answer, items = feed
    assert answer.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    ids = [product_id(item) for item in items]
    assert len(ids) == len(set(ids)), "a product listed twice across pages"
    assert set(ids) == feed_site.live_ids
    assert ids == sorted(ids)
    assert len({item.findtext(f"{G}id") for item in items}) == len(items)


def test_a_discontinued_product_is_left_out(feed_site, feed):
    _, items = feed
    discontinued = feed_site.facts.discontinued_id
    assert discontinued not in {product_id(item) for item in items}
    assert f"/p/{discontinued}/" not in feed[0].body


def test_every_item_has_what_merchant_center_requires(feed):
    _, items = feed
    for item in items:
        for field in ("title", "link", "description"):
            assert item.findtext(field), field
        for field in ("id", "image_link", "price", "brand"):
            assert item.findtext(f"{G}{field}"), field
        assert item.findtext(f"{G}condition") == "new"
        assert item.findtext(f"{G}identifier_exists") == "no"
        amount, currency = item.findtext(f"{G}price").split(" ")
        assert currency == "EUR"
        assert len(amount.split(".")[1]) == 2


def test_availability_follows_stock(feed_site, feed):
    _, items = feed
    availability = {product_id(item): item.findtext(f"{G}availability") for item in items}
    assert feed_site.out_of_stock_ids, "the demo catalogue has a product without stock"
    for product, said in availability.items():
        expected = "out_of_stock" if product in feed_site.out_of_stock_ids else "in_stock"
        assert said == expected, product


def test_every_link_is_a_product_page_whose_offer_agrees_with_the_item(feed_site, feed):
    _, items = feed
    for item in items:
        link = item.findtext("link")
        assert link.startswith(feed_site.front.url + "/p/")
        page = fetch(link)
        assert page.status == 200, link
        found = extruct.extract(page.body, base_url=link, syntaxes=["json-ld"])["json-ld"]
        product = next(data for data in found if data["@type"] == "Product")
        assert product["url"] == link  # the canonical URL, nothing that redirects
        offers = product["offers"]
        paid = item.findtext(f"{G}sale_price") or item.findtext(f"{G}price")
        assert paid == f"{offers.get('price', offers.get('lowPrice'))} {offers['priceCurrency']}"
        in_stock = item.findtext(f"{G}availability") == "in_stock"
        assert offers["availability"] == SCHEMA + ("InStock" if in_stock else "OutOfStock")
        assert item.findtext("title") == product["name"]
        assert item.findtext(f"{G}brand") == product["brand"]["name"]
        assert item.findtext(f"{G}image_link") == product["image"][0]


def test_a_feed_of_many_pages_streams_and_head_answers_its_headers(feed_site, feed):
    answer, _ = feed
    # Flushed page by page: sent in chunks, with no length known in advance (and no ETag,
    # which needs the whole body), as the product sitemaps are.
    assert answer.headers.get("Transfer-Encoding") == "chunked"
    assert answer.headers.get("Content-Length") is None
    request = urllib.request.Request(feed_site.front.url + FEED, method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert (response.status, response.read()) == (200, b"")
        assert response.headers["Content-Type"] == answer.headers["Content-Type"]
        assert response.headers["Cache-Control"] == answer.headers["Cache-Control"]


def test_a_feed_of_one_page_answers_304_to_its_etag(database, tmp_path):
    processes = Processes(database, tmp_path)
    try:
        front = processes.start_front(processes.start_worker())  # 500 a page: all 300 at once
        whole = fetch(front.url + FEED)
        assert whole.status == 200
        assert whole.headers.get("Transfer-Encoding") != "chunked"
        etag = whole.headers["ETag"]
        again = fetch(front.url + FEED, {"If-None-Match": etag})
        assert (again.status, again.body) == (304, "")
    finally:
        processes.stop_all()
