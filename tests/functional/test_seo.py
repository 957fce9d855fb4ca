"""The storefront as a search crawler meets it: robots.txt, sitemaps, canonical links, structured
data, status codes and cache validators, with a real front, API worker and database."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Iterator
from dataclasses import dataclass

import extruct
import pytest
from sqlalchemy import exists, func, select
from usp.objects.sitemap import AbstractPagesSitemap
from usp.tree import sitemap_tree_for_homepage

from api.db import create_engine
from api.schema import products, variants
from tests.functional.pages import Facts, Page, Shopper, catalogue_facts, fetch, product_option
from tests.processes import Process, Processes
from vitrine.config import PROJECT_ROOT, Settings

# Small children, so the demo catalogue's 300 products need several.
SITEMAP_URLS = 100


@dataclass
class SeoSite:
    front: Process
    facts: Facts
    out_of_stock_id: int
    live_products: int

    @property
    def base(self) -> str:
        return self.front.url

    def get(self, path: str, **headers: str) -> Page:
        return fetch(self.base + path, headers)


async def _stock_facts(database: dict[str, str]) -> tuple[int, int]:
    """A live product none of whose variants has stock, and how many products are live."""
    engine = create_engine(
        Settings(
            database_url=database["VITRINE_DATABASE_URL"],
            database_schema=database.get("VITRINE_DATABASE_SCHEMA", ""),
        )
    )
    try:
        async with engine.connect() as conn:
            in_stock = exists().where(variants.c.product_id == products.c.id, variants.c.stock > 0)
            out_of_stock = await conn.scalar(
                select(products.c.id)
                .where(products.c.discontinued.is_(False), ~in_stock)
                .order_by(products.c.id)
                .limit(1)
            )
            live = await conn.scalar(select(func.count()).where(products.c.discontinued.is_(False)))
    finally:
        await engine.dispose()
    return out_of_stock, live


@pytest.fixture(scope="module")
def seo_site(
    database: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SeoSite]:
    processes = Processes(database, tmp_path_factory.mktemp("seo"))
    try:
        worker = processes.start_worker()
        front = processes.start_front(worker, env={"VITRINE_SITEMAP_URLS": str(SITEMAP_URLS)})
        out_of_stock, live = asyncio.run(_stock_facts(database))
        yield SeoSite(front, catalogue_facts(database), out_of_stock, live)
    finally:
        processes.stop_all()


def canonical(page: Page) -> str:
    return re.search(r'<link rel="canonical" href="([^"]+)">', page.body).group(1)


def robots_meta(page: Page) -> str:
    found = re.search(r'<meta name="robots" content="([^"]+)">', page.body)
    return found.group(1) if found else ""


def json_ld(page: Page, base: str) -> dict[str, list[dict]]:
    """The page's JSON-LD items by @type, as extruct parses them."""
    items = extruct.extract(page.body, base_url=base, syntaxes=["json-ld"])["json-ld"]
    by_type: dict[str, list[dict]] = {}
    for item in items:
        by_type.setdefault(item["@type"], []).append(item)
    return by_type


# -- robots.txt ---------------------------------------------------------------------------------


def test_robots_txt_allows_the_catalogue_and_keeps_crawlers_out_of_private_and_faceted_urls(
    seo_site,
):
    answer = seo_site.get("/robots.txt")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    rules = urllib.robotparser.RobotFileParser()
    rules.parse(answer.body.splitlines())
    facts = seo_site.facts
    allowed = [
        "/",
        f"/c/{facts.department_slug}",
        f"/c/{facts.department_slug}?page=2",
        f"/c/{facts.department_slug}?sort=price-asc",
        f"/p/{facts.product_id}/{facts.product_slug}",
        "/l/winter-sale",
        "/sitemap.xml",
    ]
    disallowed = [
        "/basket",
        "/checkout",
        "/checkout/address",
        "/orders/A1B2/token",
        "/account",
        "/account/login",
        "/search?q=dress",
        f"/filter/{facts.department_slug}?brand=Tidewater",
        "/_preview/",
    ]
    for path in allowed:
        assert rules.can_fetch("Googlebot", seo_site.base + path), path
    for path in disallowed:
        assert not rules.can_fetch("Googlebot", seo_site.base + path), path
    assert rules.site_maps() == [f"{seo_site.base}/sitemap.xml"]


# -- sitemaps ----------------------------------------------------------------------------------


