"""The basket as a shopper uses it without JavaScript (forms, redirects) and with it (JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.functional.pages import (
    Facts,
    Shopper,
    catalogue_facts,
    product_option,
    product_variants,
    set_cookie,
    xsrf_field,
)
from tests.processes import Process, Processes


@dataclass
class Shop:
    front: Process
    facts: Facts

    def shopper(self) -> Shopper:
        return Shopper(self.front.url)


@pytest.fixture(scope="module")
def shop(database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    processes = Processes(database, tmp_path_factory.mktemp("shop"))
    try:
        yield Shop(processes.start_front(processes.start_worker()), catalogue_facts(database))
    finally:
        processes.stop_all()


def basket_count(shopper: Shopper) -> int:
    page = shopper.request("/")
    return int(re.search(r"data-basket-count>(\d+)<", page.body).group(1))


def basket_token(shopper: Shopper) -> str:
    """The xsrf token of the basket page's quantity forms (the shopper has a line)."""
    return xsrf_field(shopper.request("/basket"))


def basket_quantities(shopper: Shopper) -> list[int]:
    page = shopper.request("/basket")
    return [
        int(q) for q in re.findall(r'name="quantity" type="number"[^>]* value="(\d+)"', page.body)
    ]


def test_adding_from_the_product_page_fills_the_basket_and_the_badge(shop):
    shopper = shop.shopper()
    assert basket_count(shopper) == 0
    variant = product_option(shopper, shop.facts)
    added = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "2"})
    assert added.status == 303
    assert added.headers["Location"] == "/basket"
    cookie = set_cookie(added, "basket")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    basket = shopper.request("/basket")
    assert basket.status == 200
    assert shop.facts.product_name in basket.body
    assert basket_quantities(shopper) == [2]
    assert basket_count(shopper) == 2
    assert '<meta name="robots" content="noindex,nofollow">' in basket.body
    assert basket.headers["Cache-Control"] == "private, no-store"
    assert re.search(r"<dt>Total</dt><dd><strong>€[\d,.]+</strong></dd>", basket.body)

    again = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    assert again.status == 303
    assert basket_quantities(shopper) == [3]


