"""`vitrine seo-audit BASE_URL`: crawl a storefront as a search engine would (robots.txt, then
the sitemaps, then every listed URL and the links on those pages) and report what would hurt
its indexing. Errors make the command exit non-zero, so CI can run it against the demo site."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# The sitemap protocol's limits for one file.
SITEMAP_MAX_URLS = 50_000
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
# Polite to the site, and enough to crawl the demo in seconds.
CONCURRENCY = 8
REQUEST_TIMEOUT_SECONDS = 30
USER_AGENT = "VitrineSeoAudit/1.0"
# As crawlers do, "come back later" answers are asked again after a pause before they count.
RETRY_STATUSES = frozenset({429, 503})
RETRIES = 2
RETRY_PAUSE_SECONDS = 1.0
# What a Product needs for rich results; an offer needs these (AggregateOffer: its own list).
PRODUCT_FIELDS = ("name", "sku", "brand", "image", "offers")
OFFER_FIELDS = ("price", "priceCurrency", "availability", "url", "itemCondition")
AGGREGATE_OFFER_FIELDS = ("lowPrice", "priceCurrency", "offerCount", "availability")


@dataclass
class Finding:
    url: str
    check: str
    message: str


@dataclass
class Report:
    base_url: str
    sitemaps: list[str] = field(default_factory=list)
    pages_checked: int = 0
    links_checked: int = 0
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    def error(self, url: str, check: str, message: str) -> None:
        self.errors.append(Finding(url, check, message))

    def warn(self, url: str, check: str, message: str) -> None:
        self.warnings.append(Finding(url, check, message))

    def summary(self) -> str:
        counts = f"{self.pages_checked} pages, {self.links_checked} more links checked"
        lines = [f"SEO audit of {self.base_url}: {len(self.sitemaps)} sitemaps, {counts}"]
        for kind, findings in (("error", self.errors), ("warning", self.warnings)):
            by_check: dict[str, list[Finding]] = defaultdict(list)
            for finding in findings:
                by_check[finding.check].append(finding)
            for check, found in sorted(by_check.items()):
                lines.append(
                    f"  {kind}: {check}: {len(found)} (e.g. {found[0].url}: {found[0].message})"
                )
        lines.append(f"{len(self.errors)} errors, {len(self.warnings)} warnings")
        return "\n".join(lines)

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


class PageFacts(HTMLParser):
    """What a crawler reads from a page's HTML: title, description, canonical, robots,
    Open Graph type, JSON-LD blocks and the links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.description: str | None = None
        self.canonicals: list[str] = []
        self.robots = ""
        self.og_type = ""
        self.json_ld: list[str] = []
        self.links: list[str] = []
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "title" or (tag == "script" and attr.get("type") == "application/ld+json"):
            self._in, self._text = tag, []
        elif tag == "meta" and attr.get("name") == "description":
            self.description = attr.get("content", "")
        elif tag == "meta" and attr.get("name") == "robots":
            self.robots = attr.get("content", "").lower()
        elif tag == "meta" and attr.get("property") == "og:type":
            self.og_type = attr.get("content", "")
        elif tag == "link" and "canonical" in attr.get("rel", "").split():
            self.canonicals.append(attr.get("href", ""))
        elif tag == "a" and attr.get("href"):
            self.links.append(attr["href"])

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in == tag:
            text = "".join(self._text).strip()
            if tag == "title":
                self.title = text
            else:
                self.json_ld.append(text)
            self._in = None

    @property
    def indexable(self) -> bool:
        return "noindex" not in self.robots


