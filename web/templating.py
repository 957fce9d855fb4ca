"""The Jinja2 environment pages render with, and the filters templates format values with.

Templates receive protobuf messages as they come from the API; money is integer minor units
plus a currency code, turned into text here, once, with Babel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from cachetools import LRUCache
from google.protobuf.message import Message
from markupsafe import Markup

from vitrine.config import PROJECT_ROOT
from vitrine.formatting import TRANSLATIONS, country_name, date, money, number
from vitrine.urls import (
    category_url,
    help_path,
    landing_url,
    listing_url,
    product_path,
    product_url,
    query_pairs,
    query_string,
    search_url,
)
from web.product_page import colour_names, sold_out_variants, variant_choices
from web.structured_data import StructuredData

TEMPLATES_DIR = PROJECT_ROOT / "templates"
# Folders whose templates are not pages: included pieces, the developer tools' own pages, and
# emails (rendered by the API workers, api/mail.py).
NOT_PAGES = ("partials/", "debug/", "email/")
# The contract at the top of every template: `{#- What it is.\n    Reads: a (type), b (type). -#}`
# Names are comma-separated; text in parentheses is for people; the list ends at the first full
# stop outside parentheses and may wrap lines. `Reads: nothing.` declares none.
CONTRACT = re.compile(r"\A\{#-?(?P<comment>.*?)-?#\}", re.DOTALL)


def with_params(base: dict[str, Any], **changes: Any) -> str:
    """The query string of `base` with `changes` applied; None removes a parameter."""
    pairs = query_pairs({**base, **changes})
    return "?" + query_string(pairs) if pairs else ""


def category_link(category_slug: str, base: dict[str, Any], **changes: Any) -> str:
    """The listing URL of `base` with `changes` applied (see vitrine.urls.listing_url)."""
    return listing_url(category_slug, {**base, **changes})


def search_link(base: dict[str, Any], **changes: Any) -> str:
    """The search URL of `base` (q and the listing parameters) with `changes` applied."""
    return search_url({**base, **changes})


# Distinct shop-wide replies a front renders fragments for at once: a new category tree replaces
# the old one every few minutes at most, so a handful is plenty; past it, all are dropped.
SHOP_WIDE_FRAGMENTS = 16


class ShopWideFragments:
    """Pieces of every page that depend only on shop-wide replies (the footer on the category
    tree), rendered once per distinct reply and reused: `{{ shop_wide("partials/footer.html",
    nav=nav) }}` renders the partial with only `nav` in its context, and the next page with an
    equal tree gets the same text. The key is the replies' bytes, so an edited category shows
    at once; and the template itself, so `make dev`'s reloaded templates show too. Only messages
    (or None) may be passed: anything else would not be a reply every shopper shares."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self.rendered: dict[tuple[Any, ...], Markup] = {}

    def __call__(self, template: str, **replies: Message | None) -> Markup:
        page = self.env.get_template(template)
        key = (page, *(self._bytes(name, reply) for name, reply in sorted(replies.items())))
        html = self.rendered.get(key)
        if html is None:
            if len(self.rendered) >= SHOP_WIDE_FRAGMENTS:
                self.rendered.clear()
            html = self.rendered[key] = Markup(page.render(replies))  # noqa: S704 - rendered by Jinja, escaped there
        return html

    @staticmethod
    def _bytes(name: str, reply: Message | None) -> tuple[str, bytes | None]:
        if reply is not None and not isinstance(reply, Message):
            raise TypeError(f"shop_wide: {name} must be a reply (a protobuf message) or none")
        return name, None if reply is None else reply.SerializeToString(deterministic=True)


# Product cards a front keeps rendered: a card is about 1.2 KB of HTML, its key a summary of
# about 200 bytes, so 4,096 of them hold about 6 MB.
REUSED_CARDS = 4096


class ReusedMacro:
    """A macro whose HTML is a function of its one argument, a protobuf message, rendered once
    per distinct message and reused: `{{ product_card(item) }}`. A product card shows on many
    pages (a leaf category's first products on each of its products' pages, the same products
    on a category's filtered pages and in search results) and cost 16 µs to render against
    0.5 µs to serialize its summary, the key (with the message's type). With `make dev`'s
    reloaded templates the key holds the template too, so an edited card shows at once."""

    def __init__(
        self, env: jinja2.Environment, template: str, macro: str, max_entries: int
    ) -> None:
        self.env = env
        self.template = template
        self.macro = macro
        self.rendered: LRUCache[tuple[Any, ...], Markup] = LRUCache(maxsize=max_entries)
        self._loaded: jinja2.Template | None = None

    def __call__(self, message: Message) -> Markup:
        if not isinstance(message, Message):
            raise TypeError(f"{self.macro}: its argument must be a protobuf message")
        page = self._template()
        key = (page, type(message), message.SerializeToString(deterministic=True))
        html = self.rendered.get(key)
        if html is None:
            html = self.rendered[key] = getattr(page.module, self.macro)(message)
        return html

    def _template(self) -> jinja2.Template:
        if self._loaded is None or self.env.auto_reload:
            self._loaded = self.env.get_template(self.template)
        return self._loaded


