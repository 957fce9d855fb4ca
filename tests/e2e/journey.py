"""The steps of a shopper's visit, as a browser takes them (clicks, typing, waiting for the next
page), and the checks every page of the visit must pass.

A step starts on the page the previous one led to, and returns what the shopper picked (a
brand, a product) so that a test can assert on it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.functional.pages import own_address

# Pages come from loopback in milliseconds; this only bounds a failure.
WAIT_SECONDS = 10
# "€1,234.56" (the en_IE locale the demo shop formats money in) -> 1234.56
EURO_AMOUNT = re.compile(r"€\s?(\d[\d,]*(?:\.\d+)?)")
# A facet value's link text: "Aldgate & Co (13)".
FACET_VALUE = re.compile(r"^(?P<label>.+) \((?P<count>\d+)\)$")
PRODUCT_COUNT = re.compile(r"^(\d+) products?$")
# Where a product page's search word comes from: a word a shopper would type.
SEARCH_WORD = re.compile(r"[A-Za-z]{4,}")
PRICE_LOW_TO_HIGH = "Price: low to high"


def wait(browser: WebDriver) -> WebDriverWait[WebDriver]:
    """Poll until a condition holds. While a page is being replaced, Chromium can answer a question
    about the old page with an "unhandled inspector error" instead of "stale element": that means
    "not yet", so it is polled again rather than failing the test."""
    return WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=(WebDriverException,))


def query_of(browser: WebDriver) -> dict[str, list[str]]:
    return parse_qs(urlsplit(browser.current_url).query)


def text_of(browser: WebDriver, css: str, within: WebElement | None = None) -> str:
    return (within or browser).find_element(By.CSS_SELECTOR, css).text.strip()


def attribute(element: WebElement, name: str) -> str:
    """An attribute's (or DOM property's) value; an absent one reads as empty."""
    return element.get_attribute(name) or ""


def link_path(element: WebElement, name: str = "href") -> str:
    return urlsplit(attribute(element, name)).path


def euros(text: str) -> Decimal:
    found = EURO_AMOUNT.search(text)
    assert found, f"no euro amount in {text!r}"
    return Decimal(found.group(1).replace(",", ""))


# The checks every page passes.


def wait_for_page(browser: WebDriver) -> None:
    wait(browser).until(lambda b: b.execute_script("return document.readyState") == "complete")


def console_errors(browser: WebDriver, *, expected_status: int | None = None) -> list[str]:
    """The console's errors since the last look; a favicon miss or the page's own expected
    error status (the 404 page is a 404) is not a fault."""
    own_status = f"{browser.current_url} - Failed to load resource: the server responded with a "
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
        and "favicon" not in entry["message"]
        and not (
            expected_status
            and entry["message"].startswith(f"{own_status}status of {expected_status}")
        )
    ]


def foreign_requests(browser: WebDriver, site_url: str) -> list[str]:
    """Every address the page loaded or refers to for loading (images not loaded yet, lazily,
    included), that is neither on the site's own origin nor inline data."""
    origin = urlsplit(site_url)[:2]
    # The DOM properties (not attributes) are the resolved absolute URLs.
    addresses: list[str] = browser.execute_script(
        """
        const urls = performance.getEntriesByType("resource").map((entry) => entry.name);
        const loaders = "img, script[src], iframe, audio, video, source";
        for (const el of document.querySelectorAll(loaders)) {
          if (el.src) { urls.push(el.src); }
        }
        for (const el of document.querySelectorAll("link[href]")) { urls.push(el.href); }
        for (const el of document.querySelectorAll("[srcset]")) {
          for (const candidate of el.srcset.split(",")) {
            const url = candidate.trim().split(/\\s+/)[0];
            if (url) { urls.push(new URL(url, document.baseURI).href); }
          }
        }
        return urls;
        """
    )
    return [
        address
        for address in addresses
        if urlsplit(address).scheme != "data" and urlsplit(address)[:2] != origin
    ]


def assert_page_is_sound(
    browser: WebDriver, site_url: str, *, expected_status: int | None = None
) -> None:
    """The page has loaded, logged no error, and took nothing from anywhere but the site."""
    wait_for_page(browser)
    errors = console_errors(browser, expected_status=expected_status)
    assert errors == [], f"{browser.current_url}: console errors {errors}"
    foreign = foreign_requests(browser, site_url)
    assert foreign == [], f"{browser.current_url}: requests elsewhere {foreign}"


def open_page(browser: WebDriver, site_url: str, path: str) -> None:
    browser.get(site_url + path)
    assert_page_is_sound(browser, site_url)


