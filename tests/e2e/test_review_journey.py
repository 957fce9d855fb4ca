"""Writing a review in Chromium, with JavaScript on and off: a shopper makes an account, buys a
product, writes a review of it from the product page, sees it published there, escaped, marked
"Verified buyer", and is told they cannot mark their own review as helpful (in place with
JavaScript, on a page of its own without)."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e import journey
from tests.e2e.journey import text_of, wait
from tests.functional.pages import confirmation_path, wait_for_registration_mail
from tests.processes import Process

ADDRESS = {
    "email": "rosalind@example.com",
    "name": "Rosalind Franklin",
    "line1": "12 Merrion Square",
    "city": "Dublin",
    "postcode": "D02 X285",
    "country": "IE",
}
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "holder": "R F"}
PASSWORD = "a long enough password"
TITLE = "<b>Bold</b> claim: it fits"
TEXT = "Ordered my usual size and it fits well. The colour is as pictured & it washes well."


def test_a_shopper_who_bought_a_product_writes_a_review_of_it(
    browser: WebDriver, site: Process, outbox: Path, javascript: bool
) -> None:
    account_email = f"reviewer-{secrets.token_hex(4)}@example.com"
    journey.at_own_address(browser)
    journey.open_page(browser, site.url, "/account/register")
    journey.fill_form(
        browser, {"name": "Rosalind Franklin", "email": account_email, "password": PASSWORD}
    )
    journey.continue_checkout(browser, site.url, "Create account")
    journey.open_page(
        browser, site.url, confirmation_path(wait_for_registration_mail(outbox, account_email))
    )
    journey.continue_checkout(browser, site.url, "Make my account")

    # Before buying, the product page says who may review.
    journey.open_first_department(browser, site.url)
    journey.open_first_product_in_stock(browser, site.url)
    product_path = urlsplit(browser.current_url).path
    assert "ordered this product" in text_of(browser, ".reviews__mine")
    journey.add_to_basket(browser, site.url, javascript=javascript)
    journey.check_out(browser, site.url, {**ADDRESS, "email": account_email}, CARD)

    # Bought: a link to write one.
    journey.open_page(browser, site.url, product_path)
    journey.follow(browser, site.url, browser.find_element(By.LINK_TEXT, "Write a review"))
    assert urlsplit(browser.current_url).path.startswith("/account/reviews/")
    counters = browser.find_elements(By.XPATH, "//*[contains(text(), 'characters left')]")
    assert bool(counters) == javascript  # the enhancement, only with JavaScript
    browser.find_element(By.CSS_SELECTOR, "input[name=rating][value='4']").click()
    journey.fill_form(browser, {"title": TITLE, "text": TEXT})
    if javascript:
        assert text_of(browser, ".review-form .field__hint + textarea + .field__hint") == (
            f"{5000 - len(TEXT)} characters left"
        )
    journey.continue_checkout(browser, site.url, "Publish your review")
    assert "your review is published" in text_of(browser, ".review-status")

    # On the product page: the text as typed (escaped, never markup), the badge, the figures.
    journey.follow(browser, site.url, browser.find_element(By.PARTIAL_LINK_TEXT, "Back to"))
    assert urlsplit(browser.current_url).path == product_path
    mine = next(
        review
        for review in browser.find_elements(By.CSS_SELECTOR, ".review")
        if text_of(browser, ".review__title", review) == TITLE
    )
    assert not mine.find_elements(By.TAG_NAME, "b")
    assert "Verified buyer" in text_of(browser, ".review__byline", mine)
    assert "Rosalind F." in text_of(browser, ".review__byline", mine)
    assert "You reviewed this product" in text_of(browser, ".reviews__mine")

    # One's own review cannot be marked helpful.
    button = mine.find_element(By.CSS_SELECTOR, ".review__helpful button")
    if javascript:
        button.click()
        wait(browser).until(
            lambda b: "your own review" in text_of(b, ".review__helpful-count", mine)
        )
        assert urlsplit(browser.current_url).path == product_path  # no page change
    else:
        page = browser.find_element(By.TAG_NAME, "html")
        button.click()
        wait(browser).until(ec.staleness_of(page))
        journey.assert_page_is_sound(browser, site.url, expected_status=409)
        assert "your own review" in text_of(browser, "main")
