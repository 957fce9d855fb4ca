"""The storefront as shoppers and crawlers meet it: real front, real API worker, real database."""

from __future__ import annotations

import html
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.functional.pages import Facts, catalogue_facts, fetch, product_variants
from tests.processes import Process, Processes, WorkerProcess, free_port

# Budgets from the pages issue, on the demo catalogue.
HTML_BUDGET = 60 * 1024
CSS_BUDGET = 40 * 1024
JS_BUDGET = 30 * 1024


@dataclass
class Site:
    front: Process
    worker: WorkerProcess
    facts: Facts

    def get(self, path: str, **headers: str):
        return fetch(self.front.url + path, headers)


@pytest.fixture(scope="module")
def site(database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    processes = Processes(database, tmp_path_factory.mktemp("site"))
    try:
        worker = processes.start_worker()
        front = processes.start_front(worker)
        yield Site(front, worker, catalogue_facts(database))
    finally:
        processes.stop_all()


def test_home_page_shows_banners_rails_and_the_departments(site):
    page = site.get("/")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert re.search(
        r'<nav class="site-nav" aria-label="Departments">.*href="/c/women"', page.body, re.DOTALL
    )
    assert re.search(
        r'<li class="banner">\s*<a href="/[^"]+">\s*<img src="[^"]+" alt="[^"]+"', page.body
    )
    assert len(page.cards()) >= 4
    assert "<title>" in page.body


def test_a_landing_page_has_its_title_and_blocks(site):
    page = site.get("/l/winter-sale")
    assert page.status == 200
    assert re.search(r"<h1>[^<]+</h1>", page.body)
    assert page.cards()
    assert site.get("/l/no-such-landing").status == 404


def test_a_category_lists_its_products_with_facets_counts_and_pages(site):
    page = site.get(f"/c/{site.facts.department_slug}")
    assert page.status == 200
    total = int(re.search(r'<h2 id="results-title">(\d+) products</h2>', page.body).group(1))
    assert total > 24
    assert len(page.cards()) == 24
    assert 'rel="next" href="?page=2"' in page.body
    for facet in ("Brand", "Colour", "Size", "Price"):
        assert f"<h3>{facet}</h3>" in page.body
    second = site.get(f"/c/{site.facts.department_slug}?page=2")
    assert second.status == 200
    assert set(second.cards()).isdisjoint(page.cards())


def test_a_facet_link_filters_the_listing_and_can_be_removed(site):
    page = site.get(f"/c/{site.facts.department_slug}")
    link, brand, count = re.search(
        r'<a class="facet__value" rel="nofollow" href="(/filter/[^"?]+\?brand=[^"]+)">([^<]+?) '
        r'<span class="count">\((\d+)\)</span>',
        page.body,
    ).groups()
    filtered = site.get(html.unescape(link))
    assert filtered.status == 200
    assert f'<h2 id="results-title">{count} product' in filtered.body
    assert set(filtered.card_brands()) == {brand}
    assert f"Remove Brand: {brand}" in filtered.body
    assert 'aria-current="true"' in filtered.body


def test_sorting_by_price_orders_the_products(site):
    # By the regular price: a product on sale sorts where its regular price puts it
    # (docs/checkout.md, "Sales"); the demo's winter sale covers some of these.
    page = site.get(f"/c/{site.facts.department_slug}?sort=price-asc")
    prices = page.card_regular_prices()
    assert len(prices) == 24
    assert prices == sorted(prices)
    descending = site.get(f"/c/{site.facts.department_slug}?sort=price-desc")
    assert descending.card_regular_prices() == sorted(
        descending.card_regular_prices(), reverse=True
    )


def test_filters_matching_nothing_show_an_empty_state_with_a_way_out(site):
    page = site.get(f"/filter/{site.facts.leaf_slug}?brand=Nobody+Makes+This")
    assert page.status == 200
    assert "No products match these filters." in page.body
    assert 'href="">Clear all filters' in page.body or "Clear all filters" in page.body


def test_the_product_page_has_what_a_shopper_needs_to_choose(site):
    facts = site.facts
    page = site.get(f"/p/{facts.product_id}/{facts.product_slug}")
    assert page.status == 200
    assert f"<h1>{facts.product_name}</h1>" in page.body
    assert 'aria-label="Breadcrumb"' in page.body
    assert f'href="/c/{facts.leaf_slug}"' in page.body
    assert re.search(r'class="price__now[^"]*">€[\d,]+\.\d\d<', page.body)
    # One group of variant buttons, or a colour group and a size group (radio inputs).
    radios = set(re.findall(r'<input type="radio" name="(\w+)"', page.body))
    assert radios in ({"variant_id"}, {"colour", "size"})
    assert product_variants(page)
    assert re.search(r'<label class="buy-bar__quantity" for="quantity">Quantity', page.body)
    assert "Add to basket</button>" in page.body
    assert re.findall(r'<img src="/media/demo/products/[^"]+" alt="([^"]+)"', page.body)
    assert "You may also like" in page.body


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/p/{product_id}/wrong-slug", 301, "/p/{product_id}/{product_slug}"),
        ("/p/{product_id}", 301, "/p/{product_id}/{product_slug}"),
        ("/p/{old_slug}", 301, "/p/{moved_id}/{moved_slug}"),
        ("/p/{product_slug}", 301, "/p/{product_id}/{product_slug}"),
        ("/p/{discontinued_id}/{discontinued_slug}", 410, None),
        ("/p/999999999/anything", 404, None),
        ("/C/{leaf_slug}/", 301, "/c/{leaf_slug}"),
        ("/c/{leaf_slug}/?sort=name", 301, "/c/{leaf_slug}?sort=name"),
        ("/c/no-such-category", 404, None),
        ("/c/{leaf_slug}?page=abc", 400, None),
        ("/c/{leaf_slug}?page=0", 400, None),
        ("/c/{leaf_slug}?page=500", 404, None),
        ("/c/{leaf_slug}?sort=cheapest", 400, None),
        ("/filter/{leaf_slug}?price=free", 400, None),
        ("/c/{leaf_slug}?price=free", 301, "/filter/{leaf_slug}?price=free"),
        ("/search?q=" + "x" * 201, 400, None),
        ("/no/such/page", 404, None),
    ],
)
def test_status_codes(site, path, status, location):
    facts = vars(site.facts)
    page = site.get(path.format(**facts))
    assert page.status == status
    if location is not None:
        assert page.headers["Location"] == location.format(**facts)
    if status >= 400:
        assert "Traceback" not in page.body
        assert "<h1>" in page.body