def follow(browser: WebDriver, site_url: str, element: WebElement) -> None:
    """Click a link or button and wait until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    wait(browser).until(ec.staleness_of(page))
    assert_page_is_sound(browser, site_url)


def submit_by_enter(browser: WebDriver, site_url: str, field: WebElement, text: str) -> None:
    page = browser.find_element(By.TAG_NAME, "html")
    field.clear()
    field.send_keys(text + "\n")
    wait(browser).until(ec.staleness_of(page))
    assert_page_is_sound(browser, site_url)


# What a page shows.


def product_cards(browser: WebDriver, container: str = ".product-grid") -> list[WebElement]:
    return browser.find_elements(By.CSS_SELECTOR, f"{container} .product-card")


def listed_count(browser: WebDriver) -> int:
    heading = text_of(browser, "#results-title")
    found = PRODUCT_COUNT.match(heading)
    assert found, f"the listing heading {heading!r} is not 'N products'"
    return int(found.group(1))


def header_search_box(browser: WebDriver) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, ".site-header input[name=q]")


# The journey's steps.


def open_home(browser: WebDriver, site_url: str) -> None:
    open_page(browser, site_url, "/")


def department_links(browser: WebDriver) -> list[WebElement]:
    return browser.find_elements(By.CSS_SELECTOR, "nav.site-nav[aria-label=Departments] a")


def open_first_department(browser: WebDriver, site_url: str) -> str:
    """From the home page, the header's first department; returns its name."""
    open_home(browser, site_url)
    link = department_links(browser)[0]
    name = link.text.strip()
    follow(browser, site_url, link)
    return name


@dataclass
class FacetValue:
    label: str
    count: int


def reveal_filters(browser: WebDriver) -> None:
    """The listing's filter drawer, opened if a shopper would have to open it (a phone)."""
    drawer = browser.find_element(By.CSS_SELECTOR, "details.filter-drawer")
    if attribute(drawer, "open"):
        return
    summary = drawer.find_element(By.TAG_NAME, "summary")
    if summary.is_displayed():
        summary.click()
        return
    # A wide screen shows the closed drawer's content as a sidebar (::details-content), but
    # Selenium counts what is inside a closed <details> as hidden: it is opened for Selenium,
    # and the page looks the same (tests/e2e/test_layout.py checks the sidebar is on screen).
    browser.execute_script("arguments[0].open = true", drawer)


def brand_values(browser: WebDriver) -> list[WebElement]:
    reveal_filters(browser)
    return browser.find_elements(
        By.XPATH, "//section[@class='facet'][h3='Brand']//a[contains(@class, 'facet__value')]"
    )


def filter_by_first_brand(browser: WebDriver, site_url: str) -> FacetValue:
    """On a category page, the first value of the Brand facet; returns that value."""
    link = brand_values(browser)[0]
    found = FACET_VALUE.match(link.text.strip())
    assert found, f"the facet value {link.text!r} is not 'Label (count)'"
    follow(browser, site_url, link)
    return FacetValue(found.group("label"), int(found.group("count")))


def sort_button(browser: WebDriver) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, ".sort-form button[type=submit]")


def sort_by(browser: WebDriver, site_url: str, label: str, *, javascript: bool) -> None:
    """Choose a sort: with JavaScript the choice alone reloads the page, without it the shopper
    presses Sort."""
    page = browser.find_element(By.TAG_NAME, "html")
    Select(browser.find_element(By.CSS_SELECTOR, ".sort-form select")).select_by_visible_text(label)
    if not javascript:
        sort_button(browser).click()
    wait(browser).until(ec.staleness_of(page))
    assert_page_is_sound(browser, site_url)


@dataclass
class ChosenProduct:
    name: str
    price: str


def open_first_product_in_stock(
    browser: WebDriver, site_url: str, quantity: int = 1
) -> ChosenProduct:
    """On a listing, the first product card with an option that has `quantity` in stock; the
    product page is left open with that option chosen. Earlier journeys buy stock, so the card's
    "in stock" is checked again on the product page, option by option."""
    listing = browser.current_url
    cards = len(product_cards(browser))
    for index in range(cards):
        card = product_cards(browser)[index]
        if card.find_elements(By.CSS_SELECTOR, ".stock--out"):
            continue
        chosen = ChosenProduct(
            text_of(browser, ".product-card__name", card), text_of(browser, ".price__now", card)
        )
        follow(browser, site_url, card.find_element(By.CSS_SELECTOR, "a"))
        if choose_option_with_stock(browser, quantity):
            return chosen
        browser.get(listing)
        wait_for_page(browser)
    raise AssertionError(f"no product on this page has an option with {quantity} in stock")


