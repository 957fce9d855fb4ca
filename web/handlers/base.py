"""What every page needs, once: the batch with the navigation call, domain errors turned into
HTTP statuses and error pages, the Server-Timing header, the trace id."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

import tornado.web
from tornado.httputil import responses

from api_client import (
    ApiError,
    Batch,
    Call,
    FailedPrecondition,
    Invalid,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
)
from contract import envelope_pb2
from web.cache_policy import ERROR_CACHE_CONTROL, XSRF_COOKIE, CachePolicy
from web.content_encoding import MIN_GZIP_LENGTH, accepts_gzip, gzip_bytes
from web.debug_panel import captured_context, with_debug_panel
from web.local_redirect import local_target
from web.logged_uri import logged_uri
from web.shopper_cookies import ShopperCookies
from web.whole_numbers import parse_whole_number

if TYPE_CHECKING:
    from web.app import VitrineApplication

log = logging.getLogger("vitrine.web")

# The navigation is optional on every page: cached on the workers, it is fast or it is left out.
NAV_DEADLINE_MS = 250
# So is the basket badge, asked for only when the shopper has a basket.
BADGE_DEADLINE_MS = 250
SESSION_DEADLINE_MS = 250
# Writes (a basket change, an account, a checkout step) wait longer than page reads: under load,
# or behind SQLite's one writer at a time, they may queue, and password hashing takes CPU;
# giving up early would only make the shopper click again.
WRITE_DEADLINE_MS = 5_000
# An incoming X-Request-Id (from nginx) is kept as the trace id when it looks like one.
TRACE_ID = re.compile(r"[0-9a-f]{16,32}")
# In debug mode a request carrying this header is answered with the page's context as JSON
# (what `vitrine fixtures capture` stores) instead of the HTML.
CAPTURE_HEADER = "X-Vitrine-Capture"
ERROR_TEMPLATES = {
    400: "errors/400.html",
    403: "errors/403.html",
    404: "errors/404.html",
    409: "errors/409.html",
    429: "errors/429.html",
    503: "errors/503.html",
}


class PageError(tornado.web.HTTPError):
    """An error page with a message for the shopper (never a traceback); a 429's Retry-After."""

    def __init__(self, status: int, message: str = "", *, retry_after_seconds: int = 0) -> None:
        super().__init__(status, log_message=message.replace("%", "%%") or None)
        self.message = message
        self.retry_after_seconds = retry_after_seconds


def whole_number(raw: str, *, name: str, lowest: int, highest: int) -> int:
    """`raw` as a whole number from `lowest` to `highest`, or a 400 saying so."""
    value = parse_whole_number(raw, lowest, highest)
    if value is None:
        raise PageError(400, f"{name} must be a whole number from {lowest} to {highest}.")
    return value


