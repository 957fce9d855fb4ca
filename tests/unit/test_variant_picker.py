"""The product page's variant picker as its fixtures render it: one colour group and one size
group for a product in both (not a radio per combination), one group of variant buttons for a
product in one, a hidden field for a product in none; sold-out options disabled and said so."""

from __future__ import annotations

import json
import re

from web.fixtures import load_fixture
from web.templating import make_environment

ENV = make_environment("en_IE", lambda name: [f"/static/site.test.{name}"])


def form_of(fixture: str) -> str:
    html = ENV.get_template("product/detail.html").render(
        load_fixture("product/detail.html", fixture)
    )
    return re.search(r'<form class="add-to-basket".*?</form>', html, re.DOTALL).group(0)


def radios(form: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}"[^>]*>', form)


def label_text(form: str, radio: str) -> str:
    radio_id = re.search(r'id="([^"]+)"', radio).group(1)
    label = re.search(rf'<label for="{radio_id}"[^>]*>(.*?)</label>', form, re.DOTALL).group(1)
    return re.sub(r"<[^>]+>", "", label).strip()


def test_a_product_in_sizes_and_colours_shows_one_group_of_each():
    form = form_of("normal")  # 5 sizes x 3 colours
    assert len(radios(form, "colour")) == 3
    assert len(radios(form, "size")) == 5
    assert not radios(form, "variant_id")
    assert '<input type="hidden" name="product_id" value="1">' in form
    assert "<legend>Colour<" in form
    assert "<legend>Size</legend>" in form
    # The first variant in stock is chosen: Navy, XS.
    assert [label_text(form, r) for r in radios(form, "colour") if " checked" in r] == ["Navy"]
    assert [label_text(form, r) for r in radios(form, "size") if " checked" in r] == ["XS"]
    # A swatch's colour is named for screen readers; the table the script reads has every pair.
    assert [label_text(form, r) for r in radios(form, "colour")] == ["Navy", "White", "Grey"]
    table = json.loads(re.search(r"data-variants='([^']*)'", form).group(1))
    assert len(table) == 15
    assert table[0] == [1, "Navy", "XS", 15]


def test_a_size_sold_out_in_every_colour_is_disabled_and_said_so():
    form = form_of("sizes-only")  # XS has no stock
    buttons = radios(form, "variant_id")
    assert [label_text(form, b) for b in buttons] == ["XS, sold out", "S", "M", "L", "XL"]
    assert " disabled" in buttons[0]
    assert all(" disabled" not in b for b in buttons[1:])
    assert " checked" in buttons[1]
    assert "<legend>Size</legend>" in form


def test_a_product_in_colours_only_shows_swatches():
    form = form_of("colours-only")
    buttons = radios(form, "variant_id")
    assert [label_text(form, b) for b in buttons] == ["Navy", "White", "Grey"]
    assert form.count('class="option option--swatch"') == 3
    assert 'data-swatch="navy"' in form


def test_a_product_with_one_option_sends_it_without_a_choice():
    form = form_of("one-option-without-size-or-colour")
    assert not re.findall(r'type="radio"', form)
    assert re.search(r'<input type="hidden" name="variant_id" value="\d+">', form)
    assert "Add to basket</button>" in form


def test_the_stock_of_the_chosen_option_is_shown():
    assert re.search(r'data-variant-stock aria-live="polite">In stock<', form_of("normal"))