def test_a_discontinued_product_says_so_and_offers_similar_ones(site):
    page = site.get(f"/p/{site.facts.discontinued_id}/{site.facts.discontinued_slug}")
    assert page.status == 410
    assert "This product is no longer available." in page.body
    assert "Add to basket" not in page.body
    assert "Similar products" in page.body


def test_the_404_page_offers_a_search_box(site):
    page = site.get("/definitely/not/here")
    assert page.status == 404
    assert "Page not found" in page.body
    assert re.search(r'<form class="search-page-form" action="/search" method="get"', page.body)


def test_a_bad_request_says_what_was_wrong(site):
    page = site.get(f"/c/{site.facts.leaf_slug}?sort=cheapest")
    assert page.status == 400
    assert "Unknown sort &#39;cheapest&#39;" in page.body


def test_search_finds_products_and_offers_spellings_when_nothing_matches(site):
    word = site.facts.product_name.split()[-1]
    found = site.get(f"/search?q={word}")
    assert found.status == 200
    assert f"Results for “{word}”" in found.body
    assert found.cards()
    assert '<meta name="robots" content="noindex,follow">' in found.body
    nothing = site.get("/search?q=zzqxv")
    assert nothing.status == 200
    assert "No results for" in nothing.body
    assert '<meta name="robots" content="noindex,follow">' in nothing.body
    empty = site.get("/search")
    assert empty.status == 200
    assert "What are you looking for?" in empty.body


