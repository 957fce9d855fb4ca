"""Checking out in Chromium, with JavaScript on and off: a guest from the product page to the
order's page, and a shopper whose guest basket joins their account's at log-in; the
confirmation email lands in the outbox (no SMTP server is configured for the site)."""

from __future__ import annotations

import email
import email.policy
import secrets
import time
from pathlib import Path

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from tests.e2e import journey
from tests.e2e.journey import euros, text_of
from tests.functional.pages import confirmation_path, wait_for_registration_mail
from tests.processes import Process

ADDRESS = {
    "email": "grace@example.com",
    "name": "Grace Hopper",
    "line1": "12 Merrion Square",
    "city": "Dublin",
    "postcode": "D02 X285",
    "country": "IE",
}
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "holder": "G H"}
PASSWORD = "a long enough password"


def confirmation_email(outbox: Path, number: str) -> email.message.EmailMessage:
    path = outbox / f"{number}-confirmation.eml"
    deadline = time.monotonic() + journey.WAIT_SECONDS
    while not path.exists():
        assert time.monotonic() < deadline, f"no confirmation email for {number} in {outbox}"
        time.sleep(0.05)
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def basket_lines(browser: WebDriver) -> dict[str, int]:
    return {
        text_of(browser, ".basket-line__name", line): int(
            line.find_element(By.CSS_SELECTOR, "input[name=quantity]").get_attribute("value")
        )
        for line in browser.find_elements(By.CSS_SELECTOR, ".basket-line")
    }


def test_a_guest_checks_out_and_gets_the_confirmation_email(
    browser: WebDriver, site: Process, outbox: Path, javascript: bool
) -> None:
    journey.open_first_department(browser, site.url)
    product = journey.open_first_product_in_stock(browser, site.url, quantity=2)
    journey.add_to_basket(browser, site.url, javascript=javascript, quantity=2)
    assert basket_lines(browser) == {product.name: 2}
    total = euros(text_of(browser, ".basket__totals strong"))
    number = journey.check_out(browser, site.url, ADDRESS, CARD)
    # The order's page: what was bought, the express delivery chosen, and the basket is empty.
    assert product.name in text_of(browser, ".order-lines")
    assert "Express delivery" in text_of(browser, ".order-lines tfoot")
    assert text_of(browser, "[data-basket-count]") == "0"
    message = confirmation_email(outbox, number)
    assert message["To"] == ADDRESS["email"]
    body = message.get_body(("plain",)).get_content()
    assert product.name in body
    assert browser.current_url.removeprefix(site.url) in body
    # Express costs 9.95 whatever the subtotal; the basket showed standard delivery.
    paid = euros(text_of(browser, ".order-lines tfoot tr:last-child"))
    assert paid >= total


def test_a_guest_basket_joins_the_account_at_log_in_and_checks_out(
    browser: WebDriver, site: Process, outbox: Path, javascript: bool
) -> None:
    account_email = f"shopper-{secrets.token_hex(4)}@example.com"
    # An account with one line in its basket...
    journey.open_page(browser, site.url, "/account/register")
    journey.fill_form(browser, {"name": "Ada", "email": account_email, "password": PASSWORD})
    journey.continue_checkout(browser, site.url, "Create account")
    assert "Check your email" in text_of(browser, "main h1")
    # The account is made by the emailed link's button.
    link = confirmation_path(wait_for_registration_mail(outbox, account_email))
    journey.open_page(browser, site.url, link)
    journey.continue_checkout(browser, site.url, "Make my account")
    journey.open_first_department(browser, site.url)
    first = journey.open_first_product_in_stock(browser, site.url)
    journey.add_to_basket(browser, site.url, javascript=javascript)
    journey.open_page(browser, site.url, "/account")
    journey.follow(
        browser,
        site.url,
        browser.find_element(By.CSS_SELECTOR, "form[action='/account/logout'] button"),
    )
    # ...then, logged out, a guest basket with another product...
    journey.open_page(browser, site.url, "/")
    departments = journey.department_links(browser)
    journey.follow(browser, site.url, departments[-1])
    second = journey.open_first_product_in_stock(browser, site.url)
    journey.add_to_basket(browser, site.url, javascript=javascript)
    assert basket_lines(browser) == {second.name: 1}
    # ...which logging in merges into the account's.
    journey.open_page(browser, site.url, "/account/login?next=/basket")
    journey.fill_form(browser, {"email": account_email, "password": PASSWORD})
    journey.continue_checkout(browser, site.url, "Log in")
    assert basket_lines(browser) == {first.name: 1, second.name: 1}
    follow_checkout = browser.find_element(By.LINK_TEXT, "Check out")
    journey.follow(browser, site.url, follow_checkout)
    # The account's email is offered.
    assert browser.find_element(By.NAME, "email").get_attribute("value") == account_email
    browser.get(site.url + "/basket")
    number = journey.check_out(browser, site.url, {**ADDRESS, "email": account_email}, CARD)
    assert confirmation_email(outbox, number)["To"] == account_email
    journey.open_page(browser, site.url, "/account/orders")
    assert number in text_of(browser, ".order-history")