def test_the_product_page_is_one_page_for_every_anonymous_shopper(shop):
    """Its add-to-basket form carries no token, so nothing in it is a shopper's own: no cookie,
    and browsers and nginx may keep it for a few seconds."""
    path = f"/p/{shop.facts.product_id}/{shop.facts.product_slug}"
    first, second = shop.shopper().request(path), shop.shopper().request(path)
    for page in (first, second):
        assert page.status == 200
        assert '<form class="add-to-basket" action="/basket/lines" method="post"' in page.body
        assert 'name="_xsrf"' not in page.body
        assert page.headers.get_all("Set-Cookie") is None
        assert page.headers["Cache-Control"] == "public, max-age=5"
        assert page.headers["Vary"] == "Accept-Encoding, Cookie"
    assert first.body.encode() == second.body.encode()
    assert first.headers["ETag"] == second.headers["ETag"]
    again = shop.shopper().request(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304


@pytest.mark.parametrize(
    ("quantity", "status", "message"),
    [
        ("abc", 400, "Quantity must be a whole number from 1 to 99."),
        ("0", 400, "Quantity must be a whole number from 1 to 99."),
        ("-2", 400, "Quantity must be a whole number from 1 to 99."),
        ("2.5", 400, "Quantity must be a whole number from 1 to 99."),
        ("99", 409, "left"),
    ],
)
def test_a_bad_quantity_gets_a_message_and_changes_nothing(shop, quantity, status, message):
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    answer = shopper.request("/basket/lines", {"variant_id": variant, "quantity": quantity})
    assert answer.status == status
    assert message in answer.body
    assert "Traceback" not in answer.body
    assert basket_quantities(shopper) == [1]


# What a browser sends with a form from this site's page, besides the Origin the test shopper
# sends by default: Fetch Metadata, or only a Referer (an older browser).
SAME_SITE = {
    "origin": {},
    "sec-fetch-site": {"Origin": None, "Sec-Fetch-Site": "same-origin"},
    "referer": {"Origin": None, "Referer": "{site}/p/1/from-this-site"},
}
# ...and what a form or script on another site (or a client that says nothing) sends.
CROSS_SITE = {
    "foreign-origin": {"Origin": "https://evil.example", "Referer": "{site}/p/1/from-this-site"},
    "null-origin": {"Origin": "null"},
    "cross-site": {"Origin": None, "Sec-Fetch-Site": "cross-site"},
    "same-site": {"Origin": None, "Sec-Fetch-Site": "same-site"},
    "foreign-referer": {"Origin": None, "Referer": "https://evil.example/{site}"},
    "nothing": {"Origin": None},
}


def at(site: str, headers: dict[str, str | None]) -> dict[str, str | None]:
    return {name: value and value.replace("{site}", site) for name, value in headers.items()}


@pytest.mark.parametrize("evidence", SAME_SITE.values(), ids=SAME_SITE)
def test_adding_needs_no_token_when_the_browser_says_the_form_is_this_sites(shop, evidence):
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    added = shopper.request(
        "/basket/lines", {"variant_id": variant, "quantity": "2"}, at(shop.front.url, evidence)
    )
    assert added.status == 303
    assert added.headers["Location"] == "/basket"
    assert basket_quantities(shopper) == [2]
    assert basket_count(shopper) == 2


@pytest.mark.parametrize("evidence", CROSS_SITE.values(), ids=CROSS_SITE)
def test_adding_from_another_site_without_a_token_is_refused_and_changes_nothing(shop, evidence):
    headers = at(shop.front.url, evidence)
    newcomer, regular = shop.shopper(), shop.shopper()
    variant = product_option(regular, shop.facts)
    assert regular.request("/basket/lines", {"variant_id": variant, "quantity": "1"}).status == 303

    refused = newcomer.request("/basket/lines", {"variant_id": variant, "quantity": "1"}, headers)
    assert refused.status == 403
    assert "did not come from a page of this shop" in refused.body
    assert "Traceback" not in refused.body
    assert refused.headers.get_all("Set-Cookie") is None
    assert newcomer.cookie("basket") is None
    assert basket_count(newcomer) == 0
    forged = {"_xsrf": "2|00|forged|0", "variant_id": variant, "quantity": "5"}
    assert regular.request("/basket/lines", forged, headers).status == 403
    assert basket_quantities(regular) == [1]


def test_with_javascript_an_add_from_another_site_is_refused_with_the_message(shop):
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    headers = {"Accept": "application/json", "Origin": "https://evil.example"}
    refused = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"}, headers)
    assert refused.status == 403
    assert "did not come from a page of this shop" in json.loads(refused.body)["error"]
    assert basket_count(shopper) == 0


def test_changing_or_removing_a_line_still_needs_the_token_even_from_this_site(shop):
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    shopper.request("/basket/lines", {"variant_id": variant, "quantity": "2"})
    for form in ({"quantity": "1"}, {"quantity": "", "remove": "1"}):
        refused = shopper.request(f"/basket/lines/{variant}", form)
        assert refused.status == 403
        assert "We could not accept that form" in refused.body
    assert basket_quantities(shopper) == [2]


def test_the_xsrf_token_still_adds_without_any_word_on_the_origin(shop):
    """A form or script holding a valid token (from a page that has one) needs no Origin."""
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    token = basket_token(shopper)
    form = {"_xsrf": token, "variant_id": variant, "quantity": "1"}
    assert shopper.request("/basket/lines", form, {"Origin": None}).status == 303
    headers = {"Accept": "application/json", "X-XSRFToken": token, "Origin": None}
    answer = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"}, headers)
    assert answer.status == 200
    assert json.loads(answer.body)["item_count"] == 3
    assert basket_quantities(shopper) == [3]


def test_a_price_sent_by_the_browser_is_ignored(shop):
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    product = shopper.request(f"/p/{shop.facts.product_id}/{shop.facts.product_slug}")
    price = re.search(r"price__now[^>]*>(€[\d,]+\.\d\d)<", product.body).group(1)
    shopper.request(
        "/basket/lines",
        {"variant_id": variant, "quantity": "1", "price": "0.01", "unit_price": "1"},
    )
    assert f"{price} each" in shopper.request("/basket").body


def test_with_javascript_adding_answers_json_with_the_new_count(shop):
    """What site.js sends from the product page: the form, asking for JSON; fetch adds the
    page's Origin."""
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    headers = {"Accept": "application/json"}
    answer = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "2"}, headers)
    assert answer.status == 200
    body = json.loads(answer.body)
    assert body["item_count"] == 2
    assert body["subtotal"].startswith("€")
    refused = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "99"}, headers)
    assert refused.status == 409
    assert "left" in json.loads(refused.body)["error"]
    assert basket_count(shopper) == 2


