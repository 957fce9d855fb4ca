"""The page families the quality gates judge, and the shopper's walk that reaches each one.

FAMILIES is the table to extend: a page family is a name, the step that brings the browser to
it (from wherever the previous step left it: the basket needs the product step before it, the
checkout steps follow one another), the status it answers, and, for a family whose route is not
in every build, the route prefix web/app.py must serve for it to be judged. LIGHTHOUSE_FAMILIES
names the families Lighthouse also scores.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e import journey
from tests.functional.pages import Facts, confirmation_path, wait_for_registration_mail
from web.app import ROUTES

ADDRESS = {
    "email": "gates@example.com",
    "name": "Grace Hopper",
    "line1": "12 Merrion Square",
    "city": "Dublin",
    "postcode": "D02 X285",
    "country": "IE",
}
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "holder": "G H"}
PASSWORD = "a long enough password"
# The content pages the footer links to (docs/storefront.md); a footer link to a /help/ page
# missing here fails test_every_content_page_the_footer_links_is_judged.
CONTENT_PAGES = ("delivery", "returns", "contact", "privacy", "terms", "size-guide")


@dataclass
class Walk:
    """The browser on its way through the shop, and what the steps need to find their pages."""

    browser: WebDriver
    site_url: str
    outbox: Path
    facts: Facts
    account_email: str = ""

    def open(self, path: str) -> None:
        self.browser.get(self.site_url + path)
        journey.wait_for_page(self.browser)

    def follow(self, element: WebElement) -> None:
        journey.follow(self.browser, self.site_url, element)


@dataclass(frozen=True)
class Family:
    name: str
    visit: Callable[[Walk], None]
    status: int = 200
    # A route prefix (as in web/app.py's ROUTES) without which this family is not built yet.
    needs_route: str = ""
    # The page is the answer to a form's POST (not a redirect to a GET): its HTML as sent cannot
    # be fetched again, so only the page as the browser shows it is judged.
    answers_post: bool = False


def home(walk: Walk) -> None:
    walk.open("/")


def landing(walk: Walk) -> None:
    """The first landing page the home page links to."""
    walk.open("/")
    link = walk.browser.find_element(By.CSS_SELECTOR, "main a[href^='/l/']")
    walk.open(urlsplit(link.get_attribute("href") or "").path)


def category(walk: Walk) -> None:
    walk.open(f"/c/{walk.facts.department_slug}")


def filtered_category(walk: Walk) -> None:
    category(walk)
    journey.filter_by_first_brand(walk.browser, walk.site_url)


def product_gone(walk: Walk) -> None:
    """A discontinued product's page (410), which still shows it and offers the way on."""
    walk.open(f"/p/{walk.facts.discontinued_id}/{walk.facts.discontinued_slug}")


def product(walk: Walk) -> None:
    """The first product in stock of the first department, an option chosen (for the basket)."""
    category(walk)
    journey.open_first_product_in_stock(walk.browser, walk.site_url)


def search_word(walk: Walk) -> str:
    word = journey.SEARCH_WORD.search(walk.facts.product_name)
    return word.group(0) if word else "dress"


def search(walk: Walk) -> None:
    walk.open(f"/search?q={quote(search_word(walk))}")


def search_without_results(walk: Walk) -> None:
    walk.open("/search?q=qwxzvj")


def search_suggestions(walk: Walk) -> None:
    """The home page with the header's search suggestions open, as a shopper typing sees it."""
    walk.open("/")
    journey.header_search_box(walk.browser).send_keys(search_word(walk)[:4].lower())
    journey.wait(walk.browser).until(
        lambda browser: browser.find_elements(By.CSS_SELECTOR, "[role=listbox] [role=option]")
    )


def basket(walk: Walk) -> None:
    """The basket with one line in it."""
    product(walk)
    journey.add_to_basket(walk.browser, walk.site_url, javascript=True)


def checkout_address(walk: Walk) -> None:
    walk.follow(walk.browser.find_element(By.LINK_TEXT, "Check out"))