class BaseHandler(tornado.web.RequestHandler):
    application: VitrineApplication

    def initialize(self) -> None:
        self.trace_id = ""
        self.calls: list[Call] = []
        self.nav: Call | None = None
        self.badge: Call | None = None
        self.session: Call | None = None
        self.shopper = ShopperCookies(self)
        self.cache = CachePolicy()

    def prepare(self) -> None:
        incoming = self.request.headers.get("X-Request-Id", "")
        self.trace_id = incoming if TRACE_ID.fullmatch(incoming) else secrets.token_hex(8)
        self.set_header("X-Trace-Id", self.trace_id)

    def wants_json(self) -> bool:
        """The request asks for JSON, or sends it: its answer, and its errors, are JSON."""
        headers = self.request.headers
        return "application/json" in headers.get("Accept", "") or headers.get(
            "Content-Type", ""
        ).startswith("application/json")

    def api_batch(self) -> Batch:
        """An empty batch traced with this request's id."""
        if self.application.api is None:  # the preview-only front (`vitrine preview`)
            raise PageError(503, "This front serves only the template preview.")
        return self.application.api.batch(self.trace_id)

    def page_batch(self) -> Batch:
        """A batch already holding what the page frame needs (the navigation)."""
        batch = self.api_batch()
        self.nav = batch.catalog.GetCategoryTree(required=False, deadline_ms=NAV_DEADLINE_MS)
        if token := self.shopper.basket_token():
            self.badge = batch.basket.GetBasketSummary(
                token=token, required=False, deadline_ms=BADGE_DEADLINE_MS
            )
        if session := self.shopper.session_token():
            self.session = batch.auth.GetSession(
                session_token=session, required=False, deadline_ms=SESSION_DEADLINE_MS
            )
        return batch

    def client_address(self) -> str:
        """The shopper's address: the connection's peer, or what a trusted proxy said it is
        (vitrine/proxies.py has already applied that to the request)."""
        return self.request.remote_ip or ""

    def set_cookie(  # type: ignore[override]
        self, name: str, value: str | bytes, **kwargs: Any
    ) -> None:
        """Every cookie this site sets (the session, the basket, Tornado's _xsrf, and their
        clearing) is SameSite=Lax, HttpOnly (no script reads one: the pages' script takes the
        xsrf token from the form) and, over https, Secure; unless a caller says otherwise."""
        kwargs.setdefault("samesite", "Lax")
        kwargs.setdefault("httponly", True)
        kwargs.setdefault("secure", self.request.protocol == "https")
        super().set_cookie(name, value, **kwargs)
        # A response that sets a cookie is this shopper's own (web/cache_policy.py).
        self.cache.cookies_set[name] = value.decode() if isinstance(value, bytes) else value

    def form_token(self) -> str:
        """The xsrf token for a page with a POST form. Only such pages ask for it: it sets the
        _xsrf cookie, which other (cacheable) pages should not carry."""
        self.cache.form_token = self.xsrf_token
        return self.cache.form_token.decode()

    def say_when_to_retry(self, error: PageError) -> None:
        """A rate limit's answer tells when a retry can pass (HTTP's Retry-After)."""
        if error.retry_after_seconds:
            self.set_header("Retry-After", str(error.retry_after_seconds))

    async def wait_for_replies(self, batch: Batch) -> None:
        """Send the page's one batch and wait for its replies; a failed required call becomes
        the matching error page."""
        self.calls = batch.calls
        try:
            await batch
        except NotFound as error:
            raise PageError(404, "We could not find that page.") from error
        except Invalid as error:
            raise PageError(400, error.message) from error
        except FailedPrecondition as error:
            # Something the shopper can put right (stock, an incomplete checkout): say what.
            raise PageError(409, error.message) from error
        except Unauthenticated as error:
            raise PageError(401, error.message) from error
        except ResourceExhausted as error:
            raise PageError(
                429, error.message, retry_after_seconds=error.retry_after_seconds
            ) from error
        except ApiError as error:
            log.warning("trace=%s required call failed: %s", self.trace_id, error)
            raise PageError(503) from error

    def render_page(self, template: str, *, reusable: bool = False, **context: Any) -> None:
        """Render `template` with the frame and `context`, and finish.

        `reusable`: the page is a function of its URL, status and the batch's replies (it
        prints nothing else that differs per request, such as a form token), so the HTML
        rendered for the same inputs is reused (web/rendered_pages.py)."""
        started = time.perf_counter()
        debug = self.application.config.debug
        if debug and self.request.headers.get(CAPTURE_HEADER) == "1":
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(captured_context(template, self.get_status(), self.frame(context)))
            return
        pages = self.application.rendered_pages
        gzip = self.accepts_gzip()
        if reusable and pages is not None:
            key = pages.key(template, self.request, self.get_status(), self.outcomes())
            render = functools.partial(self.render_template, template, context)
            page, body = pages.page(key, render, gzip=gzip)
            self.cache.body_hash = page.body_hash
            if gzip and page.compressible:
                self.sent_gzip(None)
        else:
            page_context = self.frame(context)
            html = self.application.templates.get_template(template).render(page_context)
            if debug:
                templates = self.application.templates
                html = with_debug_panel(templates, html, template, self.calls, page_context)
            body = html.encode()
            if gzip and len(body) >= MIN_GZIP_LENGTH:
                self.sent_gzip(body)
                body = gzip_bytes(body)
        self.set_header("Server-Timing", self.server_timing(time.perf_counter() - started))
        self.finish(body)

    def accepts_gzip(self) -> bool:
        """Whether this request accepts a gzip-compressed page. Either way the answer varies
        with Accept-Encoding, and says so, for nginx's microcache and browsers to keep the two
        apart. One path for every page, rather than Tornado's GZipContentEncoding: that takes
        "gzip" anywhere in the header as yes (`gzip;q=0` too), hashes the ETag before
        compressing (both variants would share it), and stamps the time into the gzip header
        (the same page would not be the same bytes)."""
        self.cache.varies_with("Accept-Encoding")
        return accepts_gzip(self.request.headers.get("Accept-Encoding", ""))

    def sent_gzip(self, plain: bytes | None) -> None:
        """The body goes gzip-compressed: say so, and hash its ETag from the `plain` bytes
        (None for a reused page, whose hash is kept)."""
        self.set_header("Content-Encoding", "gzip")
        self.cache.encoded(plain, "gzip")

    async def head(self, *args: str, **kwargs: str) -> None:
        """What GET answers, headers only (Tornado drops the body): crawlers and link checkers
        ask HEAD. A handler without GET answers 405 to both."""
        answer = self.get(*args, **kwargs)
        if inspect.isawaitable(answer):
            await answer

    # What the response does, told to its cache policy through Tornado's public methods.

    def set_header(self, name: str, value: Any) -> None:
        if name == "Cache-Control":
            self.cache.chosen = True
        super().set_header(name, value)

    def clear(self) -> None:
        """A fresh response (send_error starts one): its caching is decided anew."""
        super().clear()
        if hasattr(self, "cache"):  # RequestHandler.__init__ clears before initialize()
            self.cache.clear()

    def write(self, chunk: str | bytes | dict[str, Any]) -> None:
        if isinstance(chunk, str):
            chunk = chunk.encode()
        if isinstance(chunk, bytes):
            self.cache.wrote(chunk)
        else:
            self.cache.hashable = False
        super().write(chunk)

    def flush(self, include_footers: bool = False) -> Any:
        """Before the headers go, Cache-Control for a page that did not choose its own."""
        if not self.cache.decided:
            self.cache.decided = True
            if self.request.method in {"GET", "HEAD"}:
                self.set_cache_control()
            if self.cache.vary:
                self.set_header("Vary", self.cache.vary_header())
        self.cache.flushed()
        return super().flush(include_footers)

    def set_cache_control(self) -> None:
        personal = self.session is not None or self.badge is not None
        cache_control = self.cache.cache_control(self.get_status(), personal=personal)
        if cache_control is None:
            return
        self.set_header("Cache-Control", cache_control)
        if cache_control != ERROR_CACHE_CONTROL:
            # The anonymous version must never be served to a shopper who has a cookie.
            self.cache.varies_with("Cookie")

    def compute_etag(self) -> str | None:
        etag = self.cache.etag(self.get_cookie(XSRF_COOKIE))
        return etag if etag is not None else super().compute_etag()

    def render_template(self, template: str, context: dict[str, Any]) -> str:
        return self.application.templates.get_template(template).render(self.frame(context))

    def outcomes(self) -> list[tuple[str, int, bytes | str]]:
        """What each call of the page's batch answered: with the URL, all a page is made of."""
        return [call.outcome() for call in self.calls]

    def frame(self, context: dict[str, Any]) -> dict[str, Any]:
        """What base.html reads, under what the page itself passes."""
        nav = self.nav.value if self.nav is not None and self.nav.done else None
        badge = self.badge.value if self.badge is not None and self.badge.done else None
        session = self.session.value if self.session is not None and self.session.done else None
        return {
            "nav": nav,
            "basket": badge,
            "account": session.user if session is not None else None,
            "search_query": "",
            "canonical_path": self.request.path,
            **context,
        }

    def server_timing(self, render_seconds: float) -> str:
        entries = []
        for call in self.calls:
            entry = f"{call.method.timing_name};dur={call.duration * 1000:.1f}"
            if call.done and not call.ok:
                entry += f';desc="{envelope_pb2.Status.Name(call.status)}"'
            elif call.kept:
                entry += ';desc="kept"'  # the front's copy of a shop-wide answer
            entries.append(entry)
        entries.append(f"render;dur={render_seconds * 1000:.1f}")
        return ", ".join(entries)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:  # noqa: ARG002
        # An HTTP error (404, 400...) is an answer, not a fault: the access line already
        # records it. Anything else is logged with its traceback, as Tornado does, but with the
        # URI as the access log shows it (no order access token).
        if isinstance(value, tornado.web.HTTPError):
            return
        request = self.request
        summary = f"{request.method} {logged_uri(request.uri or '')} ({request.remote_ip})"
        log.error("trace=%s uncaught exception %s", self.trace_id, summary, exc_info=value)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # send_error cleared the headers and the body; an error page is traced like any other.
        if self.trace_id:
            self.set_header("X-Trace-Id", self.trace_id)
        if self.settings.get("serve_traceback") and status_code >= 500:
            super().write_error(status_code, **kwargs)
            return
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = error.message if isinstance(error, PageError) else ""
        if isinstance(error, PageError):
            self.say_when_to_retry(error)
        if self.wants_json():
            # A script (the basket's, or anyone's) reads the reason, not an HTML page.
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(
                json.dumps(
                    {"error": message or responses.get(status_code, "Error"), "status": status_code}
                )
            )
            return
        template = ERROR_TEMPLATES.get(status_code, "errors/500.html")
        try:
            self.render_page(template, status_code=status_code, message=message)
        except Exception:
            # The error page itself failed: a plain line, still without a traceback.
            log.exception("trace=%s error page %s failed", self.trace_id, template)
            self.finish(f"{status_code}: {responses.get(status_code, 'Error')}")


class NotFoundHandler(BaseHandler):
    """Unknown URLs: 404 with a search box, or 301 when only case or a trailing slash is off."""

    async def get(self) -> None:
        canonical = self.request.path.lower().rstrip("/") or "/"
        if canonical != self.request.path and self.application.is_page_path(canonical):
            query = f"?{self.request.query}" if self.request.query else ""
            # The query as sent may hold what no Location header can (a tab): then without it.
            self.redirect(local_target(canonical + query, canonical), permanent=True)
            return
        if self.application.api is not None:  # the preview-only front has no API
            await self.wait_for_replies(self.page_batch())
        raise PageError(404, "We could not find that page.")