def test_changing_and_removing_a_line(shop):
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    shopper.request("/basket/lines", {"variant_id": variant, "quantity": "3"})
    token = basket_token(shopper)
    changed = shopper.request(f"/basket/lines/{variant}", {"_xsrf": token, "quantity": "1"})
    assert changed.status == 303
    assert basket_quantities(shopper) == [1]
    shopper.request(f"/basket/lines/{variant}", {"_xsrf": token, "quantity": "", "remove": "1"})
    assert basket_quantities(shopper) == []
    assert "Your basket is empty." in shopper.request("/basket").body


def test_a_tampered_basket_cookie_reads_as_no_basket(shop):
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    for cookie in shopper.cookies:
        if cookie.name == "basket":
            cookie.value = cookie.value.replace("|", "|x", 1)
    page = shopper.request("/basket")
    assert page.status == 200
    assert "Your basket is empty." in page.body


def test_an_unknown_option_is_a_400_not_a_500(shop):
    shopper = shop.shopper()
    answer = shopper.request("/basket/lines", {"variant_id": "999999999", "quantity": "1"})
    assert answer.status == 400
    assert "That option does not exist." in answer.body
    missing = shopper.request("/basket/lines", {"quantity": "1"})
    assert missing.status == 400
    assert "Choose an option first." in missing.body


def test_a_reused_product_page_carries_each_shoppers_own_basket(shop):
    """Fronts reuse a rendered page while the API's replies are the same: a shopper must still
    get their own basket badge, never another shopper's, and only the anonymous page is public."""
    path = f"/p/{shop.facts.product_id}/{shop.facts.product_slug}"
    buyer, browser = shop.shopper(), shop.shopper()
    variant = product_option(buyer, shop.facts)
    added = buyer.request("/basket/lines", {"variant_id": variant, "quantity": "2"})
    assert added.status == 303
    buyer_page, browser_page = buyer.request(path), browser.request(path)
    assert re.search(r"data-basket-count>2<", buyer_page.body)
    assert re.search(r"data-basket-count>0<", browser_page.body)
    assert buyer_page.headers["Cache-Control"] == "private"
    assert browser_page.headers["Cache-Control"] == "public, max-age=5"
    assert 'name="_xsrf"' not in buyer_page.body + browser_page.body
    again = browser.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    assert again.status == 303
    assert basket_count(browser) == 1
    assert basket_count(buyer) == 2


def test_item_counts_are_said_in_words_one_item_two_items(shop):
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    json_headers = {"Accept": "application/json"}
    one = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"}, json_headers)
    assert json.loads(one.body)["items"] == "1 item"
    page = shopper.request("/basket")
    assert '<h1>Your basket <span class="count">(1 item)</span></h1>' in page.body
    assert "data-basket-label>, 1 item</span>" in page.body
    two = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"}, json_headers)
    assert json.loads(two.body)["items"] == "2 items"
    page = shopper.request("/basket")
    assert "(2 items)" in page.body
    assert "data-basket-label>, 2 items</span>" in page.body
    assert "1 items" not in page.body


