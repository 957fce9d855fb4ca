"""The footer is rendered once per distinct category tree and reused (web/templating.py)."""

from __future__ import annotations

import jinja2
import pytest

from contract import catalog_pb2
from web.templating import ShopWideFragments, make_environment


def tree(*names: str) -> catalog_pb2.GetCategoryTreeResponse:
    return catalog_pb2.GetCategoryTreeResponse(
        roots=[
            catalog_pb2.Category(id=n, name=name, slug=name.lower()) for n, name in enumerate(names)
        ]
    )


@pytest.fixture
def fragments() -> ShopWideFragments:
    env = make_environment("en_IE", lambda _name: [])
    source = "{% if nav %}{% for d in nav.roots %}<a>{{ d.name }}</a>{% endfor %}{% endif %}"
    env.loader = jinja2.DictLoader({"nav.html": source})
    return ShopWideFragments(env)


def test_an_equal_tree_gets_the_text_rendered_for_the_first(fragments):
    first = fragments("nav.html", nav=tree("Women", "Men"))
    assert first == "<a>Women</a><a>Men</a>"
    assert fragments("nav.html", nav=tree("Women", "Men")) is first
    assert len(fragments.rendered) == 1


def test_a_changed_tree_or_none_is_rendered_anew(fragments):
    fragments("nav.html", nav=tree("Women", "Men"))
    assert (
        fragments("nav.html", nav=tree("Women", "Men & Boys"))
        == "<a>Women</a><a>Men &amp; Boys</a>"
    )
    assert fragments("nav.html", nav=None) == ""


def test_only_replies_may_key_a_fragment(fragments):
    with pytest.raises(TypeError, match="nav"):
        fragments("nav.html", nav={"roots": []})
