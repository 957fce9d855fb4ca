"""Each template's opening comment lists the variables it reads, and Jinja agrees with it."""

from __future__ import annotations

import jinja2
import pytest

from web.templating import declared_reads, found_reads, make_environment

ENV = make_environment("en_IE", lambda _name: [])
TEMPLATES = ENV.list_templates(extensions=["html"])


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_reads_comment_names_exactly_what_the_template_reads(name):
    source = ENV.loader.get_source(ENV, name)[0]
    declared = declared_reads(source)
    found = found_reads(ENV, name)
    assert declared == found, (
        f"{name}: the 'Reads:' comment lists {sorted(declared)} but the template reads "
        f"{sorted(found)}; undocumented: {sorted(found - declared)}, "
        f"not read: {sorted(declared - found)}"
    )


def test_base_html_reads_the_frame_variables():
    assert found_reads(ENV, "base.html") == {
        "nav",
        "basket",
        "account",
        "search_query",
        "canonical_path",
    }


def test_the_reads_list_may_wrap_and_explains_types_in_parentheses():
    source = """{#- A page.
    Reads: listing (shop.v1.Listing, or none), query (dict: sort, filters),
    sort (str).
    Other notes, with commas, are not names. -#}"""
    assert declared_reads(source) == {"listing", "query", "sort"}


def test_a_template_that_reads_nothing_says_so():
    assert declared_reads("{#- Static.\n    Reads: nothing. -#}\n<p>hi</p>") == frozenset()


@pytest.mark.parametrize(
    "source",
    ["<p>no comment</p>", "{#- A page without the list. -#}", "{#- Reads: product page. -#}"],
)
def test_a_missing_or_malformed_reads_list_is_an_error(source):
    with pytest.raises(ValueError, match="Reads:"):
        declared_reads(source)


def test_names_set_inside_the_template_are_not_reads():
    env = make_environment("en_IE", lambda _name: [])
    env.loader = jinja2.DictLoader(
        {"t.html": "{% if a %}{% set b = 1 %}{% endif %}{{ b }}{{ product_url(c) }}{{ range(2) }}"}
    )
    assert found_reads(env, "t.html") == {"a", "c"}
