"""The product page's colour swatches and size buttons, as keyboard and screen-reader users meet
them: real radio buttons in named groups, reached with Tab, changed with the arrow keys, each
with a name (a swatch's colour is spoken, not only shown), sold-out options disabled and said so;
and with JavaScript, the sizes sold out in the chosen colour are disabled too."""

from __future__ import annotations

import json
import re

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.e2e import journey
from tests.e2e.journey import attribute
from tests.processes import Process

# Tab presses from the breadcrumb to the first option: the gallery has no stops of its own.
MAX_TABS = 10


def open_split_product(browser: WebDriver, site_url: str) -> list[list]:
    """The first product of the first department sold in sizes and colours, opened; its
    variants as [id, colour, size, stock]."""
    journey.open_first_department(browser, site_url)
    paths = dict.fromkeys(
        journey.link_path(link)
        for link in browser.find_elements(By.CSS_SELECTOR, ".product-card a")
    )
    for path in paths:
        journey.open_page(browser, site_url, path)
        form = browser.find_element(By.CSS_SELECTOR, "form.add-to-basket")
        if form.find_elements(By.CSS_SELECTOR, "input[name=colour]") and form.find_elements(
            By.CSS_SELECTOR, "input[name=size]"
        ):
            return json.loads(attribute(form, "data-variants"))
    raise AssertionError("no product in sizes and colours in the first department")


def radios(browser: WebDriver, name: str) -> list[WebElement]:
    return browser.find_elements(
        By.CSS_SELECTOR, f"form.add-to-basket input[type=radio][name={name}]"
    )


def active(browser: WebDriver) -> WebElement:
    return browser.switch_to.active_element


def test_swatches_and_sizes_are_named_radio_groups_reached_by_keyboard(
    browser: WebDriver, site: Process, javascript: bool
) -> None:
    variants = open_split_product(browser, site.url)
    groups = browser.find_elements(By.CSS_SELECTOR, "form.add-to-basket fieldset.option-group")
    assert [g.find_element(By.TAG_NAME, "legend").text.split(":")[0] for g in groups] == [
        "Colour",
        "Size",
    ]
    colours = radios(browser, "colour")
    # A swatch shows a colour; its name is what a screen reader says.
    for radio in colours:
        name = radio.accessible_name
        assert name.startswith(attribute(radio, "value")), name
        assert name.endswith(", sold out") == (not radio.is_enabled())
    # Tab from the last breadcrumb reaches the chosen colour; the arrow keys change it.
    crumbs = browser.find_elements(By.CSS_SELECTOR, "nav.breadcrumbs a")
    browser.execute_script("arguments[0].focus()", crumbs[-1])
    for _ in range(MAX_TABS):
        active(browser).send_keys(Keys.TAB)
        if attribute(active(browser), "name") == "colour":
            break
    focused = active(browser)
    assert attribute(focused, "name") == "colour", "Tab never reached the colour swatches"
    assert focused.is_selected()
    label = browser.find_element(By.CSS_SELECTOR, f"label[for='{attribute(focused, 'id')}']")
    assert label.value_of_css_property("outline-style") != "none", "no visible focus"
    enabled = [r for r in colours if r.is_enabled()]
    if len(enabled) > 1:
        focused.send_keys(Keys.ARROW_RIGHT)
        moved = active(browser)
        assert attribute(moved, "name") == "colour"
        assert moved.is_selected()
        assert attribute(moved, "value") != attribute(focused, "value")
    # Tab moves on to the sizes: one stop per group, as radio groups do.
    active(browser).send_keys(Keys.TAB)
    assert attribute(active(browser), "name") == "size"
    sizes = radios(browser, "size")
    colour = next(r for r in colours if r.is_selected())
    for size in sizes:
        name = size.accessible_name
        assert name.startswith(attribute(size, "value")), name
        sold_out_everywhere = not any(v[3] for v in variants if v[2] == attribute(size, "value"))
        sold_out_here = not any(
            v[3]
            for v in variants
            if v[2] == attribute(size, "value") and v[1] == attribute(colour, "value")
        )
        # Without the script the page knows no colour yet: only sizes sold out in every colour
        # are disabled; with it, those sold out in the chosen colour.
        expected = sold_out_here if javascript else sold_out_everywhere
        assert (not size.is_enabled()) == expected, attribute(size, "value")
        assert name.endswith(", sold out") == expected


@pytest.mark.parametrize("javascript", [True])
def test_with_javascript_the_chosen_pair_is_the_variant_sent_and_its_stock_shown(
    browser: WebDriver, site: Process
) -> None:
    variants = open_split_product(browser, site.url)
    form = browser.find_element(By.CSS_SELECTOR, "form.add-to-basket")
    for variant_id, colour, size, stock in variants:
        if not stock:
            continue
        journey.choose(form, "colour", colour)
        journey.choose(form, "size", size)
        sent = form.find_element(By.CSS_SELECTOR, "input[type=hidden][name=variant_id]")
        assert attribute(sent, "value") == str(variant_id)
        line = journey.stock_line(form).text
        assert line == ("In stock" if stock >= 5 else f"Only {stock} left"), line
        legend = form.find_element(By.CSS_SELECTOR, "fieldset.option-group legend").text
        assert re.fullmatch(rf"Colour: {re.escape(colour)}", legend), legend
        break
    else:
        pytest.fail("no variant in stock")