def choose_option_with_stock(browser: WebDriver, quantity: int) -> bool:
    """On a product page, pick the first option with at least `quantity` in stock, as a shopper
    does: its colour swatch and size button, or its one button. The form's data-variants lists
    each variant as [id, colour, size, stock]."""
    forms = browser.find_elements(By.CSS_SELECTOR, "form.add-to-basket")
    if not forms:
        return False
    for variant_id, colour, size, stock in json.loads(attribute(forms[0], "data-variants")):
        if stock < quantity:
            continue
        if forms[0].find_elements(By.CSS_SELECTOR, "input[name=colour]"):
            choose(forms[0], "colour", colour)
            choose(forms[0], "size", size)
        elif forms[0].find_elements(By.CSS_SELECTOR, "input[type=radio][name=variant_id]"):
            choose(forms[0], "variant_id", str(variant_id))
        wait(browser).until(lambda _b: "out" not in attribute(stock_line(forms[0]), "class"))
        return True
    return False


def choose(form: WebElement, name: str, value: str) -> None:
    """Click the label of the radio button `name` = `value` (the button itself is hidden)."""
    for radio in form.find_elements(By.CSS_SELECTOR, f"input[type=radio][name={name}]"):
        if attribute(radio, "value") == value:
            label = form.find_element(By.CSS_SELECTOR, f"label[for='{attribute(radio, 'id')}']")
            # Into the middle of the screen: a phone's sticky add-to-basket bar covers its foot.
            label.parent.execute_script("arguments[0].scrollIntoView({block: 'center'})", label)
            label.click()
            assert radio.is_selected(), f"{name}={value} could not be chosen"
            return
    raise AssertionError(f"no {name} button for {value!r}")


def stock_line(form: WebElement) -> WebElement:
    return form.find_element(By.CSS_SELECTOR, "[data-variant-stock]")


def search_for(browser: WebDriver, site_url: str, text: str) -> None:
    """Type into the header's search box and press Enter."""
    submit_by_enter(browser, site_url, header_search_box(browser), text)


# Basket and checkout.


def add_to_basket(
    browser: WebDriver, site_url: str, *, javascript: bool, quantity: int = 1
) -> None:
    """On a product page: add the chosen option, and end on the basket page."""
    form = browser.find_element(By.CSS_SELECTOR, "form.add-to-basket")
    field = form.find_element(By.ID, "quantity")
    field.clear()
    field.send_keys(str(quantity))
    button = form.find_element(By.XPATH, ".//button[normalize-space()='Add to basket']")
    if javascript:
        # Added in place: the badge counts the new items, and the page stays.
        before = int(text_of(browser, "[data-basket-count]"))
        button.click()
        wait(browser).until(lambda b: text_of(b, "[data-basket-count]") == str(before + quantity))
        assert text_of(browser, ".form-status").startswith("Added to your basket")
        open_page(browser, site_url, "/basket")
    else:
        follow(browser, site_url, button)


def fill_form(browser: WebDriver, values: dict[str, str]) -> None:
    """Type into the form fields named by `values` (a <select> gets the option with that value)."""
    for name, value in values.items():
        element = browser.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def continue_checkout(browser: WebDriver, site_url: str, button_text: str) -> None:
    button = browser.find_element(By.XPATH, f"//main//button[normalize-space()='{button_text}']")
    follow(browser, site_url, button)


def check_out(
    browser: WebDriver, site_url: str, address: dict[str, str], card: dict[str, str]
) -> str:
    """From the basket page to the order's page, through every step; the order number."""
    follow(browser, site_url, browser.find_element(By.LINK_TEXT, "Check out"))
    assert urlsplit(browser.current_url).path == "/checkout/address"
    fill_form(browser, address)
    continue_checkout(browser, site_url, "Continue to delivery")
    assert urlsplit(browser.current_url).path == "/checkout/shipping"
    browser.find_element(By.CSS_SELECTOR, "input[name=shipping_method][value=express]").click()
    continue_checkout(browser, site_url, "Continue to payment")
    assert urlsplit(browser.current_url).path == "/checkout/payment"
    fill_form(browser, card)
    continue_checkout(browser, site_url, "Continue to review")
    assert urlsplit(browser.current_url).path == "/checkout/review"
    continue_checkout(browser, site_url, "Place order and pay")
    assert urlsplit(browser.current_url).path.startswith("/orders/")
    assert text_of(browser, "h1") == "Thank you for your order"
    return text_of(browser, ".order-confirmation strong")


def at_own_address(browser: WebDriver) -> None:
    """From now on the browser sends an address of its own as X-Real-IP (the e2e site trusts
    loopback as its proxy), so the registration and log-in limits, counted per address, are
    not used up by the session's other journeys."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.setExtraHTTPHeaders", {"headers": {"X-Real-IP": own_address()}}
    )