def checkout_address_refused(walk: Walk) -> None:
    """The address step sent back with every field's message (400): errors tied to fields.
    (The browser logs the 400 as a console error, which journey.follow would refuse.)"""
    browser = walk.browser
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(
        By.XPATH, "//main//button[normalize-space()='Continue to delivery']"
    ).click()
    journey.wait(browser).until(ec.staleness_of(page))
    journey.wait_for_page(browser)


def checkout_shipping(walk: Walk) -> None:
    journey.fill_form(walk.browser, ADDRESS)
    journey.continue_checkout(walk.browser, walk.site_url, "Continue to delivery")


def checkout_payment(walk: Walk) -> None:
    journey.continue_checkout(walk.browser, walk.site_url, "Continue to payment")


def checkout_review(walk: Walk) -> None:
    journey.fill_form(walk.browser, CARD)
    journey.continue_checkout(walk.browser, walk.site_url, "Continue to review")


def order_confirmation(walk: Walk) -> None:
    journey.continue_checkout(walk.browser, walk.site_url, "Place order and pay")


def log_in(walk: Walk) -> None:
    walk.open("/account/login")


def register(walk: Walk) -> None:
    walk.open("/account/register")


def register_sent(walk: Walk) -> None:
    walk.account_email = f"gates-{secrets.token_hex(4)}@example.com"
    register(walk)
    journey.fill_form(
        walk.browser, {"name": "Ada", "email": walk.account_email, "password": PASSWORD}
    )
    journey.continue_checkout(walk.browser, walk.site_url, "Create account")


def register_confirm(walk: Walk) -> None:
    """The page the registration email links to, with its one button."""
    walk.open(confirmation_path(wait_for_registration_mail(walk.outbox, walk.account_email)))


def account(walk: Walk) -> None:
    """The account page of a shopper logged in (the confirmation logs them in)."""
    journey.continue_checkout(walk.browser, walk.site_url, "Make my account")
    walk.open("/account")


def account_orders(walk: Walk) -> None:
    walk.open("/account/orders")


def content_page(slug: str) -> Callable[[Walk], None]:
    def visit(walk: Walk) -> None:
        walk.open(f"/help/{slug}")

    return visit


def not_found(walk: Walk) -> None:
    walk.open("/no-such-page")


FAMILIES: tuple[Family, ...] = (
    Family("home", home),
    Family("landing", landing),
    Family("category", category),
    Family("filtered-category", filtered_category),
    Family("product", product),
    Family("product-gone", product_gone, status=410),
    Family("search", search),
    Family("search-without-results", search_without_results),
    Family("search-suggestions", search_suggestions),
    Family("basket", basket),
    Family("checkout-address", checkout_address),
    Family("checkout-address-refused", checkout_address_refused, status=400, answers_post=True),
    Family("checkout-shipping", checkout_shipping),
    Family("checkout-payment", checkout_payment),
    Family("checkout-review", checkout_review),
    Family("order-confirmation", order_confirmation),
    Family("log-in", log_in),
    Family("register", register),
    Family("register-sent", register_sent),
    Family("register-confirm", register_confirm),
    Family("account", account),
    Family("account-orders", account_orders),
    *(Family(f"help-{slug}", content_page(slug), needs_route="/help/") for slug in CONTENT_PAGES),
    Family("not-found", not_found, status=404),
)
LIGHTHOUSE_FAMILIES = ("home", "category", "product")
LIGHTHOUSE_PRESETS = ("mobile", "desktop")


def served(prefix: str) -> bool:
    """Whether web/app.py routes any path under `prefix` (a family not built yet is left out)."""
    return any(re.sub(r"\\(.)", r"\1", route.pattern).startswith(prefix) for route in ROUTES)


def families() -> list[Family]:
    """The families this build serves, in the order the walk reaches them."""
    return [family for family in FAMILIES if not family.needs_route or served(family.needs_route)]
