"""Helpers for page tests: fetch without following redirects, read facts from the demo catalogue."""

from __future__ import annotations

import asyncio
import email
import email.policy
import http.cookiejar
import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from sqlalchemy import select

from api.db import create_engine
from api.schema import categories, product_old_slugs, products
from vitrine.config import Settings


@dataclass
class Page:
    status: int
    headers: Message
    body: str

    def cards(self) -> list[str]:
        return re.findall(r'<article class="product-card">(.*?)</article>', self.body, re.DOTALL)

    def card_brands(self) -> list[str]:
        return [re.search(r'product-card__brand">([^<]*)<', c).group(1) for c in self.cards()]

    def card_prices(self) -> list[float]:
        return [
            float(re.search(r"price__now[^>]*>€([\d,]+\.\d\d)<", c).group(1).replace(",", ""))
            for c in self.cards()
        ]

    def card_regular_prices(self) -> list[float]:
        """Each card's regular price: the struck-through one when a sale (named on the card)
        sets its price, else the price."""
        found = []
        for card in self.cards():
            css = "price__was" if "price__sale-name" in card else "price__now"
            amount = re.search(css + r"\b[^>]*>€([\d,]+\.\d\d)<", card).group(1)
            found.append(float(amount.replace(",", "")))
        return found


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Shows a redirect as it is (status and Location) instead of following it."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None) -> Page:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=10) as response:
            return Page(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as error:
        with error:
            return Page(error.code, error.headers, error.read().decode())


@dataclass(frozen=True)
class Facts:
    """Real slugs and ids from the seeded catalogue, so tests name what is there."""

    department_slug: str
    leaf_slug: str
    leaf_name: str
    product_id: int
    product_slug: str
    product_name: str
    discontinued_id: int
    discontinued_slug: str
    old_slug: str
    moved_id: int
    moved_slug: str


async def _read_facts(settings: Settings) -> Facts:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            department = (
                await conn.execute(
                    select(categories.c.slug)
                    .where(categories.c.depth == 0)
                    .order_by(categories.c.position)
                )
            ).first()
            leaf = (
                await conn.execute(
                    select(categories.c.slug, categories.c.name, categories.c.id)
                    .where(
                        categories.c.depth == 2,
                        categories.c.id.in_(
                            select(products.c.category_id).where(products.c.discontinued.is_(False))
                        ),
                    )
                    .order_by(categories.c.id)
                )
            ).first()
            product = (
                await conn.execute(
                    select(products.c.id, products.c.slug, products.c.name)
                    .where(products.c.discontinued.is_(False), products.c.category_id == leaf.id)
                    .order_by(products.c.id)
                )
            ).first()
            gone = (
                await conn.execute(
                    select(products.c.id, products.c.slug)
                    .where(products.c.discontinued.is_(True))
                    .order_by(products.c.id)
                )
            ).first()
            moved = (
                await conn.execute(
                    select(product_old_slugs.c.slug, products.c.id, products.c.slug.label("now"))
                    .join(products, products.c.id == product_old_slugs.c.product_id)
                    .order_by(products.c.id)
                )
            ).first()
    finally:
        await engine.dispose()
    return Facts(
        department.slug,
        leaf.slug,
        leaf.name,
        product.id,
        product.slug,
        product.name,
        gone.id,
        gone.slug,
        moved.slug,
        moved.id,
        moved.now,
    )


def catalogue_facts(database: dict[str, str]) -> Facts:
    settings = Settings(
        database_url=database["VITRINE_DATABASE_URL"],
        database_schema=database.get("VITRINE_DATABASE_SCHEMA", ""),
    )
    return asyncio.run(_read_facts(settings))


def own_address() -> str:
    """An address of a shopper's own (TEST-NET-2), sent as X-Real-IP to a front that trusts
    127.0.0.1 as its proxy: the registration and log-in limits count per address, and tests
    sharing a database must not use up each other's turns."""
    return f"198.51.100.{secrets.randbelow(250) + 1}"


class Shopper:
    """A browser without JavaScript: keeps cookies, follows nothing by itself, and sends the
    site's Origin with a form, as every current browser does."""

    def __init__(self, base: str, address: str = "") -> None:
        self.base = base
        # Sent as X-Real-IP, which a front trusting 127.0.0.1 as its proxy takes as the address.
        self.address = address
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def request(
        self,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str | None] | None = None,
    ) -> Page:
        """GET `path`, or POST `form` to it; a header given as None is left out (`{"Origin":
        None}`: a client that does not say where the form came from)."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        sent: dict[str, str | None] = {"X-Real-IP": self.address} if self.address else {}
        if form is not None:
            sent["Origin"] = self.base
        chosen = {**sent, **(headers or {})}
        wanted = {name: value for name, value in chosen.items() if value is not None}
        request = urllib.request.Request(self.base + path, data=data, headers=wanted)
        try:
            with self.opener.open(request, timeout=10) as response:
                return Page(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Page(error.code, error.headers, error.read().decode())

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)


def xsrf_field(page: Page) -> str:
    """The value of a page's _xsrf form field."""
    return re.search(r'name="_xsrf" value="([^"]+)"', page.body).group(1)