class Crawler:
    def __init__(self, base_url: str, max_urls: int) -> None:
        self.base = base_url.rstrip("/")
        self.host = urlsplit(self.base).netloc
        self.max_urls = max_urls
        self.report = Report(self.base)
        self.robots = RobotFileParser()
        self.client = AsyncHTTPClient(force_instance=True, max_clients=CONCURRENCY)
        self.limit = asyncio.Semaphore(CONCURRENCY)
        self.pages: dict[str, PageFacts] = {}

    async def fetch(self, url: str) -> HTTPResponse | None:
        request = HTTPRequest(
            url,
            follow_redirects=False,
            request_timeout=REQUEST_TIMEOUT_SECONDS,
            headers={"User-Agent": USER_AGENT},
        )
        for attempt in range(1 + RETRIES):
            async with self.limit:
                try:
                    response = await self.client.fetch(request, raise_error=False)
                except (OSError, HTTPClientError) as error:
                    self.report.error(url, "unreachable", str(error))
                    return None
            if response.code not in RETRY_STATUSES or attempt == RETRIES:
                return response
            await asyncio.sleep(RETRY_PAUSE_SECONDS * (attempt + 1))
        return None

    async def run(self) -> Report:
        try:
            sitemaps = await self.read_robots()
            page_urls = await self.read_sitemaps(sitemaps)
            await asyncio.gather(*(self.check_page(url) for url in page_urls[: self.max_urls]))
            self.check_duplicates()
            await self.check_links()
        finally:
            self.client.close()
        return self.report

    async def read_robots(self) -> list[str]:
        url = self.base + "/robots.txt"
        response = await self.fetch(url)
        if response is None or response.code != 200:
            status = response.code if response else "no answer"
            self.report.error(url, "robots.txt", f"answered {status}")
            return []
        self.robots.parse(response.body.decode(errors="replace").splitlines())
        sitemaps = self.robots.site_maps() or []
        if not sitemaps:
            self.report.error(url, "robots.txt", "names no Sitemap")
        for sitemap in sitemaps:
            if not urlsplit(sitemap).scheme:
                self.report.error(url, "robots.txt", f"Sitemap {sitemap} is not an absolute URL")
        return [urljoin(url, sitemap) for sitemap in sitemaps]

    async def read_sitemaps(self, queue: list[str]) -> list[str]:
        """Every page URL the sitemaps list, following sitemap indexes."""
        page_urls: list[str] = []
        seen: set[str] = set()
        while queue:
            batch = [url for url in dict.fromkeys(queue) if url not in seen]
            seen.update(batch)
            queue = []
            for url, response in zip(
                batch, await asyncio.gather(*(self.fetch(u) for u in batch)), strict=True
            ):
                if response is None:
                    continue
                self.report.sitemaps.append(url)
                children, pages = self.parse_sitemap(url, response)
                queue += children
                page_urls += pages
        return list(dict.fromkeys(page_urls))

    def parse_sitemap(self, url: str, response: HTTPResponse) -> tuple[list[str], list[str]]:
        if response.code != 200:
            self.report.error(url, "sitemap", f"answered {response.code}")
            return [], []
        if len(response.body) > SITEMAP_MAX_BYTES:
            self.report.error(url, "sitemap", f"{len(response.body)} bytes: over 50 MB")
        try:
            root = ET.fromstring(response.body)  # noqa: S314 - a sitemap we asked for, no entities
        except ET.ParseError as error:
            self.report.error(url, "sitemap", f"not XML: {error}")
            return [], []
        if root.tag == f"{SITEMAP_NS}sitemapindex":
            return [loc.text.strip() for loc in root.iter(f"{SITEMAP_NS}loc") if loc.text], []
        if root.tag != f"{SITEMAP_NS}urlset":
            self.report.error(url, "sitemap", f"root element {root.tag} is not a sitemap")
            return [], []
        entries = root.findall(f"{SITEMAP_NS}url")
        if len(entries) > SITEMAP_MAX_URLS:
            self.report.error(url, "sitemap", f"{len(entries)} URLs: over {SITEMAP_MAX_URLS}")
        pages = []
        for entry in entries:
            loc = (entry.findtext(f"{SITEMAP_NS}loc") or "").strip()
            if not loc.startswith(("http://", "https://")):
                self.report.error(url, "sitemap", f"<loc> {loc!r} is not an absolute URL")
                continue
            if not entry.findtext(f"{SITEMAP_NS}lastmod"):
                self.report.warn(loc, "sitemap lastmod", f"listed in {url} without <lastmod>")
            pages.append(loc)
        return [], pages

    async def check_page(self, url: str) -> None:
        """A URL from a sitemap: it must be allowed, answer 200, be indexable and canonical."""
        if not self.robots.can_fetch(USER_AGENT, url):
            self.report.error(url, "robots", "listed in a sitemap but disallowed by robots.txt")
        response = await self.fetch(url)
        if response is None:
            return
        self.report.pages_checked += 1
        if response.code != 200:
            where = response.headers.get("Location", "")
            self.report.error(
                url, "status", f"listed in a sitemap but answers {response.code} {where}"
            )
            return
        facts = PageFacts()
        facts.feed(response.body.decode(errors="replace"))
        self.pages[url] = facts
        if not facts.indexable:
            self.report.error(url, "robots", f"listed in a sitemap but meta robots {facts.robots}")
        if len(facts.canonicals) != 1:
            self.report.error(url, "canonical", f"{len(facts.canonicals)} canonical links")
        elif facts.canonicals[0] != url:
            self.report.error(url, "canonical", f"points to {facts.canonicals[0]}, not itself")
        if not facts.title:
            self.report.error(url, "title", "no <title>")
        if not facts.description:
            self.report.error(url, "description", "no meta description")
        self.check_structured_data(url, facts)

    def check_structured_data(self, url: str, facts: PageFacts) -> None:
        items: list[dict[str, Any]] = []
        for text in facts.json_ld:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                self.report.error(url, "json-ld", f"not JSON: {error}")
                continue
            items += [item for item in (data if isinstance(data, list) else [data]) if item]
        products = [item for item in items if item.get("@type") == "Product"]
        if facts.og_type == "product" and not products:
            self.report.error(url, "json-ld product", "a product page without Product JSON-LD")
        for product in products:
            missing = [name for name in PRODUCT_FIELDS if not product.get(name)]
            for offer in self.offers(product.get("offers")):
                fields = (
                    AGGREGATE_OFFER_FIELDS
                    if offer.get("@type") == "AggregateOffer"
                    else OFFER_FIELDS
                )
                missing += [f"offers.{name}" for name in fields if not offer.get(name)]
            if missing:
                lacking = ", ".join(dict.fromkeys(missing))
                self.report.error(url, "json-ld product", f"Product lacks {lacking}")

    @staticmethod
    def offers(offers: Any) -> list[dict[str, Any]]:
        """An Offer, a list of them, or an AggregateOffer and the offers it holds."""
        listed = offers if isinstance(offers, list) else [offers] if offers else []
        found = [offer for offer in listed if isinstance(offer, dict)]
        for offer in list(found):
            if offer.get("@type") == "AggregateOffer":
                found += [o for o in offer.get("offers", []) if isinstance(o, dict)]
        return found

    def check_duplicates(self) -> None:
        for attribute in ("title", "description"):
            holders: dict[str, list[str]] = defaultdict(list)
            for url, facts in self.pages.items():
                value = getattr(facts, attribute)
                if value and facts.indexable:
                    holders[value].append(url)
            for value, urls in holders.items():
                if len(urls) > 1:
                    shown = ", ".join(sorted(urls)[:3])
                    self.report.error(
                        urls[0],
                        f"duplicate {attribute}",
                        f"{value[:80]!r} on {len(urls)} pages: {shown}",
                    )

    async def check_links(self) -> None:
        """Links on the crawled pages that a crawler may follow: none may lead to a 404."""
        found: dict[str, str] = {}
        for url, facts in self.pages.items():
            for href in facts.links:
                target = urldefrag(urljoin(url, href)).url
                same_site = urlsplit(target).netloc == self.host
                if (
                    same_site
                    and target not in self.pages
                    and self.robots.can_fetch(USER_AGENT, target)
                ):
                    found.setdefault(target, url)
        targets = list(found)[: max(0, self.max_urls - len(self.pages))]
        responses = await asyncio.gather(*(self.fetch(target) for target in targets))
        for target, response in zip(targets, responses, strict=True):
            if response is None:
                continue
            self.report.links_checked += 1
            if response.code in {404, 410} or response.code >= 500:
                self.report.error(
                    target, "broken link", f"answers {response.code}; linked from {found[target]}"
                )


async def audit(base_url: str, *, max_urls: int = 10_000) -> Report:
    return await Crawler(base_url, max_urls).run()


def run_audit(base_url: str, report_path: Path, max_urls: int) -> int:
    """The command: print the summary, write the JSON report, 1 when an error was found."""
    report = asyncio.run(audit(base_url, max_urls=max_urls))
    print(report.summary())
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(report.as_json())
    print(f"report: {report_path}")
    return 1 if report.errors else 0