def test_sitemaps_list_every_live_product_category_and_landing_page_and_each_is_canonical(
    seo_site,
):
    tree = sitemap_tree_for_homepage(seo_site.base + "/", use_known_paths=False)
    children = [s for s in tree.all_sitemaps() if isinstance(s, AbstractPagesSitemap)]
    assert len(children) >= 5  # landings, categories, and 300 products in children of 100
    for child in children:
        assert 0 < len(child.pages) <= SITEMAP_URLS, child.url
    pages = list(tree.all_pages())
    urls = [page.url for page in pages]
    assert len(urls) == len(set(urls))
    assert all(page.last_modified is not None for page in pages)
    product_urls = [url for url in urls if "/p/" in url]
    assert len(product_urls) == seo_site.live_products
    facts = seo_site.facts
    assert f"{seo_site.base}/p/{facts.product_id}/{facts.product_slug}" in urls
    assert not [url for url in urls if f"/p/{facts.discontinued_id}/" in url]
    assert not [url for url in urls if facts.old_slug in url]
    assert f"{seo_site.base}/" in urls
    assert f"{seo_site.base}/c/{facts.leaf_slug}" in urls
    assert f"{seo_site.base}/l/winter-sale" in urls
    for url in urls:
        page = fetch(url)
        assert page.status == 200, url
        assert canonical(page) == url
        assert "noindex" not in robots_meta(page), url


def test_a_child_sitemap_past_the_last_is_404(seo_site):
    assert seo_site.get("/sitemaps/products-999.xml").status == 404
    assert seo_site.get("/sitemaps/categories-9.xml").status == 404


# -- structured data ---------------------------------------------------------------------------


def _check_offer(offer: dict, url: str) -> None:
    assert re.fullmatch(r"\d+\.\d\d", offer["price"])
    assert offer["priceCurrency"] == "EUR"
    assert offer["availability"].startswith("https://schema.org/")
    assert offer["itemCondition"] == "https://schema.org/NewCondition"
    assert offer["url"] == url


def test_a_product_page_has_product_json_ld_with_offers_brand_sku_image_and_breadcrumbs(seo_site):
    facts = seo_site.facts
    url = f"{seo_site.base}/p/{facts.product_id}/{facts.product_slug}"
    page = fetch(url)
    data = json_ld(page, seo_site.base)
    (product,) = data["Product"]
    assert product["name"] == facts.product_name
    assert product["url"] == url
    assert product["sku"]
    assert product["brand"]["name"]
    assert product["image"]
    assert all(image.startswith("http://") for image in product["image"])
    offers = product["offers"]
    if offers["@type"] == "AggregateOffer":
        assert offers["offerCount"] == len(offers["offers"]) > 1
        assert offers["lowPrice"] <= offers["highPrice"]
        for offer in offers["offers"]:
            _check_offer(offer, url)
    else:
        _check_offer(offers, url)
    (crumbs,) = data["BreadcrumbList"]
    items = crumbs["itemListElement"]
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    assert items[0]["item"] == f"{seo_site.base}/"
    assert items[-1]["item"] == url
    assert '<meta property="og:type" content="product">' in page.body
    assert re.search(r'<meta property="og:image" content="http://[^"]+">', page.body)
    assert '<meta name="twitter:card" content="summary_large_image">' in page.body


def test_an_out_of_stock_product_answers_200_with_availability_out_of_stock(seo_site):
    page = seo_site.get(f"/p/{seo_site.out_of_stock_id}")
    target = page.headers["Location"]
    page = seo_site.get(target)
    assert page.status == 200
    (product,) = json_ld(page, seo_site.base)["Product"]
    assert product["offers"]["availability"] == "https://schema.org/OutOfStock"


def test_a_category_page_has_breadcrumbs_and_an_item_list_of_its_products(seo_site):
    page = seo_site.get(f"/c/{seo_site.facts.leaf_slug}")
    data = json_ld(page, seo_site.base)
    (crumbs,) = data["BreadcrumbList"]
    assert crumbs["itemListElement"][-1]["item"] == f"{seo_site.base}/c/{seo_site.facts.leaf_slug}"
    (item_list,) = data["ItemList"]
    urls = [item["url"] for item in item_list["itemListElement"]]
    cards = re.findall(r'<a class="product-card__link" href="([^"]+)"', page.body) or urls
    assert urls
    assert all(url.startswith(f"{seo_site.base}/p/") for url in urls)
    assert len(urls) == len(cards)


