"""What every page needs, once: the batch with the navigation call, domain errors turned into
HTTP statuses and error pages, the Server-Timing header, the trace id."""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

import tornado.web

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
from web.debug_panel import call_rows, variable_rows
from web.fixtures import encode_context

if TYPE_CHECKING:
    from web.app import VitrineApplication

log = logging.getLogger("vitrine.web")

# The navigation is optional on every page: cached on the workers, it is fast or it is left out.
NAV_DEADLINE_MS = 250
# So is the basket badge, asked for only when the shopper has a basket.
BADGE_DEADLINE_MS = 250
# The guest basket's token, in a signed cookie (Tornado's set_signed_cookie).
BASKET_COOKIE = "basket"
BASKET_COOKIE_DAYS = 30
# The account session's server-side token, in a signed cookie; the header shows who is logged in.
SESSION_COOKIE = "session"
SESSION_COOKIE_DAYS = 30
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
# What a shared cache (nginx) may do with an anonymous page: keep it briefly. A page that read
# or set a cookie, or embeds a form token, is the shopper's own.
SHARED_CACHE_CONTROL = "public, max-age=5"
PRIVATE_CACHE_CONTROL = "private"
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


class BaseHandler(tornado.web.RequestHandler):
    application: VitrineApplication

    def initialize(self) -> None:
        self.trace_id = ""
        self.calls: list[Call] = []
        self.nav: Call | None = None
        self.badge: Call | None = None
        self.session: Call | None = None
        # The SHA-1 state of a reused page's body (web/rendered_pages.py).
        self.body_hash: Any = None

    def prepare(self) -> None:
        incoming = self.request.headers.get("X-Request-Id", "")
        self.trace_id = incoming if TRACE_ID.fullmatch(incoming) else secrets.token_hex(8)
        self.set_header("X-Trace-Id", self.trace_id)

    def api_batch(self) -> Batch:
        """An empty batch traced with this request's id."""
        if self.application.api is None:  # the preview-only front (`vitrine preview`)
            raise PageError(503, "This front serves only the template preview.")
        return self.application.api.batch(self.trace_id)

    def page_batch(self) -> Batch:
        """A batch already holding what the page frame needs (the navigation)."""
        batch = self.api_batch()
        self.nav = batch.catalog.GetCategoryTree(required=False, deadline_ms=NAV_DEADLINE_MS)
        if token := self.basket_token():
            self.badge = batch.basket.GetBasketSummary(
                token=token, required=False, deadline_ms=BADGE_DEADLINE_MS
            )
        if session := self.session_token():
            self.session = batch.auth.GetSession(
                session_token=session, required=False, deadline_ms=SESSION_DEADLINE_MS
            )
        return batch

    def client_address(self) -> str:
        """The shopper's address: the connection's peer, or what a trusted proxy said it is
        (vitrine/proxies.py has already applied that to the request)."""
        return self.request.remote_ip or ""

    def session_token(self) -> str:
        value = self.get_signed_cookie(SESSION_COOKIE, max_age_days=SESSION_COOKIE_DAYS)
        return value.decode() if value else ""

    def start_session(self, token: str) -> None:
        """A new session cookie (a new token at every log-in: the old one is not reused)."""
        self.set_signed_cookie(
            SESSION_COOKIE,
            token,
            expires_days=SESSION_COOKIE_DAYS,
            httponly=True,
            samesite="Lax",
            secure=self.request.protocol == "https",
        )

    def end_session(self) -> None:
        self.clear_cookie(SESSION_COOKIE)
        self.clear_cookie(BASKET_COOKIE)

    def basket_token(self) -> str:
        """The guest basket's token from its signed cookie; empty when there is none (or it was
        tampered with: a bad signature reads as no cookie)."""
        value = self.get_signed_cookie(BASKET_COOKIE, max_age_days=BASKET_COOKIE_DAYS)
        return value.decode() if value else ""

    def form_token(self) -> str:
        """The xsrf token for a page with a POST form. Only such pages ask for it: it sets the
        _xsrf cookie, which other (cacheable) pages should not carry."""
        return self.xsrf_token.decode()

    def keep_basket_token(self, token: str) -> None:
        if token and token != self.basket_token():
            self.set_signed_cookie(
                BASKET_COOKIE,
                token,
                expires_days=BASKET_COOKIE_DAYS,
                httponly=True,
                samesite="Lax",
                secure=self.request.protocol == "https",
            )

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
            self.capture(template, self.frame(context))
            return
        pages = self.application.rendered_pages
        if reusable and pages is not None:
            # Scheme and host too: a page may print absolute URLs (canonical, Open Graph).
            request = self.request
            key = (
                template,
                request.protocol,
                request.host,
                request.uri,
                self._status_code,
                *self.outcomes(),
            )
            page = pages.page(key, lambda: self.render_template(template, context))
            html: str | bytes = page.body
            self.body_hash = page.body_hash
        else:
            page_context = self.frame(context)
            html = self.application.templates.get_template(template).render(page_context)
            if debug:
                html = self.with_debug_panel(html, template, page_context)
        self.set_header("Server-Timing", self.server_timing(time.perf_counter() - started))
        self.finish(html)

    async def head(self, *args: str, **kwargs: str) -> None:
        """What GET answers, headers only (Tornado drops the body): crawlers and link checkers
        ask HEAD. A handler without GET answers 405 to both."""
        answer = self.get(*args, **kwargs)
        if inspect.isawaitable(answer):
            await answer

    def finish(self, chunk: str | bytes | dict[str, Any] | None = None) -> Any:
        if not self._headers_written and self.request.method in {"GET", "HEAD"}:
            self.set_cache_headers()
        return super().finish(chunk)

    def set_cache_headers(self) -> None:
        """Cache-Control for a page that did not choose its own (see SHARED_CACHE_CONTROL)."""
        if "Cache-Control" in self._headers:
            return
        if self.get_status() >= 500:
            self.set_header("Cache-Control", "no-store")
            return
        personal = (
            self.session is not None
            or self.badge is not None
            or hasattr(self, "_xsrf_token")  # the page embeds this shopper's form token
            or hasattr(self, "_new_cookie")  # the response sets a cookie
        )
        self.set_header(
            "Cache-Control", PRIVATE_CACHE_CONTROL if personal else SHARED_CACHE_CONTROL
        )
        # The anonymous version must never be served to a shopper who has a cookie.
        self.add_header("Vary", "Cookie")

    def compute_etag(self) -> str | None:
        """The body's hash with the xsrf token unmasked: its random mask changes on every
        request and would make every page with a form look new (Tornado answers 304 on a
        match), while the token itself must count, or a browser whose cookie changed would
        be told to reuse a page holding the old one."""
        masked = getattr(self, "_xsrf_token", None)
        if self.body_hash is not None:
            # A reused page (never one with a form token): hashed when it was first rendered.
            hasher = self.body_hash.copy()
        else:
            hasher = hashlib.sha1()  # noqa: S324 - a cache validator, not a security measure
            for part in self._write_buffer:
                hasher.update(part.replace(masked, b"") if masked else part)
        if masked:
            hasher.update(self._get_raw_xsrf_token()[1])
        return f'"{hasher.hexdigest()}"'

    def render_template(self, template: str, context: dict[str, Any]) -> str:
        return self.application.templates.get_template(template).render(self.frame(context))

    def outcomes(self) -> list[tuple[str, int, bytes | str]]:
        """What each call of the page's batch answered: with the URL, all a page is made of."""
        return [call.outcome() for call in self.calls]

    def capture(self, template: str, context: dict[str, Any]) -> None:
        """The page's context as a fixture (debug mode only): see web/fixtures.py."""
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        answer = {"template": template, "status": self.get_status()}
        self.finish(json.dumps({**answer, "context": encode_context(context)}, ensure_ascii=False))

    def with_debug_panel(self, html: str, template: str, context: dict[str, Any]) -> str:
        """The page with the debug panel (its calls and context) just before </body>."""
        panel = self.application.templates.get_template("debug/panel.html").render(
            template=template, calls=call_rows(self.calls), variables=variable_rows(context)
        )
        head, body_end, tail = html.rpartition("</body>")
        return head + panel + body_end + tail if body_end else html + panel

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
            entries.append(entry)
        entries.append(f"render;dur={render_seconds * 1000:.1f}")
        return ", ".join(entries)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # An HTTP error (404, 400...) is an answer, not a fault: the access line already
        # records it. Anything else is logged with its traceback, as Tornado does.
        if isinstance(value, tornado.web.HTTPError):
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # send_error cleared the headers and the body; an error page is traced like any other.
        self.body_hash = None
        if self.trace_id:
            self.set_header("X-Trace-Id", self.trace_id)
        if self.settings.get("serve_traceback") and status_code >= 500:
            super().write_error(status_code, **kwargs)
            return
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = error.message if isinstance(error, PageError) else ""
        if isinstance(error, PageError):
            self.say_when_to_retry(error)
        template = ERROR_TEMPLATES.get(status_code, "errors/500.html")
        try:
            self.render_page(template, status_code=status_code, message=message)
        except Exception:
            # The error page itself failed: a plain line, still without a traceback.
            log.exception("trace=%s error page %s failed", self.trace_id, template)
            self.finish(f"{status_code}: {self._reason}")


class NotFoundHandler(BaseHandler):
    """Unknown URLs: 404 with a search box, or 301 when only case or a trailing slash is off."""

    async def get(self) -> None:
        canonical = self.request.path.lower().rstrip("/") or "/"
        if canonical != self.request.path and self.application.is_page_path(canonical):
            query = f"?{self.request.query}" if self.request.query else ""
            self.redirect(canonical + query, permanent=True)
            return
        if self.application.api is not None:  # the preview-only front has no API
            await self.wait_for_replies(self.page_batch())
        raise PageError(404, "We could not find that page.")
