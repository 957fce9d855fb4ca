"""A shopper's visit in Chromium, with JavaScript on and off: home, a department, a brand filter,
sorting by price, a product, search, and the pages for no results and a wrong address.

Each test replays the journey up to its step by clicking (see journey.py), so a step's test
also shows that the previous steps' links lead there.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e import journey
from tests.e2e.journey import attribute, euros, link_path, text_of
from tests.processes import Process

PHONE_WIDTH = 360
PHONE_HEIGHT = 780
NONSENSE = "qqqzzzxx"
SUGGESTION_TEXTS = """
return [...document.querySelectorAll(".site-header .suggestions [role=option]")]
  .map((option) => option.textContent)"""


def test_the_search_box_is_enhanced_only_with_javascript(
    browser: WebDriver, site: Process, javascript: bool
) -> None:
    journey.open_home(browser, site.url)
    box = journey.header_search_box(browser)
    # site.js turns the box into a combobox: proof of which mode the browser is really in.
    assert (attribute(box, "role") == "combobox") is javascript


def test_home_page_shows_banners_product_rails_and_departments(
    browser: WebDriver, site: Process
) -> None:
    journey.open_home(browser, site.url)
    assert "Vitrine" in browser.title
    titles = [h.text.strip() for h in browser.find_elements(By.CSS_SELECTOR, "main .block h2")]
    assert titles
    assert all(titles)
    banners = browser.find_elements(By.CSS_SELECTOR, ".banner img")
    assert banners
    assert all(attribute(banner, "alt").strip() for banner in banners)
    rail_cards = journey.product_cards(browser, ".rail")
    assert rail_cards
    for card in rail_cards[:3]:
        assert text_of(browser, ".product-card__name", card)
        assert euros(text_of(browser, ".price__now", card)) > 0
    departments = journey.department_links(browser)
    assert len(departments) >= 2
    for link in departments:
        assert link.text.strip()
        assert link_path(link).startswith("/c/")


def test_a_department_link_opens_its_category_with_products(
    browser: WebDriver, site: Process
) -> None:
    name = journey.open_first_department(browser, site.url)
    assert text_of(browser, "main h1") == name
    assert f"{name} | Vitrine" in browser.title
    assert journey.listed_count(browser) > 0
    cards = journey.product_cards(browser)
    assert 0 < len(cards) <= journey.listed_count(browser)
    assert journey.brand_values(browser)


def test_choosing_a_brand_shows_only_that_brand(browser: WebDriver, site: Process) -> None:
    journey.open_first_department(browser, site.url)
    department_count = journey.listed_count(browser)
    brand = journey.filter_by_first_brand(browser, site.url)

    assert journey.query_of(browser)["brand"] == [brand.label]
    journey.reveal_filters(browser)
    selected = browser.find_elements(By.CSS_SELECTOR, ".facet a[aria-current=true]")
    # What a screen reader announces, the hidden part included.
    assert [" ".join(attribute(link, "textContent").split()) for link in selected] == [
        f"{brand.label} ({brand.count}), selected: remove"
    ]
    assert browser.find_element(By.LINK_TEXT, f"Remove Brand: {brand.label}").is_displayed()
    assert journey.listed_count(browser) == brand.count < department_count
    cards = journey.product_cards(browser)
    assert cards
    assert {text_of(browser, ".product-card__brand", card) for card in cards} == {brand.label}


def on_sale(card: WebElement) -> bool:
    return bool(card.find_elements(By.CSS_SELECTOR, ".price__sale-name"))


def test_sorting_by_price_keeps_the_brand_and_orders_the_prices(
    browser: WebDriver, site: Process, javascript: bool
) -> None:
    journey.open_first_department(browser, site.url)
    brand = journey.filter_by_first_brand(browser, site.url)
    # With JavaScript the choice alone sorts, and the button would only be noise.
    assert journey.sort_button(browser).is_displayed() is not javascript
    journey.sort_by(browser, site.url, journey.PRICE_LOW_TO_HIGH, javascript=javascript)

    query = journey.query_of(browser)
    assert query["sort"] == ["price-asc"]
    assert query["brand"] == [brand.label]
    assert journey.listed_count(browser) == brand.count
    chosen = browser.find_element(By.CSS_SELECTOR, ".sort-form option:checked")
    assert chosen.text == journey.PRICE_LOW_TO_HIGH
    cards = journey.product_cards(browser)
    assert {text_of(browser, ".product-card__brand", card) for card in cards} == {brand.label}
    # By the regular price (docs/checkout.md): a product on sale, its sale named on the card,
    # sorts where its struck-through regular price puts it.
    prices = [
        euros(text_of(browser, ".price__was" if on_sale(card) else ".price__now", card))
        for card in cards
    ]
    assert len(prices) > 1
    assert prices == sorted(prices)


def test_a_product_page_offers_its_options_and_add_to_basket(
    browser: WebDriver, site: Process, javascript: bool
) -> None:
    journey.open_first_department(browser, site.url)
    journey.filter_by_first_brand(browser, site.url)
    journey.sort_by(browser, site.url, journey.PRICE_LOW_TO_HIGH, javascript=javascript)
    product = journey.open_first_product_in_stock(browser, site.url)

    assert text_of(browser, "main h1") == product.name
    assert browser.title.startswith(product.name)
    crumbs = browser.find_element(By.CSS_SELECTOR, "nav.breadcrumbs[aria-label=Breadcrumb]")
    assert text_of(browser, "[aria-current=page]", crumbs) == product.name
    assert text_of(browser, ".product__summary .price__now") == product.price
    # Options are radio buttons: one group of variants, or a colour group and a size group.
    options = browser.find_elements(By.CSS_SELECTOR, "form.add-to-basket input[type=radio]")
    groups = {attribute(option, "name") for option in options}
    assert groups in ({"variant_id"}, {"colour", "size"}, set())
    for option in options:
        label = browser.find_element(By.CSS_SELECTOR, f"label[for='{attribute(option, 'id')}']")
        assert attribute(label, "textContent").strip()  # a swatch's name is for screen readers
    for group in groups:
        assert [o for o in options if attribute(o, "name") == group and o.is_selected()]
    form = browser.find_element(By.CSS_SELECTOR, "form.add-to-basket")
    assert attribute(form, "method") == "post"
    assert link_path(form, "action") == "/basket/lines"
    button = form.find_element(By.XPATH, ".//button[normalize-space()='Add to basket']")
    assert button.is_displayed()
    assert button.is_enabled()
    images = browser.find_elements(By.CSS_SELECTOR, "main img")
    assert browser.find_elements(By.CSS_SELECTOR, ".product__gallery img")
    assert all(attribute(image, "alt").strip() for image in images)


def test_searching_a_word_of_a_product_name_finds_products(
    browser: WebDriver, site: Process
) -> None:
    journey.open_first_department(browser, site.url)
    product = journey.open_first_product_in_stock(browser, site.url)
    word = max(journey.SEARCH_WORD.findall(product.name), key=len).lower()

    journey.search_for(browser, site.url, word)

    assert journey.query_of(browser)["q"] == [word]
    assert text_of(browser, "main h1") == f"Results for “{word}”"
    assert attribute(journey.header_search_box(browser), "value") == word
    cards = journey.product_cards(browser)
    assert cards
    assert text_of(browser, ".product-card__name", cards[0])


@pytest.mark.parametrize("javascript", [True], ids=["js-on"])
def test_search_suggestions_follow_the_arrow_keys(browser: WebDriver, site: Process) -> None:
    journey.open_first_department(browser, site.url)
    name = text_of(browser, ".product-grid .product-card__name")
    prefix = max(journey.SEARCH_WORD.findall(name), key=len)[:4].lower()
    box = journey.header_search_box(browser)

    box.send_keys(prefix)
    # Waits for the whole prefix's suggestions: a slow typist may first see those for "e", "es"...
    journey.wait(browser).until(
        lambda b: (
            (texts := b.execute_script(SUGGESTION_TEXTS))
            and all(prefix in text.lower() for text in texts)
        )
    )
    suggestions = browser.find_element(By.CSS_SELECTOR, ".site-header .suggestions")
    assert suggestions.is_displayed()
    assert attribute(suggestions, "role") == "listbox"
    assert attribute(box, "aria-expanded") == "true"
    options = suggestions.find_elements(By.CSS_SELECTOR, "[role=option]")
    first = site.url + attribute(options[0], "data-url")

    box.send_keys(Keys.ARROW_DOWN)
    assert attribute(options[0], "aria-selected") == "true"
    assert attribute(box, "aria-activedescendant") == attribute(options[0], "id")
    box.send_keys(Keys.ENTER)
    journey.wait(browser).until(ec.url_to_be(first))
    journey.assert_page_is_sound(browser, site.url)
    assert text_of(browser, "main h1")


def test_a_search_without_results_offers_the_departments(browser: WebDriver, site: Process) -> None:
    journey.open_home(browser, site.url)
    departments = [link.text.strip() for link in journey.department_links(browser)]

    journey.search_for(browser, site.url, NONSENSE)

    assert text_of(browser, "main h1") == f"No results for “{NONSENSE}”"
    assert not journey.product_cards(browser)
    offered = browser.find_elements(By.CSS_SELECTOR, "main .department-links a")
    assert [link.text.strip() for link in offered] == departments
    assert all(link_path(link).startswith("/c/") for link in offered)


def test_a_wrong_address_shows_page_not_found_with_a_search_box(
    browser: WebDriver, site: Process
) -> None:
    browser.get(f"{site.url}/no-such-page")
    journey.assert_page_is_sound(browser, site.url, expected_status=404)

    assert text_of(browser, "main h1") == "Page not found"
    assert "Page not found" in browser.title
    box = browser.find_element(By.CSS_SELECTOR, "main form[role=search] input[name=q]")
    assert box.is_displayed()
    assert browser.find_element(By.LINK_TEXT, "Go to the home page").is_displayed()


@pytest.mark.parametrize("page", ["home", "category", "product"])
def test_pages_fit_a_phone_screen(browser: WebDriver, site: Process, page: str) -> None:
    browser.set_window_size(PHONE_WIDTH, PHONE_HEIGHT)
    if page == "home":
        journey.open_home(browser, site.url)
    else:
        journey.open_first_department(browser, site.url)
        if page == "product":
            journey.open_first_product_in_stock(browser, site.url)

    viewport = browser.execute_script("return window.innerWidth")
    assert viewport == PHONE_WIDTH
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= viewport, "the page scrolls sideways on a phone"
    box = journey.header_search_box(browser)
    assert box.is_displayed()
    assert box.rect["x"] + box.rect["width"] <= viewport


def test_adding_to_the_basket_updates_the_badge_or_opens_the_basket(
    browser: WebDriver, site: Process, javascript: bool
) -> None:
    journey.open_first_department(browser, site.url)
    product = journey.open_first_product_in_stock(browser, site.url)
    assert text_of(browser, "[data-basket-count]") == "0"
    form = browser.find_element(By.CSS_SELECTOR, "form.add-to-basket")
    quantity = form.find_element(By.ID, "quantity")
    quantity.clear()
    quantity.send_keys("2")
    button = form.find_element(By.XPATH, ".//button[normalize-space()='Add to basket']")
    if javascript:
        # Added in place: the page stays, the badge and a status line say what happened.
        page_url = browser.current_url
        button.click()
        journey.wait(browser).until(lambda b: text_of(b, "[data-basket-count]") == "2")
        assert text_of(browser, ".form-status").startswith("Added to your basket (2 items, €")
        assert browser.current_url == page_url
        browser.get(site.url + "/basket")
    else:
        journey.follow(browser, site.url, button)
        assert link_path(browser.find_element(By.CSS_SELECTOR, "link[rel=canonical]")) == "/basket"
    assert text_of(browser, ".basket-line__name") == product.name
    assert (
        attribute(
            browser.find_element(By.CSS_SELECTOR, ".basket-line input[name=quantity]"), "value"
        )
        == "2"
    )
    assert text_of(browser, "[data-basket-count]") == "2"
    assert euros(text_of(browser, ".basket__totals strong")) >= euros(product.price) * 2
