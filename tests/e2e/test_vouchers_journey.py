"""A voucher code in Chromium, with JavaScript on and off: refused in words beside the field,
applied as its own line of the basket's totals, and removed. With JavaScript the basket changes
in place (the page is not reloaded); without it the form posts and the basket page comes back."""

from __future__ import annotations

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e import journey
from tests.e2e.journey import euros, text_of, wait
from tests.processes import Process


def submit_code(browser: WebDriver, site_url: str, code: str, *, javascript: bool, status=None):
    """Type `code` into the voucher form and press Apply."""
    field = browser.find_element(By.ID, "voucher-code")
    field.clear()
    field.send_keys(code)
    press(browser, site_url, "form.voucher-form button", javascript=javascript, status=status)


def press(browser: WebDriver, site_url: str, css: str, *, javascript: bool, status=None) -> None:
    page = browser.find_element(By.TAG_NAME, "html")
    before = browser.find_element(By.CSS_SELECTOR, ".basket")
    browser.find_element(By.CSS_SELECTOR, css).click()
    if javascript:
        # In place: the page stays; a change replaces the basket's block, a refusal does not.
        wait(browser).until(
            lambda b: (
                ec.staleness_of(before)(b)
                or b.find_element(By.ID, "voucher-code-error").is_displayed()
            )
        )
        assert not ec.staleness_of(page)(browser), "the page was reloaded"
        journey.assert_page_is_sound(browser, site_url)
    else:
        wait(browser).until(ec.staleness_of(page))
        journey.assert_page_is_sound(browser, site_url, expected_status=status)


def totals(browser: WebDriver) -> dict[str, str]:
    block = browser.find_element(By.CSS_SELECTOR, ".basket__totals")
    labels = [dt.text.strip() for dt in block.find_elements(By.TAG_NAME, "dt")]
    values = [dd.text.strip() for dd in block.find_elements(By.TAG_NAME, "dd")]
    return dict(zip(labels, values, strict=True))


def test_a_shopper_applies_a_voucher_code_and_removes_it(
    browser: WebDriver, site: Process, javascript: bool
) -> None:
    journey.open_first_department(browser, site.url)
    journey.open_first_product_in_stock(browser, site.url)
    journey.add_to_basket(browser, site.url, javascript=javascript)
    before = totals(browser)

    submit_code(browser, site.url, "spring15", javascript=javascript, status=400)
    error = browser.find_element(By.ID, "voucher-code-error")
    assert error.text == "This code expired on 1 March 2026."
    field = browser.find_element(By.ID, "voucher-code")
    assert field.get_attribute("aria-invalid") == "true"
    assert totals(browser) == before

    submit_code(browser, site.url, "WELCOME10", javascript=javascript)
    after = totals(browser)
    label = "10 % off your first order (code WELCOME10)"
    assert label in after, after
    subtotal = euros(after["Subtotal"])
    discount = euros(after[label])
    assert discount == (subtotal * 10 / 100).quantize(discount)
    assert euros(after["Total"]) == euros(before["Total"]) - discount
    assert text_of(browser, ".voucher__code") == "WELCOME10"

    press(browser, site.url, "form.voucher-remove button", javascript=javascript)
    assert totals(browser) == before
    assert not browser.find_elements(By.CSS_SELECTOR, ".voucher__code")