def _card_names(page) -> list[str]:
    return [
        html.unescape(name)
        for name in re.findall(
            r'<h3 class="product-card__name"><a href="[^"]*">([^<]+)</a></h3>', page.body
        )
    ]


def test_search_finds_the_plural_by_the_singular(site):
    # The demo catalogue names its cardigans "... Cardigan".
    page = site.get("/search?q=cardigans")
    assert page.status == 200
    names = _card_names(page)
    assert names
    assert all("Cardigan" in name for name in names[:3])
    assert "Showing results for" not in page.body


def test_a_misspelt_search_shows_the_corrected_query_and_a_way_back(site):
    page = site.get("/search?q=cardigna")
    assert page.status == 200
    assert "Showing results for <strong>cardigan</strong>" in page.body
    assert any("Cardigan" in name for name in _card_names(page))
    assert '<meta name="robots" content="noindex,follow">' in page.body
    back = re.search(r'href="(/search\?q=cardigna&amp;exact=1)"', page.body)
    assert back is not None
    as_typed = site.get(html.unescape(back.group(1)))
    assert as_typed.status == 200
    assert "No results for “cardigna”" in as_typed.body
    assert "Did you mean" in as_typed.body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=dress&sort=cheapest", "Unknown sort"),
        ("q=dress&page=0", "Page must be a whole number"),
        ("q=dress&" + "&".join(f"brand=b{n}" for n in range(21)), "At most 20 values of brand"),
    ],
)
def test_bad_search_parameters_are_a_400_that_says_why(site, query, message):
    page = site.get(f"/search?{query}")
    assert page.status == 400
    assert message in html.unescape(page.body)


def test_search_results_filter_by_facets_like_categories(site):
    page = site.get("/search?q=cardigan")
    link = re.search(r'class="facet__value" rel="nofollow" href="([^"]+)"', page.body)
    assert link is not None
    filtered = site.get(html.unescape(link.group(1)))
    assert filtered.status == 200
    assert "facet__value--selected" in filtered.body
    assert filtered.cards()


def test_suggestions_answer_json_for_the_search_box(site):
    page = site.get("/search/suggest?q=" + site.facts.product_name[:3])
    assert page.status == 200
    suggestions = json.loads(page.body)
    assert suggestions
    assert all(set(s) == {"text", "kind", "url"} for s in suggestions)
    assert json.loads(site.get("/search/suggest?q=").body) == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/c/{department_slug}",
        "/p/{product_id}/{product_slug}",
        "/search?q=shirt",
        "/l/winter-sale",
    ],
)
def test_each_page_sends_exactly_one_batch(site, path):
    trace = secrets.token_hex(8)
    page = site.get(path.format(**vars(site.facts)), **{"X-Request-Id": trace})
    assert page.headers["X-Trace-Id"] == trace
    deadline = time.monotonic() + 5
    while f"trace={trace}" not in site.worker.log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert site.worker.log.count(f"batch trace={trace} ") == 1


def test_a_page_needing_only_shop_wide_answers_sends_no_batch_while_the_front_keeps_them(site):
    """A 404 page reads only the navigation, which the front keeps for a quarter of its
    cache_seconds once it has it (docs/api.md): the second one in a row asks the worker for
    nothing, and says so in Server-Timing."""
    assert site.get("/nowhere").status == 404
    trace = secrets.token_hex(8)
    page = site.get("/nowhere", **{"X-Request-Id": trace})
    assert page.status == 404
    assert 'api.catalog.GetCategoryTree;dur=0.0;desc="kept"' in page.headers["Server-Timing"]
    time.sleep(0.3)
    assert f"trace={trace}" not in site.worker.log


def test_server_timing_names_each_api_call_and_the_render(site):
    page = site.get(f"/p/{site.facts.product_id}/{site.facts.product_slug}")
    timing = page.headers["Server-Timing"]
    names = [entry.split(";")[0].strip() for entry in timing.split(",")]
    assert names == [
        "api.catalog.GetCategoryTree",
        "api.catalog.GetProduct",
        "api.catalog.GetRelatedProducts",
        "api.landings.GetShopPolicies",
        "api.reviews.ListReviews",
        "render",
    ]
    assert all(re.search(r";dur=\d+\.\d", entry) for entry in timing.split(","))


