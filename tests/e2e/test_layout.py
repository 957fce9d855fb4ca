"""Every page family, on a phone (390 x 844) and a laptop (1366 x 900), walked as a shopper does:
each page's first screen and whole length are saved as PNG test artefacts under
var/screenshots/<width>/, and what a shopper would notice is checked on each: nothing scrolls
sideways, the header stays on screen, the footer reaches the bottom of a short page and lines
up with the content; on the phone a category's first product and the product page's "Add to
basket" are on the first screen, and the filters open from a drawer, without JavaScript too.

The layout does not depend on the database, so these run on SQLite only."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.e2e import journey
from tests.e2e.journey import attribute, text_of
from tests.functional.pages import confirmation_path, wait_for_registration_mail
from tests.processes import Process
from vitrine.config import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1366, 900)}
# A full-page screenshot stops here: a long listing is still one picture of sensible size.
LONGEST_SCREENSHOT = 8000
ADDRESS = {
    "email": "layout@example.com",
    "name": "Ada Lovelace-Byron of Ockham",
    "line1": "12 Merrion Square",
    "city": "Dublin",
    "postcode": "D02 X285",
    "country": "IE",
}
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "holder": "A L"}
PASSWORD = "a long enough password"

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


class Screens:
    """The pages of one walk at one width: each checked, and photographed in order."""

    def __init__(self, browser: WebDriver, site_url: str, width: str) -> None:
        self.browser = browser
        self.site_url = site_url
        self.width = width
        self.folder = SCREENSHOTS / width
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.taken: list[str] = []

    @property
    def phone(self) -> bool:
        return self.width == "phone"

    def script(self, source: str, *args: object) -> object:
        return self.browser.execute_script(source, *args)

    def check(self, name: str, expected_status: int | None = None) -> None:
        """The checks every page passes, then its screenshots."""
        journey.assert_page_is_sound(self.browser, self.site_url, expected_status=expected_status)
        self.script("window.scrollTo(0, 0)")
        page_width, viewport, height = self.script(
            "return [document.documentElement.scrollWidth, window.innerWidth, window.innerHeight]"
        )
        assert [viewport, height] == list(WIDTHS[self.width])
        assert page_width <= viewport, (
            f"{name}: the page scrolls sideways ({page_width} > {viewport})"
        )
        assert (
            self.script("return getComputedStyle(document.querySelector('.site-header')).position")
            == "sticky"
        )
        # The footer reaches the bottom of the window, however short the page.
        footer_bottom = self.script(
            "return document.querySelector('.site-footer').getBoundingClientRect().bottom"
        )
        assert footer_bottom >= self.script("return window.innerHeight") - 1, (
            f"{name}: footer floats"
        )
        if not self.phone:
            self.assert_footer_lines_up_with_the_content(name)
        self.photograph(name)
        self.assert_header_stays(name)

    def assert_footer_lines_up_with_the_content(self, name: str) -> None:
        main_left, footer_left = self.script(
            """
            function contentLeft(element) {
              var style = getComputedStyle(element);
              return element.getBoundingClientRect().left + parseFloat(style.paddingLeft);
            }
            return [contentLeft(document.querySelector('main')),
                    contentLeft(document.querySelector('.site-footer__columns'))];
            """
        )
        assert abs(main_left - footer_left) <= 1, (
            f"{name}: footer at {footer_left}, content at {main_left}"
        )

    def assert_header_stays(self, name: str) -> None:
        """Scrolled down, the header is still at the top of the window."""
        if self.script("return document.documentElement.scrollHeight - window.innerHeight") < 300:
            return
        self.script("window.scrollTo(0, 300)")
        top = self.script(
            "return document.querySelector('.site-header').getBoundingClientRect().top"
        )
        self.script("window.scrollTo(0, 0)")
        assert top == 0, f"{name}: the header scrolled away"

    def photograph(self, name: str) -> None:
        """The first screen, then the whole page, its lazy pictures loaded."""
        index = len(self.taken)
        self.taken.append(name)
        self.browser.save_screenshot(str(self.folder / f"{index:02d}-{name}-screen.png"))
        self.script(
            "document.querySelectorAll('img[loading=lazy]')"
            ".forEach(function (image) { image.loading = 'eager'; })"
        )
        journey.wait(self.browser).until(
            lambda b: b.execute_script(
                "return Array.from(document.images).every(function (i) { return i.complete; })"
            )
        )
        # A window as tall as the page, so that sticky bars sit where the page puts them.
        height = min(
            int(self.script("return document.documentElement.scrollHeight")), LONGEST_SCREENSHOT
        )
        emulate(self.browser, self.width, height)
        try:
            shot = self.browser.execute_cdp_cmd("Page.captureScreenshot", {})
        finally:
            emulate(self.browser, self.width)
        (self.folder / f"{index:02d}-{name}-full.png").write_bytes(base64.b64decode(shot["data"]))

    def on_first_screen(self, element: WebElement) -> bool:
        bottom, height = self.script(
            "return [arguments[0].getBoundingClientRect().bottom, window.innerHeight]", element
        )
        assert bottom <= height, (
            f"{attribute(element, 'class')} ends at {bottom}, the screen at {height}"
        )
        return True


@pytest.fixture(params=list(WIDTHS))
def screens(request: pytest.FixtureRequest, browser: WebDriver, site: Process) -> Iterator[Screens]:
    yield Screens(emulate(browser, request.param), site.url, request.param)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def emulate(browser: WebDriver, width_name: str, height: int = 0) -> WebDriver:
    """A viewport of exactly that size (a window's size includes the browser's own bars); of
    `height` when given."""
    width, screen_height = WIDTHS[width_name]
    height = height or screen_height
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width_name == "phone"},
    )
    return browser


def open_filters(screens: Screens) -> WebElement:
    """The filter drawer, opened as a shopper does on a phone; on a laptop it is a sidebar."""
    drawer = screens.browser.find_element(By.CSS_SELECTOR, "details.filter-drawer")
    if screens.phone and not drawer.get_attribute("open"):
        drawer.find_element(By.TAG_NAME, "summary").click()
    assert drawer.get_attribute("open")
    return drawer


@pytest.mark.parametrize("javascript", [True])
def test_every_page_family_at_phone_and_laptop_width(
    screens: Screens, browser: WebDriver, site: Process, outbox: Path
) -> None:
    url = site.url
    journey.open_home(browser, url)
    assert browser.find_element(By.CSS_SELECTOR, ".hero .button").text == "Shop now"
    landing = browser.find_element(By.CSS_SELECTOR, "main a[href^='/l/']")
    screens.check("home")

    journey.follow(browser, url, landing)
    screens.check("landing")

    journey.open_first_department(browser, url)
    first_card = journey.product_cards(browser)[0]
    if screens.phone:
        assert screens.on_first_screen(first_card), "a category's first product is below the fold"
    screens.check("category")

    open_filters(screens)
    if screens.phone:
        screens.photograph("filter-drawer")
    journey.filter_by_first_brand(browser, url)
    assert browser.find_elements(By.CSS_SELECTOR, ".active-filters a")
    screens.check("category-filtered")

    product = journey.open_first_product_in_stock(browser, url)
    button = browser.find_element(
        By.XPATH, "//form[@class='add-to-basket']//button[normalize-space()='Add to basket']"
    )
    screens.script("window.scrollTo(0, 0)")
    assert screens.on_first_screen(button), "'Add to basket' is below the first screen"
    screens.check("product")

    product_path = urlsplit(browser.current_url).path
    word = journey.SEARCH_WORD.search(product.name)
    assert word
    journey.search_for(browser, url, word.group(0))
    screens.check("search")

    journey.open_page(browser, url, product_path)
    assert journey.choose_option_with_stock(browser, 1)
    journey.add_to_basket(browser, url, javascript=True)
    screens.check("basket")

    journey.follow(browser, url, browser.find_element(By.LINK_TEXT, "Check out"))
    screens.check("checkout-address")
    journey.fill_form(browser, ADDRESS)
    journey.continue_checkout(browser, url, "Continue to delivery")
    steps = browser.find_elements(By.CSS_SELECTOR, ".checkout-steps__step")
    for step in steps:
        assert screens.script("return getComputedStyle(arguments[0]).whiteSpace", step) == "nowrap"
        assert screens.script("return arguments[0].scrollWidth <= arguments[0].clientWidth", step)
    screens.check("checkout-delivery")
    journey.continue_checkout(browser, url, "Continue to payment")
    screens.check("checkout-payment")
    journey.fill_form(browser, CARD)
    journey.continue_checkout(browser, url, "Continue to review")
    items = browser.find_element(By.CSS_SELECTOR, ".checkout-summary__lines")
    place = browser.find_element(By.XPATH, "//button[normalize-space()='Place order and pay']")
    # Read before the button, by eye on a phone and by a screen reader everywhere.
    assert screens.script(
        "return arguments[0].compareDocumentPosition(arguments[1]) & 4", items, place
    )
    if screens.phone:
        assert items.location["y"] < place.location["y"], "the items come after 'Place order'"
    screens.check("checkout-review")
    journey.follow(browser, url, place)
    assert urlsplit(browser.current_url).path.startswith("/orders/")
    screens.check("confirmation")

    address = f"a-rather-long-address-{secrets.token_hex(6)}@layout-example.com"
    journey.open_page(browser, url, "/account/register")
    journey.fill_form(browser, {"name": "Ada", "email": address, "password": PASSWORD})
    journey.continue_checkout(browser, url, "Create account")
    journey.open_page(browser, url, confirmation_path(wait_for_registration_mail(outbox, address)))
    journey.continue_checkout(browser, url, "Make my account")
    journey.open_page(browser, url, "/account")
    email = browser.find_element(By.XPATH, f"//dd[normalize-space()='{address}']")
    assert screens.script("return arguments[0].scrollWidth <= arguments[0].clientWidth", email)
    right = screens.script("return arguments[0].getBoundingClientRect().right", email)
    assert right <= screens.script("return window.innerWidth"), "the email is clipped"
    screens.check("account")

    browser.get(f"{url}/no-such-page")
    assert text_of(browser, "main h1") == "Page not found"
    screens.check("not-found", expected_status=404)


@pytest.mark.parametrize("javascript", [False])
def test_without_javascript_the_filters_are_a_drawer_on_a_phone_and_a_sidebar_on_a_laptop(
    browser: WebDriver, site: Process
) -> None:
    emulate(browser, "phone")
    journey.open_first_department(browser, site.url)
    drawer = browser.find_element(By.CSS_SELECTOR, "details.filter-drawer")
    values = browser.find_elements(By.CSS_SELECTOR, ".facet .facet__value")
    assert not drawer.get_attribute("open")
    assert not values[0].is_displayed()
    drawer.find_element(By.TAG_NAME, "summary").click()
    assert drawer.get_attribute("open")
    assert values[0].is_displayed()
    journey.filter_by_first_brand(browser, site.url)
    assert "brand=" in browser.current_url
    # On a laptop the same closed drawer is a sidebar, its filters on screen without a click.
    emulate(browser, "desktop")
    journey.open_first_department(browser, site.url)
    drawer = browser.find_element(By.CSS_SELECTOR, "details.filter-drawer")
    assert not drawer.get_attribute("open")
    box = browser.execute_script(
        "var r = document.querySelector('.facet__value').getBoundingClientRect();"
        "return [r.left, r.top, r.width, r.height, window.innerHeight];"
    )
    left, top, width, height, screen_height = box
    assert width > 0, box
    assert height > 0, box
    assert left >= 0, box
    assert top < screen_height, box
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