def test_a_quantity_beyond_stock_shows_the_basket_with_the_reason_inline(shop):
    """Not a page that replaces the basket: the basket again (409), as it was, the reason beside
    the line changed, or above the lines for an add from the product page."""
    shopper = shop.shopper()
    variant = product_option(shopper, shop.facts)
    shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    token = basket_token(shopper)
    changed = shopper.request(f"/basket/lines/{variant}", {"_xsrf": token, "quantity": "99"})
    assert changed.status == 409
    assert "<h1>Your basket" in changed.body
    line = re.search(r'<li class="basket-line">(.*?)</li>', changed.body, re.DOTALL).group(1)
    alert = re.search(r'<p class="alert" role="alert" id="problem-\d+">([^<]+)</p>', line)
    assert alert, "the reason is not beside the line"
    assert "left" in alert.group(1)
    assert "This line is as it was." in alert.group(1)
    assert 'aria-invalid="true"' in line
    assert 'href="/checkout"' in changed.body
    assert basket_quantities(shopper) == [1]

    added = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "99"})
    assert added.status == 409
    assert "<h1>Your basket" in added.body
    assert re.search(r'<p class="alert" role="alert">[^<]*left[^<]*</p>', added.body) or (
        "This line is as it was." in added.body
    )
    assert 'class="basket-line"' in added.body
    assert basket_quantities(shopper) == [1]


def split_product(shop: Shop, shopper: Shopper) -> tuple[str, list[list]]:
    """A product sold in sizes and colours: its path and its variants [id, colour, size, stock]."""
    listing = shopper.request(f"/c/{shop.facts.department_slug}")
    for path in dict.fromkeys(re.findall(r'href="(/p/\d+/[^"]+)"', listing.body)):
        page = shopper.request(path)
        if 'name="colour"' in page.body and 'name="size"' in page.body:
            return path, product_variants(page)
    raise AssertionError("no product in sizes and colours on the department's first page")


def test_a_size_and_colour_product_shows_one_group_of_each(shop):
    shopper = shop.shopper()
    path, variants = split_product(shop, shopper)
    page = shopper.request(path)
    colours = {colour for _id, colour, _size, _stock in variants}
    sizes = {size for _id, _colour, size, _stock in variants}
    assert len(re.findall(r'<input type="radio" name="colour"', page.body)) == len(colours)
    assert len(re.findall(r'<input type="radio" name="size"', page.body)) == len(sizes)
    assert 'name="variant_id"' not in page.body  # the script adds it; without it, these do
    assert re.search(r'<input type="hidden" name="product_id" value="\d+">', page.body)
    assert re.search(r"<legend>Colour<", page.body)
    assert re.search(r"<legend>Size</legend>", page.body)


def test_without_javascript_the_colour_and_size_buttons_find_the_variant(shop):
    shopper = shop.shopper()
    path, variants = split_product(shop, shopper)
    product_id = path.split("/")[2]
    variant_id, colour, size, _stock = next(v for v in variants if v[3])
    added = shopper.request(
        "/basket/lines",
        {"product_id": product_id, "colour": colour, "size": size, "quantity": "1"},
    )
    assert added.status == 303
    basket = shopper.request("/basket")
    assert f'action="/basket/lines/{variant_id}"' in basket.body
    other_sizes = {v[2] for v in variants} - {v[2] for v in variants if v[1] == colour}
    if other_sizes:
        missing = shopper.request(
            "/basket/lines",
            {
                "product_id": product_id,
                "colour": colour,
                "size": other_sizes.pop(),
                "quantity": "1",
            },
        )
        assert missing.status == 400
        assert "is not made in" in missing.body
    unchosen = shopper.request(
        "/basket/lines", {"product_id": product_id, "colour": colour, "quantity": "1"}
    )
    assert unchosen.status == 400
    assert "Choose a colour and a size first." in unchosen.body
    unknown = shopper.request(
        "/basket/lines", {"product_id": "999999999", "colour": colour, "size": size}
    )
    assert unknown.status == 400
    assert "That product does not exist." in unknown.body
    assert basket_quantities(shopper) == [1]
