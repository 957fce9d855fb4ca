"""Product cards are rendered once per distinct summary and reused (web/templating.py,
ReusedMacro): what a page shows is the same as rendering each card anew."""

from __future__ import annotations

import jinja2
import pytest

from contract import catalog_pb2, common_pb2
from web.templating import ReusedMacro, make_environment


def summary(
    name: str = "Wool Coat", price: int = 12900, *, in_stock: bool = True
) -> catalog_pb2.ProductSummary:
    return catalog_pb2.ProductSummary(
        id=7,
        slug="wool-coat",
        name=name,
        brand="Norda",
        price=common_pb2.Money(amount=price, currency="EUR"),
        in_stock=in_stock,
    )


@pytest.fixture
def env() -> jinja2.Environment:
    return make_environment("en_IE", lambda _name: [])


def test_a_page_shows_the_card_its_macro_renders(env):
    card = env.globals["product_card"]
    macro = env.get_template("partials/product_card.html").module.product_card
    item = summary()
    assert card(item) == macro(item)
    assert 'href="/p/7/wool-coat"' in card(item)
    page = env.from_string("{% for item in items %}{{ product_card(item) }}{% endfor %}")
    assert page.render(items=[item, item]) == macro(item) * 2


def test_an_equal_summary_gets_the_card_rendered_for_the_first(env):
    card = ReusedMacro(env, "partials/product_card.html", "product_card", 16)
    first = card(summary())
    assert card(summary()) is first
    assert len(card.rendered) == 1


def test_a_changed_summary_is_rendered_anew_and_escaped(env):
    card = ReusedMacro(env, "partials/product_card.html", "product_card", 16)
    before = card(summary())
    cheaper = card(summary(price=9900))
    assert "99.00" in cheaper
    assert "99.00" not in before
    renamed = card(summary(name="Coat <b>& Hat</b>"))
    assert "Coat &lt;b&gt;&amp; Hat&lt;/b&gt;" in renamed
    sold_out = card(summary(in_stock=False))
    assert "Sold out" in sold_out
    assert "Sold out" not in before
    assert len(card.rendered) == 4


def test_it_keeps_at_most_its_bound_the_latest_used(env):
    card = ReusedMacro(env, "partials/product_card.html", "product_card", 2)
    first = card(summary("A"))
    card(summary("B"))
    card(summary("A"))  # used again: B is now the least recent
    card(summary("C"))
    assert len(card.rendered) == 2
    assert card(summary("A")) is first


def test_only_a_message_may_key_a_card(env):
    with pytest.raises(TypeError, match="product_card"):
        env.globals["product_card"]({"name": "Wool Coat"})


def test_an_edited_template_shows_with_reloaded_templates():
    templates = {"card.html": "{% macro card(item) %}<p>{{ item.name }}</p>{% endmacro %}"}
    env = make_environment("en_IE", lambda _name: [], auto_reload=True)
    env.loader = jinja2.DictLoader(templates)
    card = ReusedMacro(env, "card.html", "card", 16)
    assert card(summary()) == "<p>Wool Coat</p>"
    templates["card.html"] = "{% macro card(item) %}<h3>{{ item.name }}</h3>{% endmacro %}"
    assert card(summary()) == "<h3>Wool Coat</h3>"