def set_cookie(page: Page, name: str) -> str:
    """The Set-Cookie line a response sent for cookie `name`."""
    return next(h for h in page.headers.get_all("Set-Cookie") if h.startswith(f"{name}="))


def product_option(shopper: Shopper, facts: Facts) -> str:
    """The product page's first option in stock, for its add-to-basket form (which needs no
    token: the shopper sends the site's Origin, as a browser does)."""
    return first_in_stock(shopper.request(f"/p/{facts.product_id}/{facts.product_slug}"))


def first_in_stock(page: Page) -> str:
    """The id of the first option in stock a product page's form offers: the variant_id its
    script posts (without the script a size x colour form posts the colour and size instead)."""
    return str(next(variant[0] for variant in product_variants(page) if variant[3]))


def product_variants(page: Page) -> list[list]:
    """The variants a product page's form offers, as [id, colour, size, stock] each (what its
    script reads from data-variants)."""
    found = re.search(r"<form class=\"add-to-basket\"[^>]* data-variants='([^']*)'", page.body)
    assert found, "the page has no add-to-basket form"
    return json.loads(found.group(1))


REGISTRATION_MAIL_SECONDS = 10


def registration_mails(outbox: Path, to: str) -> list[str]:
    """The plain text of the registration emails the workers wrote for `to`, oldest first."""
    found = []
    for path in sorted(outbox.glob("registration-*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            found.append(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    return found


def wait_for_registration_mail(outbox: Path, to: str, count: int = 1) -> str:
    """The `count`-th registration email to `to`, once a worker has written it."""
    deadline = time.monotonic() + REGISTRATION_MAIL_SECONDS
    while len(mails := registration_mails(outbox, to)) < count:
        assert time.monotonic() < deadline, f"no registration email {count} to {to}"
        time.sleep(0.05)
    return mails[count - 1]


def confirmation_path(text: str) -> str:
    """The path of the link in a registration email that makes the account."""
    found = re.search(r"https?://[^/\s]+(/account/confirm/[A-Za-z0-9_-]+)", text)
    assert found is not None, text
    return found.group(1)


def register_and_confirm(
    shopper: Shopper, outbox: Path, email_address: str, name: str, password: str
) -> Page:
    """Register as a shopper does: the form, then the emailed link and its button. The answer
    to the button (303 to the account when it worked), or to the form when it was refused."""
    page = shopper.request("/account/register")
    form = {"_xsrf": xsrf_field(page), "email": email_address, "name": name, "password": password}
    count = len(registration_mails(outbox, email_address.strip().lower())) + 1
    asked = shopper.request("/account/register", form)
    if asked.status != 303:
        return asked
    link = confirmation_path(wait_for_registration_mail(outbox, email_address.lower(), count))
    return shopper.request(link, {"_xsrf": xsrf_field(shopper.request(link))})