def test_the_home_page_describes_the_organization_and_the_site_search(seo_site):
    data = json_ld(seo_site.get("/"), seo_site.base)
    (organization,) = data["Organization"]
    assert organization["url"] == f"{seo_site.base}/"
    (website,) = data["WebSite"]
    action = website["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"]["urlTemplate"] == f"{seo_site.base}/search?q={{search_term_string}}"
    assert action["query-input"] == "required name=search_term_string"


def test_every_indexable_page_has_a_unique_title_and_description(seo_site):
    facts = seo_site.facts
    paths = [
        "/",
        "/l/winter-sale",
        f"/c/{facts.department_slug}",
        f"/c/{facts.department_slug}?page=2",
        f"/c/{facts.leaf_slug}",
        f"/p/{facts.product_id}/{facts.product_slug}",
    ]
    titles, descriptions = set(), set()
    for path in paths:
        page = seo_site.get(path)
        title = re.search(r"<title>([^<]+)</title>", page.body).group(1)
        description = re.search(r'<meta name="description" content="([^"]+)">', page.body).group(1)
        assert re.search(r'<meta property="og:title" content="[^"]+">', page.body)
        assert re.search(r'<meta property="og:description" content="[^"]+">', page.body)
        assert re.search(r'<meta name="twitter:card" content="summary[^"]*">', page.body)
        titles.add(title)
        descriptions.add(description)
    assert len(titles) == len(descriptions) == len(paths)


# -- status codes ------------------------------------------------------------------------------


def _status_cases(facts: Facts) -> list[tuple[str, int, str]]:
    """(path, status, Location for a redirect or a text the page shows)."""
    dept, product = facts.department_slug, f"/p/{facts.product_id}/{facts.product_slug}"
    return [
        ("/no-such-page", 404, "Page not found"),
        ("/c/no-such-category", 404, "Page not found"),
        ("/p/999999999/no-such-product", 404, "Page not found"),
        ("/l/no-such-landing", 404, "Page not found"),
        (f"/p/{facts.discontinued_id}/{facts.discontinued_slug}", 410, "no longer available"),
        (f"/p/{facts.product_id}/wrong-slug", 301, product),
        (f"/p/{facts.product_id}", 301, product),
        (f"/p/{facts.old_slug}", 301, f"/p/{facts.moved_id}/{facts.moved_slug}"),
        (product, 200, facts.product_name),
        (product.upper(), 301, product),
        (f"{product}/", 301, product),
        (f"/C/{dept.upper()}/", 301, f"/c/{dept}"),
        (f"/c/{dept}/?page=2", 301, f"/c/{dept}?page=2"),
        (f"/c/{dept}?brand=Tidewater", 301, f"/filter/{dept}?brand=Tidewater"),
        (f"/filter/{dept}?sort=name", 301, f"/c/{dept}?sort=name"),
        (f"/c/{dept}?page=0", 400, "Page must be"),
        (f"/c/{dept}?sort=cheapest", 400, "Unknown sort"),
    ]


def test_status_codes_are_what_a_crawler_needs(seo_site):
    for path, status, expected in _status_cases(seo_site.facts):
        page = seo_site.get(path)
        assert page.status == status, path
        if 300 <= status < 400:
            assert page.headers["Location"] == expected, path
        else:
            assert expected in page.body, path