def test_pages_stay_within_their_budgets_and_reach_no_third_party(site):
    pages = [
        site.get(f"/c/{site.facts.department_slug}"),
        site.get(f"/p/{site.facts.product_id}/{site.facts.product_slug}"),
        site.get("/"),
    ]
    for page in pages[:2]:
        assert len(page.body.encode()) <= HTML_BUDGET
    for page in pages:
        # Absolute URLs only on the site itself (canonical links, Open Graph: docs/seo.md).
        urls = re.findall(r'(?:src|href|action|content)="([^"]*)"', page.body)
        foreign = [
            u for u in urls if re.match(r"(https?:)?//", u) and not u.startswith(site.front.url)
        ]
        assert foreign == []
        # JSON-LD is data, not a script that runs: it needs no defer.
        scripts = re.findall(r'<script(?! type="application/ld\+json")[^>]*>', page.body)
        assert scripts
        assert all(" defer" in tag or " async" in tag for tag in scripts)
    css = re.findall(r'<link rel="stylesheet" href="(/static/[^"]+\.css)">', pages[0].body)
    js = re.findall(r'<script src="(/static/[^"]+\.js)"', pages[0].body)
    assert sum(len(site.get(url).body.encode()) for url in css) <= CSS_BUDGET
    assert sum(len(site.get(url).body.encode()) for url in js) <= JS_BUDGET
    asset = site.get(css[0])
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_demo_images_are_svg_and_cacheable(site):
    product = site.get(f"/p/{site.facts.product_id}/{site.facts.product_slug}")
    image = site.get(re.search(r'<img src="(/media/demo/products/[^"]+)"', product.body).group(1))
    assert image.status == 200
    assert image.headers["Content-Type"] == "image/svg+xml"
    assert image.body.startswith("<svg")


# Each of these starts processes of its own, with a fault or a delay injected into the worker.


def page_with(workers: Processes, facts: Facts, path: str, **knobs: str):
    """The page from a front whose worker has the knobs set; the second request is timed, the
    first opens the database connections a fresh worker does not have yet."""
    front = workers.start_front(workers.start_worker(**knobs))
    url = front.url + path.format(**vars(facts))
    fetch(url)
    started = time.monotonic()
    page = fetch(url)
    return page, time.monotonic() - started


@pytest.mark.parametrize(
    "knob",
    [
        {"delays": "shop.v1.Catalog/GetRelatedProducts=400"},
        {"faults": "shop.v1.Catalog/GetRelatedProducts=UNAVAILABLE"},
    ],
)
def test_a_late_or_failed_optional_call_leaves_its_block_out(workers, database, knob):
    facts = catalogue_facts(database)
    page, took = page_with(workers, facts, "/p/{product_id}/{product_slug}", **knob)
    assert page.status == 200
    assert f"<h1>{facts.product_name}</h1>" in page.body
    assert "You may also like" not in page.body
    assert re.search(
        r'api.catalog.GetRelatedProducts;dur=[\d.]+;desc="(DEADLINE_EXCEEDED|'
        r'UNAVAILABLE)"',
        page.headers["Server-Timing"],
    )
    assert took < 0.4  # the page did not wait for the late block


def test_a_page_without_navigation_still_answers(workers, database):
    facts = catalogue_facts(database)
    page, _ = page_with(
        workers, facts, "/c/{leaf_slug}", faults="shop.v1.Catalog/GetCategoryTree=UNAVAILABLE"
    )
    assert page.status == 200
    assert 'aria-label="Departments"' not in page.body
    assert page.cards()


def test_a_required_call_unavailable_gives_the_503_page(workers, database):
    facts = catalogue_facts(database)
    page, _ = page_with(
        workers,
        facts,
        "/p/{product_id}/{product_slug}",
        faults="shop.v1.Catalog/GetProduct=UNAVAILABLE",
    )
    assert page.status == 503
    assert "Back in a moment" in page.body
    assert "Traceback" not in page.body


