"""JSON-LD built from protobuf messages, and the listing URL scheme crawlers see."""

from __future__ import annotations

import json
import re

from contract import catalog_pb2, common_pb2
from vitrine.urls import listing_url
from web.structured_data import StructuredData, json_ld


def parsed(markup: str) -> dict:
    found = re.fullmatch(r'<script type="application/ld\+json">(.*)</script>', str(markup))
    return json.loads(found.group(1))


def product(**fields) -> catalog_pb2.Product:
    return catalog_pb2.Product(
        id=7,
        slug="blue-scarf",
        name="Blue Scarf",
        brand="Acme",
        sku="VT7",
        price=common_pb2.Money(amount=1999, currency="EUR"),
        images=[common_pb2.Image(url="/media/7.svg", alt="a scarf")],
        **fields,
    )


def test_text_that_would_end_the_script_element_is_escaped_and_still_parses_the_same():
    name = "Scarf </script><script>alert(1)</script> & <!-- more"
    markup = json_ld({"name": name})
    inner = str(markup).removeprefix('<script type="application/ld+json">')
    assert "</script>" not in inner.removesuffix("</script>")
    assert "<!--" not in inner
    assert parsed(markup) == {"name": name}


def test_one_variant_is_one_offer_with_a_decimal_price_and_absolute_urls():
    one = product(variants=[catalog_pb2.Variant(id=1, sku="VT7-M", stock=0)])
    data = parsed(StructuredData("https://shop.example/").product(one))
    assert data["image"] == ["https://shop.example/media/7.svg"]
    assert data["offers"] == {
        "@type": "Offer",
        "sku": "VT7",
        "price": "19.99",
        "priceCurrency": "EUR",
        "availability": "https://schema.org/OutOfStock",
        "itemCondition": "https://schema.org/NewCondition",
        "url": "https://shop.example/p/7/blue-scarf",
    }


def test_several_variants_make_an_aggregate_offer_in_stock_when_any_is():
    several = product(
        variants=[
            catalog_pb2.Variant(id=1, sku="VT7-S", stock=0),
            catalog_pb2.Variant(id=2, sku="VT7-M", stock=3),
        ]
    )
    offers = parsed(StructuredData("https://shop.example").product(several))["offers"]
    assert offers["@type"] == "AggregateOffer"
    assert (offers["lowPrice"], offers["highPrice"], offers["offerCount"]) == ("19.99", "19.99", 2)
    assert offers["availability"] == "https://schema.org/InStock"
    assert [o["availability"].rsplit("/", 1)[1] for o in offers["offers"]] == [
        "OutOfStock",
        "InStock",
    ]


def test_a_discontinued_product_says_so():
    gone = product(discontinued=True, variants=[catalog_pb2.Variant(id=1, sku="X", stock=5)])
    data = parsed(StructuredData("https://shop.example").product(gone))
    assert data["offers"]["availability"] == "https://schema.org/Discontinued"


def test_filtered_listings_live_under_filter_and_sorted_or_paged_ones_on_the_category():
    assert listing_url("women", {}) == "/c/women"
    assert listing_url("women", {"sort": "name", "page": 2}) == "/c/women?sort=name&page=2"
    assert (
        listing_url("women", {"brand": ["A", "B"], "sort": None}) == "/filter/women?brand=A&brand=B"
    )
