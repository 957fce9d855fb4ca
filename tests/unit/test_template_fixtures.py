"""Every page template renders with every one of its fixtures, stand-alone (no API, no frame
defaults): the fixtures are what the preview shows and what front-end developers work with."""

from __future__ import annotations

import json

import jinja2
import pytest

from contract import catalog_pb2
from web.fixtures import (
    FixtureError,
    encode_context,
    fixture_dir,
    fixture_names,
    load_fixture,
    save_fixture,
)
from web.templating import make_environment, page_templates

ENV = make_environment("en_IE", lambda name: [f"/static/site.test.{name}"])
PAGES = page_templates(ENV)
CASES = [(page, name) for page in PAGES for name in fixture_names(page)]
# The hand-made edge cases the preview must always offer (captured ones come from the demo).
EDGE_CASES = {
    "catalog/category.html": {
        "women-shoes",
        "filtered-by-brand",
        "no-matches",
        "empty-category",
        "card-edge-cases",
    },
    "product/detail.html": {
        "normal",
        "discontinued",
        "no-image",
        "long-name",
        "zero-price",
        "out-of-stock",
    },
    "search/results.html": {"results", "no-results", "empty-query"},
    "errors/503.html": {"api-unavailable"},
}


def render(page: str, fixture: str) -> str:
    return ENV.get_template(page).render(load_fixture(page, fixture))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_template_has_fixtures(page):
    assert fixture_names(page), f"{page} has no fixtures in {fixture_dir(page)}"


@pytest.mark.parametrize(("page", "names"), EDGE_CASES.items())
def test_the_edge_cases_are_there(page, names):
    assert names <= set(fixture_names(page))


@pytest.mark.parametrize(("page", "fixture"), CASES)
def test_every_template_renders_with_every_fixture(page, fixture):
    html = render(page, fixture)
    assert html.startswith("<!doctype html>")
    assert html.rstrip().endswith("</html>")
    assert '<main id="main"' in html


@pytest.mark.parametrize(("page", "fixture"), CASES)
def test_a_fixture_survives_loading_and_saving(page, fixture):
    stored = json.loads((fixture_dir(page) / f"{fixture}.json").read_text())
    assert encode_context(load_fixture(page, fixture)) == stored


def test_a_zero_price_shows_as_zero_not_as_nothing():
    html = render("product/detail.html", "zero-price")
    assert '<strong class="price__now">€0.00</strong>' in html


def test_an_out_of_stock_product_has_no_add_to_basket_button():
    html = render("product/detail.html", "out-of-stock")
    assert "Out of stock in every option." in html
    assert "Add to basket" not in html


def test_a_product_without_images_shows_no_broken_image():
    html = render("product/detail.html", "no-image")
    gallery = html.split('<div class="product__gallery"')[1].split("</div>")[0]
    assert "<img" not in gallery


def test_text_from_the_api_is_escaped():
    assert "Aldgate &amp; Co &lt;Limited Edition&gt;" in render("product/detail.html", "long-name")
    html = render("search/results.html", "long-query-escaped")
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html


def test_a_discontinued_product_says_so():
    html = render("product/detail.html", "discontinued")
    assert "This product is no longer available." in html


def test_an_empty_category_offers_to_clear_the_filters():
    html = render("catalog/category.html", "empty-category")
    assert "No products match these filters." in html


def test_a_missing_variable_fails_loudly():
    context = load_fixture("product/detail.html", "normal")
    del context["related"]
    with pytest.raises(jinja2.UndefinedError, match="related"):
        ENV.get_template("product/detail.html").render(context)


def test_protobuf_messages_keep_their_type(tmp_path):
    product = catalog_pb2.Product(id=7, name="Wool scarf", slug="wool-scarf")
    context = encode_context({"product": product, "related": [], "sort": "", "page": None})
    assert context["product"]["@type"] == "shop.v1.Product"
    save_fixture("product/detail.html", "scarf", context, tmp_path)
    loaded = load_fixture("product/detail.html", "scarf", tmp_path)
    assert loaded == {"product": product, "related": [], "sort": "", "page": None}
    assert (tmp_path / "product" / "detail.fixtures" / "scarf.json").is_file()


@pytest.mark.parametrize("name", ["../secrets", "", "a b"])
def test_a_fixture_name_cannot_leave_its_folder(name):
    with pytest.raises(FixtureError):
        load_fixture("product/detail.html", name)


def test_an_unknown_message_type_is_a_fixture_error(tmp_path):
    save_fixture("x.html", "bad", {"thing": {"@type": "shop.v1.Nope", "value": {}}}, tmp_path)
    with pytest.raises(FixtureError, match="Nope"):
        load_fixture("x.html", "bad", tmp_path)


def test_a_product_without_any_option_cannot_be_ordered_and_still_renders():
    html = render("product/detail.html", "no-variants")
    assert "This product cannot be ordered at the moment." in html
    assert "Add to basket" not in html


def test_a_capped_search_says_more_products_match_than_it_shows():
    html = render("search/results.html", "many-matches")
    assert "1,000+ products found" in html
    assert "More than 1,000 products match: these are 1,000 of them." in html
    assert "Counts are of the 1,000 products found, not of every match." in html


def test_an_uncapped_search_gives_its_exact_total():
    html = render("search/results.html", "results")
    assert "+ products found" not in html
    assert "More than" not in html
    assert "Counts are of the" not in html


def test_a_filtered_listing_past_its_listed_maximum_says_where_its_pages_stop():
    html = render("catalog/category.html", "filtered-many-pages")
    assert ">23,456 products</h2>" in html
    assert "These pages show the first 1,000: narrow the filters or change the sort" in html
    assert "page=42" in html  # the last page that reaches is linked
    assert "page=43" not in html


def test_a_listing_within_its_maximum_says_nothing_of_one():
    html = render("catalog/category.html", "filtered-by-brand")
    assert "These pages show the first" not in html