def test_with_no_api_worker_at_all_the_503_comes_within_the_deadline(workers, database):
    facts = catalogue_facts(database)
    front = workers.start_front(endpoints=f"tcp://127.0.0.1:{free_port()}")
    started = time.monotonic()
    page = fetch(front.url + f"/p/{facts.product_id}/{facts.product_slug}")
    assert page.status == 503
    assert time.monotonic() - started < 2.0  # the default deadline is 1 s


def test_a_page_takes_as_long_as_its_slowest_call_not_the_sum(workers, database):
    facts = catalogue_facts(database)
    page, took = page_with(
        workers,
        facts,
        "/p/{product_id}/{product_slug}",
        delays="shop.v1.Catalog/GetProduct=120,shop.v1.Catalog/GetRelatedProducts=60,"
        "shop.v1.Catalog/GetCategoryTree=100",
    )
    assert page.status == 200
    assert "You may also like" in page.body
    assert 0.12 <= took < 0.25  # the sum would be 0.28 s


def test_reused_pages_are_the_pages_a_fresh_render_gives(site, database, tmp_path):
    """The same URLs from a front that renders every page (VITRINE_RENDERED_PAGES_MB=0) and from
    one that reuses rendered pages, twice: byte for byte the same HTML."""
    processes = Processes(database, tmp_path)
    try:
        # Absolute URLs (canonical, Open Graph) name the public address: the same for both.
        fresh = processes.start_front(
            site.worker,
            env={"VITRINE_RENDERED_PAGES_MB": "0", "VITRINE_PUBLIC_URL": site.front.url},
        )
        paths = [
            "/",
            f"/c/{site.facts.department_slug}?sort=price-asc",
            f"/p/{site.facts.product_id}/{site.facts.product_slug}",
            "/search?q=shirt",
        ]
        for path in paths:
            reused = [site.get(path), site.get(path)]
            rendered = fetch(fresh.url + path)
            assert rendered.status == 200
            for page in reused:
                assert page.status == rendered.status
                assert page.body == rendered.body
    finally:
        processes.stop_all()


def test_titles_name_the_shop_once_and_carry_no_sku(site):
    facts = site.facts
    for path in [
        "/",
        "/l/winter-sale",
        f"/c/{facts.leaf_slug}",
        f"/p/{facts.product_id}/{facts.product_slug}",
    ]:
        page = site.get(path)
        title = html.unescape(re.search(r"<title>([^<]+)</title>", page.body).group(1))
        assert title.count("Vitrine") == 1, title
        assert not re.search(r"\bVT\d+", title), title
    product = site.get(f"/p/{facts.product_id}/{facts.product_slug}")
    title = html.unescape(re.search(r"<title>([^<]+)</title>", product.body).group(1))
    assert title.startswith(f"{facts.product_name} by ")


def test_every_page_ends_with_help_links_and_the_cards_the_shop_takes(site):
    page = site.get("/")
    footer = page.body[page.body.index('<footer class="site-footer">') :]
    assert "demonstration shop" not in page.body
    for path in ("delivery", "returns", "contact", "privacy", "terms", "size-guide"):
        assert f'href="/help/{path}"' in footer
    for card in ("Visa", "Mastercard", "American Express"):
        assert f'role="img" aria-label="{card}"' in footer


def test_the_header_is_one_bar_with_the_logo_search_account_and_mini_basket(site):
    page = site.get("/")
    header = page.body[
        page.body.index('<header class="site-header">') : page.body.index("</header>")
    ]
    assert '<a class="logo" href="/" aria-label="Vitrine, home">' in header
    assert "<svg" in header
    assert 'role="search"' in header
    assert 'href="/account/login"' in header
    assert re.search(
        r'href="/basket">.*data-basket-count>0<.*data-basket-label>, 0 items<', header, re.DOTALL
    )
