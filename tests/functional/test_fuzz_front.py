"""Every route of the front's route table (`web/app.py`'s ROUTES, as `make_app` serves them,
read here, so a new route is fuzzed without a line changed), fuzzed against a real front and
worker: hostile path parameters, query strings, headers, cookies and form bodies get an answer
below 500, and both processes live on. A POST without the xsrf token or the browser's word that
it comes from this site is refused (403) and changes nothing of the shopper it was forged for."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import tornado.routing
import tornado.web
from hypothesis import given
from hypothesis import strategies as st

from tests.functional.fuzzing import (
    HEADER_TEXT,
    HOSTILE_TEXT,
    ODD_NUMBERS,
    Answer,
    Tally,
    fuzz_settings,
    report,
    seeded_database,
    send,
)
from tests.functional.pages import Facts, Shopper, catalogue_facts, product_option, xsrf_field
from tests.processes import Process, Processes, WorkerProcess
from vitrine.config import Settings
from web.app import routes_served
from web.handlers.base import NotFoundHandler

# Examples per route: ~35 routes, ~600 requests: 10 s on this 2-core machine, 60 s when busy.
EXAMPLES_PER_ROUTE = 14
FORGED_POSTS_PER_ROUTE = 8
PASSWORD = "correct horse battery"

PARAMS = ["q", "page", "sort", "brand", "colour", "size", "price", "next", "token", "quantity"]
FIELDS = [
    "_xsrf", "variant_id", "quantity", "remove", "email", "password", "name", "line1", "line2",
    "city", "postcode", "country", "phone", "shipping_method", "card_number", "expiry", "cvc",
    "idempotency_key",
]  # fmt: skip
HEADERS = [
    "Accept", "Accept-Language", "Accept-Encoding", "Content-Type", "Origin", "Referer",
    "Sec-Fetch-Site", "X-Request-Id", "X-Real-IP", "X-Forwarded-Proto", "X-Forwarded-For",
    "If-None-Match", "If-Modified-Since", "Range", "X-XSRFToken", "X-Vitrine-Capture", "Host",
    "Authorization", "Connection", "Expect",
]  # fmt: skip
# A browser's word that a form is this site's (web/request_origin.py): never in a forged POST.
SITE_EVIDENCE = {"Origin", "Referer", "Sec-Fetch-Site", "X-XSRFToken", "Host", "X-Forwarded-Proto"}
FOREIGN = st.sampled_from(
    [
        [("Origin", "https://evil.example")],
        [("Origin", "null")],
        [("Sec-Fetch-Site", "cross-site")],
        [("Referer", "https://evil.example/")],
        [],
    ]
)


@dataclass(frozen=True)
class Route:
    """One rule of the route table, with what its handler answers."""

    pattern: str
    regex: re.Pattern[str]
    matcher: tornado.routing.PathMatches | None  # None: the default (404) handler
    handler: str
    methods: tuple[str, ...]

    def reverse(self, *args: str) -> str:
        assert self.matcher is not None
        return self.matcher.reverse(*args) or "/"


def _methods(handler: type[tornado.web.RequestHandler]) -> tuple[str, ...]:
    own = [
        m
        for m in ("get", "post")
        if getattr(handler, m) is not getattr(tornado.web.RequestHandler, m)
    ]
    return tuple(m.upper() for m in own) + (("HEAD",) if "get" in own else ())


def front_routes() -> list[Route]:
    """The route table a front with an API serves (what `make_app` gives Tornado), and its
    default handler for every other path."""
    routes = []
    for served in routes_served(Settings(), with_api=True):
        matcher = tornado.routing.PathMatches(served.pattern)
        methods = _methods(served.handler)
        routes.append(
            Route(served.pattern, matcher.regex, matcher, served.handler.__name__, methods)
        )
    other = Route(
        "(any other path)", re.compile(".*"), None, NotFoundHandler.__name__, ("GET", "HEAD")
    )
    return [*routes, other]


ROUTES = front_routes()
POST_ROUTES = [route for route in ROUTES if "POST" in route.methods]


@dataclass
class Stack:
    front: Process
    worker: WorkerProcess
    facts: Facts
    # Links found on the site's own pages, by route: real slugs and ids reach deeper code.
    real_paths: dict[str, list[str]]
    cookies: dict[str, str]  # a logged-in shopper with a basket: session, basket, _xsrf
    form_token: str  # that shopper's xsrf form token
    victim: Shopper  # another such shopper, for whom POSTs are forged
    tally: Tally

    def alive(self) -> bool:
        return self.front.process.poll() is None and self.worker.process.poll() is None


def logged_in_shopper(front: Process, facts: Facts) -> Shopper:
    shopper = Shopper(front.url)
    token = xsrf_field(shopper.request("/account/register"))
    email = f"fuzz-{secrets.token_hex(4)}@example.com"
    form = {"_xsrf": token, "email": email, "name": "Fuzz", "password": PASSWORD}
    assert shopper.request("/account/register", form).status == 303
    variant = product_option(shopper, facts)
    assert shopper.request("/basket/lines", {"variant_id": variant}).status == 303
    return shopper


def site_links(shopper: Shopper, facts: Facts) -> list[str]:
    pages = ["/", f"/c/{facts.leaf_slug}", f"/p/{facts.product_id}/{facts.product_slug}"]
    links = {facts.old_slug and f"/p/{facts.old_slug}"}
    for page in pages:
        links.update(re.findall(r'href="(/[^"#?]*)', shopper.request(page).body))
    return sorted(link for link in links if link)


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("fuzz-front")
    database = seeded_database(directory)
    processes = Processes(database, directory)
    tally = Tally("front")
    try:
        worker = processes.start_worker()
        # A long deadline: on this shared machine a slow moment must not read as a 503.
        patient = {"VITRINE_API_DEADLINE_MS": "10000", "VITRINE_TRUSTED_PROXIES": "127.0.0.1"}
        front = processes.start_front(worker, env=patient)
        facts = catalogue_facts(database)
        shopper = logged_in_shopper(front, facts)
        links = site_links(shopper, facts)
        real = {r.pattern: [p for p in links if r.regex.fullmatch(p)] for r in ROUTES}
        cookies = {c.name: c.value or "" for c in shopper.cookies}
        token = xsrf_field(shopper.request("/basket"))
        victim = logged_in_shopper(front, facts)
        yield Stack(front, worker, facts, real, cookies, token, victim, tally)
    finally:
        report(request, tally)
        processes.stop_all()


def paths(route: Route, real: list[str]) -> st.SearchStrategy[str]:
    if route.matcher is None:  # anything the table does not know
        return st.one_of(
            HOSTILE_TEXT.map(lambda text: "/" + quote(text, safe="/")),
            st.sampled_from(
                ["//evil.example", "/%2e%2e/%2e%2e/etc/passwd", "/P/1", "/C/X/", "/%00"]
            ),
        )
    options = [st.from_regex(route.regex, fullmatch=True).map(lambda p: quote(p, safe="/"))]
    if route.regex.groups:
        hostile = st.tuples(*[HOSTILE_TEXT] * route.regex.groups)
        options.append(hostile.map(lambda args: route.reverse(*args)))
    if real:
        options.append(st.sampled_from(real))
    return st.one_of(options)


PAIRS = st.lists(
    st.tuples(st.sampled_from(PARAMS) | st.text(max_size=6), HOSTILE_TEXT | ODD_NUMBERS), max_size=4
)
COOKIE_NAMES = st.sampled_from(["_xsrf", "session", "basket", "x"])
COOKIE_TEXT = HEADER_TEXT.filter(lambda value: ";" not in value)
RAW = st.lists(
    st.sampled_from(["%ff", "%00", "%", "==", "&&", "a=%zz", ";", "page=%C2%B2"]), max_size=2
)


def encoded(pairs: list[tuple[str, str]], raw: list[str]) -> str:
    return "&".join([f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs] + raw)


def cookie_header(values: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in values.items())


@st.composite
def requests(draw: st.DrawFn, route: Route, stack: Stack) -> tuple[str, str, list, bytes]:
    method = draw(st.sampled_from(route.methods) | st.sampled_from(["PUT", "OPTIONS", "DELETE"]))
    target = draw(paths(route, stack.real_paths[route.pattern]))
    query = encoded(draw(PAIRS), draw(RAW))
    headers: list[tuple[str, str | bytes]] = draw(
        st.lists(st.tuples(st.sampled_from(HEADERS), HEADER_TEXT), max_size=5)
    )
    # The real shopper's cookies and form token (so the handler itself runs), or hostile ones.
    trusted = draw(st.booleans())
    if trusted:
        cookies = {name: value for name, value in stack.cookies.items() if draw(st.booleans())}
        cookies["_xsrf"] = stack.cookies["_xsrf"]
    else:
        cookies = draw(st.dictionaries(COOKIE_NAMES, COOKIE_TEXT, max_size=3))
    if cookies:
        headers.append(("Cookie", cookie_header(cookies)))
    body = b""
    if method == "POST":
        fields = draw(
            st.lists(st.tuples(st.sampled_from(FIELDS), HOSTILE_TEXT | ODD_NUMBERS), max_size=6)
        )
        if trusted:
            fields.append(("_xsrf", stack.form_token))
            headers.append(("Origin", stack.front.url))
        kind = draw(st.sampled_from(["form", "form", "multipart", "json", "bytes"]))
        if kind == "form":
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = encoded(fields, draw(RAW)).encode()
        elif kind == "multipart":
            headers.append(("Content-Type", "multipart/form-data; boundary=fuzz"))
            body = draw(st.binary(max_size=300))
        elif kind == "json":
            headers.append(("Content-Type", "application/json"))
            body = draw(st.binary(max_size=100))
        else:
            body = draw(st.binary(max_size=300))
    return method, target + ("?" + query if query else ""), headers, body


def check(stack: Stack, request: tuple[str, str, list, bytes], answer: Answer) -> None:
    stack.tally.count(answer.status)
    method, target, headers, body = request
    assert answer.status < 500, (method, target, headers, body[:300], stack.front.log[-3000:])


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.handler}:{route.pattern}")
def test_fuzzed_requests_to_every_route_get_no_5xx(stack, route):
    @fuzz_settings(EXAMPLES_PER_ROUTE)
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        request = data.draw(requests(route, stack))
        check(stack, request, send(stack.front.url, *request))

    fuzz()
    assert stack.alive()


def victim_state(stack: Stack) -> tuple[int, str, str]:
    account = stack.victim.request("/account")
    basket = stack.victim.request("/basket").body
    lines = re.findall(r'name="quantity" type="number"[^>]* value="(\d+)"', basket)
    orders = stack.victim.request("/account/orders").body
    return account.status, ",".join(lines), str(orders.count("/account/orders/"))


@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda route: f"{route.handler}:{route.pattern}")
def test_a_post_forged_for_a_logged_in_shopper_is_refused_and_changes_nothing(stack, route):
    before = victim_state(stack)
    cookies = cookie_header({c.name: c.value or "" for c in stack.victim.cookies})

    @fuzz_settings(FORGED_POSTS_PER_ROUTE)
    @given(
        target=paths(route, stack.real_paths[route.pattern]),
        fields=st.lists(st.tuples(st.sampled_from(FIELDS[1:]), HOSTILE_TEXT), max_size=6),
        headers=st.lists(
            st.tuples(st.sampled_from([h for h in HEADERS if h not in SITE_EVIDENCE]), HEADER_TEXT),
            max_size=4,
        ),
        foreign=FOREIGN,
    )
    def forge(target: str, fields: list, headers: list, foreign: list) -> None:
        sent = [*headers, *foreign, ("Cookie", cookies)]
        sent.append(("Content-Type", "application/x-www-form-urlencoded"))
        request = ("POST", target, sent, encoded(fields, []).encode())
        answer = send(stack.front.url, *request)
        stack.tally.count(f"forged-{answer.status}")
        assert answer.status == 403, (request, answer.body[:500])

    forge()
    assert victim_state(stack) == before
    assert stack.alive()


def test_the_front_and_the_worker_outlive_the_fuzzing(stack):
    assert stack.alive()
    assert send(stack.front.url, "GET", "/healthz", []).status == 200
    product = f"/p/{stack.facts.product_id}/{stack.facts.product_slug}"
    assert send(stack.front.url, "GET", product, []).status == 200
