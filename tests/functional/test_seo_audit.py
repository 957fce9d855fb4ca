"""The SEO audit against a small site on loopback with planted faults: it must find each one,
and find nothing on the same site without them."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import tornado.web

from ops.seo_audit import Report, audit

GOOD_PRODUCT = {
    "@context": "https://schema.org",
    "@type": "Product",
    "name": "Blue Scarf",
    "sku": "S1",
    "brand": {"@type": "Brand", "name": "Acme"},
    "image": ["IMAGE"],
    "offers": {
        "@type": "Offer",
        "price": "10.00",
        "priceCurrency": "EUR",
        "availability": "https://schema.org/InStock",
        "itemCondition": "https://schema.org/NewCondition",
        "url": "URL",
    },
}


def page(base: str, path: str, title: str, *, links: list[str], product: Any = None) -> str:
    ld = ""
    if product is not None:
        ld = f'<script type="application/ld+json">{json.dumps(product)}</script>'
    anchors = "".join(f'<a href="{link}">{link}</a>' for link in links)
    kind = "product" if product is not None else "website"
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        f'<meta name="description" content="What is at {path}">'
        f'<link rel="canonical" href="{base}{path}">'
        f'<meta property="og:type" content="{kind}">{ld}</head><body>{anchors}</body></html>'
    )


SITEMAP = '<?xml version="1.0"?><{0} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{1}</{0}>'
CRAWLER_FILES = {
    "/robots.txt": "User-agent: *\nDisallow: /basket\n\nSitemap: BASE/sitemap.xml\n",
    "/sitemap.xml": SITEMAP.format("sitemapindex", "<sitemap><loc>BASE/pages.xml</loc></sitemap>"),
    "/pages.xml": SITEMAP.format(
        "urlset",
        "".join(
            f"<url><loc>BASE{path}</loc><lastmod>2026-01-01</lastmod></url>"
            for path in ("/", "/p/1", "/p/2")
        ),
    ),
}


def make_site(faults: set[str]) -> tornado.web.Application:
    """robots.txt, a sitemap index, one child with three pages; `faults` plants problems."""

    class Handler(tornado.web.RequestHandler):
        def get(self) -> None:
            base = f"{self.request.protocol}://{self.request.host}"
            path = self.request.path
            if path in CRAWLER_FILES:
                self.write(CRAWLER_FILES[path].replace("BASE", base))
                return
            product = json.loads(
                json.dumps(GOOD_PRODUCT).replace("URL", base + path).replace("IMAGE", base + "/i")
            )
            if path == "/":
                links = ["/p/1", "/p/2", "/basket", "/about"]
                if "broken link" in faults:
                    links.append("/gone")
                self.write(page(base, path, "Home", links=links))
            elif path in {"/p/1", "/p/2"}:
                title = "Blue Scarf" if "duplicate title" in faults else f"Scarf {path[-1]}"
                if path == "/p/2" and "missing field" in faults:
                    del product["offers"]["priceCurrency"]
                    del product["sku"]
                self.write(page(base, path, title, links=["/"], product=product))
            elif path == "/about":
                if "busy once" in faults:
                    faults.discard("busy once")
                    self.set_status(503)
                    return
                self.write(page(base, path, "About", links=["/"]))
            else:
                self.set_status(404)
                self.write("not found")

    return tornado.web.Application([(r"/.*", Handler)])


def run_audit(faults: set[str]) -> Report:
    async def main() -> Report:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = make_site(faults).listen(port, address="127.0.0.1")
        try:
            return await audit(f"http://127.0.0.1:{port}")
        finally:
            server.stop()

    return asyncio.run(main())


def checks(report: Report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report.errors:
        found.setdefault(finding.check, []).append(finding.url.rsplit("/", 2)[-2:][-1])
    return found


def test_the_audit_finds_nothing_on_a_clean_site():
    report = run_audit(set())
    assert report.errors == []
    assert report.pages_checked == 3
    assert report.links_checked == 1  # /about; /basket is disallowed by robots.txt
    assert len(report.sitemaps) == 2


def test_the_audit_finds_a_link_to_a_404():
    report = run_audit({"broken link"})
    assert checks(report) == {"broken link": ["gone"]}


def test_the_audit_finds_duplicate_titles():
    report = run_audit({"duplicate title"})
    assert list(checks(report)) == ["duplicate title"]
    assert "Blue Scarf" in report.errors[0].message


def test_the_audit_finds_a_product_missing_required_fields():
    report = run_audit({"missing field"})
    assert checks(report) == {"json-ld product": ["2"]}
    assert "sku" in report.errors[0].message
    assert "offers.priceCurrency" in report.errors[0].message


def test_the_report_and_summary_name_each_error():
    report = run_audit({"broken link", "duplicate title"})
    summary = report.summary()
    assert "error: broken link: 1" in summary
    assert "error: duplicate title: 1" in summary
    saved = json.loads(report.as_json())
    assert {error["check"] for error in saved["errors"]} == {"broken link", "duplicate title"}


def test_the_audit_asks_again_after_a_503_as_a_crawler_would():
    report = run_audit({"busy once"})
    assert report.errors == []
    assert report.links_checked == 1