class PageEnvironment(jinja2.Environment):
    """Jinja's environment with each template's globals a plain dict, not a ChainMap over the
    environment's.

    Jinja reads a template's globals at every render, include and `{% from ... import %}`:
    it copies them into each new context and, per import, takes the importing context's
    global names minus the imported template's. On a ChainMap each of those is a Python loop
    (an import cost 15 µs, a few per page); on a dict it is C. The price: a global added to the
    environment after a template is loaded does not reach that template, which Jinja's
    documentation already says not to do (make_environment sets them all first)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def make_environment(
    locale: str,
    asset_urls: Callable[[str], list[str]],
    *,
    directory: Path = TEMPLATES_DIR,
    auto_reload: bool = False,
    public_url: str = "http://127.0.0.1:8000",
) -> jinja2.Environment:
    """The pages' environment; `public_url` is the site's address in canonical links, Open
    Graph tags and structured data."""
    env = PageEnvironment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"]),
        # A typo in a template fails loudly instead of rendering an empty string.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=auto_reload,
        extensions=["jinja2.ext.do", "jinja2.ext.i18n"],
    )
    # Plurals through gettext's ngettext ("1 item", "2 items"), from vitrine.formatting's catalogue.
    env.install_gettext_translations(TRANSLATIONS, newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = lambda value: money(value, locale)
    env.filters["number"] = lambda value: number(int(value), locale)
    env.filters["date"] = lambda value, style="medium": date(value, locale, style)
    env.filters["country"] = lambda code: country_name(code, locale)
    # Codes as (code, name) pairs in the order of their names, for a country <select>.
    env.filters["country_choices"] = lambda codes: sorted(
        ((code, country_name(code, locale)) for code in codes), key=lambda pair: pair[1]
    )
    env.globals.update(
        asset_urls=asset_urls,
        product_url=product_url,
        product_path=product_path,
        help_path=help_path,
        category_url=category_url,
        landing_url=landing_url,
        with_params=with_params,
        category_link=category_link,
        search_link=search_link,
        locale=locale,
        public_url=public_url.rstrip("/"),
        absolute_url=lambda path: _absolute(public_url.rstrip("/"), path),
        structured_data=StructuredData(public_url.rstrip("/")),
        variant_choices=variant_choices,
        colour_names=colour_names,
        sold_out_variants=sold_out_variants,
    )
    env.globals["shop_wide"] = ShopWideFragments(env)
    env.globals["product_card"] = ReusedMacro(
        env, "partials/product_card.html", "product_card", REUSED_CARDS
    )
    return env


def _absolute(base: str, url: str) -> str:
    return base + url if url.startswith("/") else url


def page_templates(env: jinja2.Environment) -> list[str]:
    """The templates a handler renders: everything but base.html, partials and the dev tools."""
    return [
        name
        for name in env.list_templates(extensions=["html"])
        if name != "base.html" and not name.startswith(NOT_PAGES)
    ]


def declared_reads(source: str) -> frozenset[str]:
    """The variable names a template's opening comment says it reads (see CONTRACT)."""
    found = CONTRACT.match(source)
    comment = found.group("comment") if found else ""
    _, marker, rest = comment.partition("Reads:")
    if not marker:
        raise ValueError("the opening comment has no 'Reads:' list")
    names, depth, current = [], 0, ""
    for char in rest:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char in ",.":
            names.append(current.strip())
            current = ""
            if char == ".":
                break
        elif depth == 0:
            current += char
    else:
        names.append(current.strip())
    words = [name for name in names if name]
    if words == ["nothing"]:
        return frozenset()
    if not all(word.isidentifier() for word in words):
        raise ValueError(f"'Reads:' must list names, comma-separated: found {words}")
    return frozenset(words)


def found_reads(env: jinja2.Environment, name: str) -> frozenset[str]:
    """The context variables Jinja finds the template reading: undeclared names, less the
    environment's globals and what the template sets itself (Jinja reports a name `{% set %}`
    in only one branch of an `if` as undeclared)."""
    source = env.loader.get_source(env, name)[0] if env.loader else ""
    tree = env.parse(source)
    targets = [
        node.target
        for node in tree.find_all((jinja2.nodes.Assign, jinja2.nodes.AssignBlock))
        if isinstance(node, jinja2.nodes.Assign | jinja2.nodes.AssignBlock)
    ]
    assigned = {
        name.name
        for target in targets
        for name in [target, *target.find_all(jinja2.nodes.Name)]
        if isinstance(name, jinja2.nodes.Name)
    }
    # Macros a template imports (`{% from "partials/x.html" import x %}`) are its own names too.
    for node in tree.find_all((jinja2.nodes.FromImport, jinja2.nodes.Import)):
        if isinstance(node, jinja2.nodes.FromImport):
            assigned |= {alias if isinstance(alias, str) else alias[1] for alias in node.names}
        elif isinstance(node, jinja2.nodes.Import):
            assigned.add(node.target)
    undeclared = jinja2.meta.find_undeclared_variables(tree)
    return frozenset(undeclared - set(env.globals) - assigned)
