"""The help pages say what the shop does: checkout's delivery options and prices, the returns
window the structured data states, the cookies the front sets, the sizes the catalogue sells;
and crawlers read the same in the JSON-LD."""

from __future__ import annotations

import asyncio
import json
import re
from types import SimpleNamespace

from api.demo.taxonomy import CLOTHING_SIZES, SHOE_SIZES
from api.help_pages import HELP_PAGES
from api.services import landings
from api.services.checkout import SHIPPING_COUNTRIES, SHIPPING_METHODS
from api.shop_policies import RETURN_DAYS, shop_policies
from contract import catalog_pb2, common_pb2, help_pb2
from web.shopper_cookies import BASKET_COOKIE, BASKET_COOKIE_DAYS, SESSION_COOKIE
from web.structured_data import StructuredData

CTX = SimpleNamespace(settings=SimpleNamespace(locale="en_IE"))
SD = StructuredData("https://shop.example/")


def page(slug: str) -> help_pb2.HelpPage:
    return asyncio.run(landings.get_help_page(CTX, help_pb2.GetHelpPageRequest(slug=slug)))


def text(help_page: help_pb2.HelpPage) -> str:
    parts = [help_page.title, help_page.description]
    for section in help_page.sections:
        parts += [section.heading, *section.paragraphs, *section.items]
        parts += [cell for row in section.table.rows for cell in row.cells]
    return " ".join(parts)


def table(help_page: help_pb2.HelpPage, caption: str) -> list[list[str]]:
    (found,) = [s.table for s in help_page.sections if s.table.caption.startswith(caption)]
    return [list(row.cells) for row in found.rows]


def scripts(markup: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"<script[^>]*>(.*?)</script>", str(markup))]


def test_the_footer_links_are_the_pages_there_are():
    slugs = {p.slug for p in HELP_PAGES}
    assert slugs == {"delivery", "returns", "contact", "privacy", "terms", "size-guide"}
    for slug in slugs:
        shown = page(slug)
        assert shown.title
        assert 50 <= len(shown.description) <= 160
        assert "{" not in shown.description
        assert len(shown.sections) >= 2


def test_the_delivery_page_lists_what_checkout_charges():
    rows = table(page("delivery"), "Delivery options")
    assert [row[0] for row in rows] == [method.label for method in SHIPPING_METHODS]
    for row, method in zip(rows, SHIPPING_METHODS, strict=True):
        euros = f"€{method.price // 100}.{method.price % 100:02d}"
        assert row[2].startswith(euros)
        if method.free_from is not None:
            assert f"free on orders from €{method.free_from // 100}" in row[2]
    assert f"deliver to {len(SHIPPING_COUNTRIES)} countries" in text(page("delivery"))
    assert rows[2][3] == "Ireland"  # next-day


def test_the_returns_page_and_the_terms_state_the_same_window():
    assert f"within {RETURN_DAYS} days" in text(page("returns"))
    assert f"extend this to {RETURN_DAYS} days" in text(page("terms"))
    assert shop_policies().returns.days == RETURN_DAYS


def test_the_privacy_notice_names_every_cookie_the_shop_sets():
    rows = table(page("privacy"), "Cookies")
    assert {row[0] for row in rows} == {BASKET_COOKIE, SESSION_COOKIE, "_xsrf"}
    assert {row[0]: row[2] for row in rows}[BASKET_COOKIE] == f"{BASKET_COOKIE_DAYS} days"


def test_the_size_guide_covers_every_size_the_catalogue_sells():
    guide = page("size-guide")
    for caption in ("Women's clothing", "Men's clothing"):
        assert [row[0] for row in table(guide, caption)] == list(CLOTHING_SIZES)
    assert [row[0] for row in table(guide, "Shoe sizes")] == list(SHOE_SIZES)
    assert "80\u201384" in table(guide, "Women's clothing")[0]  # spans read as spans (en dash)


def test_the_contact_page_is_a_contact_page_with_the_shop_and_its_contact_point():
    policies = shop_policies()
    web_page, crumbs, organization = scripts(SD.help_page(page("contact"), policies))
    assert web_page["@type"] == "ContactPage"
    assert web_page["url"] == "https://shop.example/help/contact"
    assert crumbs["itemListElement"][1]["item"] == "https://shop.example/help/contact"
    assert organization["@type"] == "Organization"
    assert organization["logo"] == "https://shop.example/media/brand/logo.svg"
    point = organization["contactPoint"]
    assert point["@type"] == "ContactPoint"
    assert point["telephone"] == policies.contact.telephone
    assert point["email"] in text(page("contact"))
    assert point["hoursAvailable"][0]["dayOfWeek"][0] == "https://schema.org/Monday"
    assert organization["hasMerchantReturnPolicy"]["merchantReturnDays"] == RETURN_DAYS


def test_a_help_page_without_policies_still_says_what_it_is():
    (web_page, crumbs) = scripts(SD.help_page(page("privacy"), None))
    assert web_page["@type"] == "WebPage"
    assert crumbs["@type"] == "BreadcrumbList"


def product(price: int, variants: int = 1) -> catalog_pb2.Product:
    return catalog_pb2.Product(
        id=7,
        slug="wool-scarf",
        name="Wool Scarf",
        brand="Acme",
        sku="VT7",
        price=common_pb2.Money(amount=price, currency="EUR"),
        variants=[catalog_pb2.Variant(id=n, sku=f"VT7-{n}", stock=1) for n in range(variants)],
    )


def test_an_offer_carries_the_delivery_and_returns_the_help_pages_state():
    policies = shop_policies()
    (data,) = scripts(SD.product(product(2995), policies))
    offer = data["offers"]
    standard, express, next_day = offer["shippingDetails"]
    assert standard["shippingRate"] == {
        "@type": "MonetaryAmount",
        "value": "4.95",
        "currency": "EUR",
    }
    assert express["shippingRate"]["value"] == "9.95"
    assert [d["addressCountry"] for d in next_day["shippingDestination"]] == ["IE"]
    assert len(standard["shippingDestination"]) == len(SHIPPING_COUNTRIES)
    assert standard["deliveryTime"]["transitTime"] == {
        "@type": "QuantitativeValue",
        "minValue": 3,
        "maxValue": 5,
        "unitCode": "DAY",
    }
    policy = offer["hasMerchantReturnPolicy"]
    assert policy["merchantReturnDays"] == RETURN_DAYS
    assert policy["returnFees"] == "https://schema.org/FreeReturn"
    assert policy["returnPolicyCategory"] == "https://schema.org/MerchantReturnFiniteReturnWindow"


def test_an_item_that_reaches_free_delivery_alone_ships_free_and_variants_say_it_once():
    (data,) = scripts(SD.product(product(8000, variants=3), shop_policies()))
    offer = data["offers"]
    assert offer["@type"] == "AggregateOffer"
    assert offer["shippingDetails"][0]["shippingRate"]["value"] == "0"
    assert offer["shippingDetails"][1]["shippingRate"]["value"] == "9.95"
    assert all("shippingDetails" not in each for each in offer["offers"])


def test_without_policies_an_offer_says_nothing_of_delivery():
    (data,) = scripts(SD.product(product(2995), None))
    assert "shippingDetails" not in data["offers"]
    assert "hasMerchantReturnPolicy" not in data["offers"]
