"""One product feed item as Merchant Center parses it, from the API's message."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from contract import catalog_pb2, common_pb2
from web.handlers.feeds import DESCRIPTION_MAX_CHARS, GOOGLE_NAMESPACE, feed_item

G = f"{{{GOOGLE_NAMESPACE}}}"
BASE = "https://shop.example"


def item(**summary_fields) -> catalog_pb2.FeedItem:
    summary = catalog_pb2.ProductSummary(
        id=7,
        slug="oxford-shirt",
        name="Oxford Shirt",
        brand="Acme",
        price=common_pb2.Money(amount=4500, currency="EUR"),
        image=common_pb2.Image(url="/media/7.jpg", alt="Oxford Shirt"),
        in_stock=True,
    )
    for name, value in summary_fields.items():
        if isinstance(value, common_pb2.Money):
            getattr(summary, name).CopyFrom(value)
        else:
            setattr(summary, name, value)
    return catalog_pb2.FeedItem(summary=summary, sku="ACM-7", description="Crisp cotton.")


def parsed(feed_item_xml: str) -> ET.Element:
    return ET.fromstring(f'<rss xmlns:g="{GOOGLE_NAMESPACE}">{feed_item_xml}</rss>')[0]


def test_an_item_has_absolute_links_a_price_with_its_currency_and_no_identifiers():
    found = parsed(feed_item(item(), BASE))
    assert found.findtext(f"{G}id") == "ACM-7"
    assert found.findtext("title") == "Oxford Shirt"
    assert found.findtext("link") == f"{BASE}/p/7/oxford-shirt"
    assert found.findtext(f"{G}image_link") == f"{BASE}/media/7.jpg"
    assert found.findtext(f"{G}price") == "45.00 EUR"
    assert found.find(f"{G}sale_price") is None
    assert found.findtext(f"{G}availability") == "in_stock"
    assert found.findtext(f"{G}brand") == "Acme"
    assert found.findtext(f"{G}identifier_exists") == "no"
    assert found.findtext(f"{G}condition") == "new"
    assert found.findtext("description") == "Crisp cotton."


def test_a_was_price_is_the_price_and_the_shops_price_the_sale_price():
    was = common_pb2.Money(amount=2999, currency="EUR")
    found = parsed(
        feed_item(
            item(price=common_pb2.Money(amount=1999, currency="EUR"), compare_at_price=was), BASE
        )
    )
    assert found.findtext(f"{G}price") == "29.99 EUR"
    assert found.findtext(f"{G}sale_price") == "19.99 EUR"


def test_an_out_of_stock_product_says_so_and_one_without_image_has_no_image_link():
    found = parsed(feed_item(item(in_stock=False), BASE))
    assert found.findtext(f"{G}availability") == "out_of_stock"
    imageless = item()
    imageless.summary.ClearField("image")
    assert parsed(feed_item(imageless, BASE)).find(f"{G}image_link") is None


def test_markup_and_characters_xml_cannot_hold_in_product_text_leave_the_feed_parseable():
    hostile = item(name="Shirt </title></item><item>&amp; \x0b\x1b", brand="A&B <i>")
    hostile.description = "x\x00y" * DESCRIPTION_MAX_CHARS
    found = parsed(feed_item(hostile, BASE))
    assert found.findtext("title") == "Shirt </title></item><item>&amp; "
    assert found.findtext(f"{G}brand") == "A&B <i>"
    assert len(found.findtext("description")) <= DESCRIPTION_MAX_CHARS