def test_head_answers_what_get_does_without_a_body(seo_site):
    facts = seo_site.facts
    for path in [
        "/robots.txt",
        "/sitemap.xml",
        "/sitemaps/products-1.xml",
        "/",
        f"/p/{facts.product_id}/{facts.product_slug}",
        "/no-such-page",
    ]:
        got = seo_site.get(path)
        request = urllib.request.Request(seo_site.front.url + path, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        assert (status, body) == (got.status, b""), path
        assert headers["Content-Type"] == got.headers["Content-Type"], path
        assert headers.get("Cache-Control") == got.headers.get("Cache-Control"), path


def test_a_discontinued_product_page_offers_similar_products_and_is_not_indexed(seo_site):
    facts = seo_site.facts
    page = seo_site.get(f"/p/{facts.discontinued_id}/{facts.discontinued_slug}")
    assert page.status == 410
    assert "Similar products" in page.body
    assert page.cards()
    assert robots_meta(page) == "noindex,follow"


# -- listing URLs ------------------------------------------------------------------------------


def test_listing_urls_point_crawlers_at_the_plain_category_or_their_own_page(seo_site):
    dept = seo_site.facts.department_slug
    plain = f"{seo_site.base}/c/{dept}"
    brand = re.search(
        r'class="facet__value" rel="nofollow" href="/filter/[^"?]+\?brand=([^"&]+)"',
        seo_site.get(f"/c/{dept}").body,
    ).group(1)
    colour = re.search(
        r'href="/filter/[^"?]+\?brand=[^"&]+&amp;colour=([^"&]+)"',
        seo_site.get(f"/filter/{dept}?brand={brand}").body,
    ).group(1)
    cases = [
        (f"/c/{dept}", plain, ""),
        (f"/c/{dept}?sort=price-asc", plain, ""),
        (f"/filter/{dept}?brand={brand}", plain, ""),
        (f"/filter/{dept}?brand={brand}&colour={colour}", plain, "noindex,follow"),
        (f"/c/{dept}?page=2", f"{plain}?page=2", ""),
        (f"/c/{dept}?page=2&sort=name", f"{plain}?page=2", ""),
    ]
    for path, expected_canonical, expected_robots in cases:
        page = seo_site.get(path)
        assert page.status == 200, path
        assert canonical(page) == expected_canonical, path
        assert robots_meta(page) == expected_robots, path


def test_a_configured_public_url_makes_every_absolute_url(database, tmp_path):
    processes = Processes(database, tmp_path)
    try:
        worker = processes.start_worker()
        public = "https://shop.example"
        front = processes.start_front(worker, env={"VITRINE_PUBLIC_URL": public})
        robots = fetch(front.url + "/robots.txt").body
        assert f"Sitemap: {public}/sitemap.xml" in robots
        assert (
            f"<loc>{public}/sitemaps/landings.xml</loc>" in fetch(front.url + "/sitemap.xml").body
        )
        page = fetch(front.url + "/l/winter-sale")
        assert canonical(page) == f"{public}/l/winter-sale"
        assert f'<meta property="og:url" content="{public}/l/winter-sale">' in page.body
    finally:
        processes.stop_all()


# -- caching -----------------------------------------------------------------------------------


def test_anonymous_pages_are_briefly_shareable_and_answer_304_to_a_matching_etag(seo_site):
    path = f"/c/{seo_site.facts.department_slug}"
    page = seo_site.get(path)
    assert page.headers["Cache-Control"] == "public, max-age=5"
    assert page.headers["Vary"] == "Accept-Encoding, Cookie"
    assert page.headers.get("Set-Cookie") is None
    etag = page.headers["ETag"]
    again = seo_site.get(path, **{"If-None-Match": etag})
    assert again.status == 304
    assert again.body == ""
    assert seo_site.get(path, **{"If-None-Match": '"other"'}).status == 200


def test_a_page_with_a_form_token_is_private_yet_its_etag_holds_across_requests(seo_site):
    path = "/account/login"
    first = seo_site.get(path)
    assert first.headers["Cache-Control"] == "private, no-store"
    cookie = first.headers["Set-Cookie"].split(";")[0]
    second = seo_site.get(path, Cookie=cookie)
    token = re.compile(r'name="_xsrf" value="([^"]+)"')
    assert token.search(first.body).group(1) != token.search(second.body).group(1)  # masked
    assert second.headers["ETag"] == first.headers["ETag"]
    revalidated = seo_site.get(path, Cookie=cookie, **{"If-None-Match": first.headers["ETag"]})
    assert revalidated.status == 304
    # Without that cookie the page holds a new token: a cached copy's old one would be refused.
    other = seo_site.get(path, **{"If-None-Match": first.headers["ETag"]})
    assert other.status == 200
    assert other.headers["ETag"] != first.headers["ETag"]


def test_pages_that_read_a_basket_are_private_and_shopper_pages_are_not_indexed(seo_site):
    shopper = Shopper(seo_site.base)
    variant = product_option(shopper, seo_site.facts)
    added = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    assert added.status == 303
    category = shopper.request(f"/c/{seo_site.facts.department_slug}")
    assert category.headers["Cache-Control"] == "private"
    login = seo_site.get("/account/login")
    assert login.headers["Cache-Control"] == "private, no-store"
    assert robots_meta(login) == "noindex,nofollow"
    basket = seo_site.get("/basket")
    assert "private" in basket.headers["Cache-Control"]
    assert robots_meta(basket) == "noindex,nofollow"


# -- the audit ---------------------------------------------------------------------------------


def test_the_seo_audit_passes_on_the_demo_site(seo_site, tmp_path):
    report_path = tmp_path / "audit.json"
    done = subprocess.run(
        [sys.executable, "-m", "ops.cli", "seo-audit", seo_site.base, "--report", str(report_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(report_path.read_text())
    assert report["errors"] == []
    assert report["pages_checked"] > seo_site.live_products
    assert "0 errors" in done.stdout
