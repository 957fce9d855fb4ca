"""The storefront application: `make_app(settings, api)` and its whole route table."""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import tornado.httputil
import tornado.web

from api_client import ApiClient
from vitrine.config import PROJECT_ROOT, Settings, cookie_secret
from vitrine.metrics import child
from vitrine.proxies import apply_proxy_headers
from web import metrics
from web.assets import Assets
from web.handlers.account import (
    AccountPageHandler,
    ConfirmRegistrationHandler,
    LogInHandler,
    LogOutHandler,
    RegisterHandler,
    RegisterSentHandler,
)
from web.handlers.base import NotFoundHandler
from web.handlers.basket import BasketLineHandler, BasketLinesHandler, BasketPageHandler
from web.handlers.catalog import (
    CategoryPageHandler,
    HomePageHandler,
    LandingPageHandler,
    ProductPageHandler,
    ProductSlugHandler,
)
from web.handlers.checkout import (
    AddressStepHandler,
    CheckoutStartHandler,
    PaymentStepHandler,
    PlaceOrderHandler,
    ReviewStepHandler,
    ShippingStepHandler,
)
from web.handlers.feeds import ProductFeedHandler
from web.handlers.help import HelpPageHandler
from web.handlers.media import AssetHandler, BrandFileHandler, DemoImageHandler
from web.handlers.operations import HealthHandler, ReadinessHandler
from web.handlers.orders import AccountOrderHandler, AccountOrdersHandler, OrderPageHandler
from web.handlers.preview import PreviewIndexHandler, PreviewPageHandler
from web.handlers.reviews import HelpfulVoteHandler, ReviewDeleteHandler, ReviewFormHandler
from web.handlers.search import SearchPageHandler, SuggestHandler
from web.handlers.seo import (
    CategorySitemapHandler,
    LandingSitemapHandler,
    ProductSitemapHandler,
    RobotsHandler,
    SitemapIndexHandler,
)
from web.handlers.stock_alerts import StockAlertHandler
from web.handlers.vouchers import ApplyVoucherHandler, RemoveVoucherHandler
from web.logged_uri import logged_uri
from web.rendered_pages import MB, RenderedPages
from web.templating import TEMPLATES_DIR, make_environment

access_log = logging.getLogger("vitrine.access")

SLUG = r"([a-z0-9][a-z0-9-]{0,199})"
PRODUCT_ID = r"([1-9][0-9]{0,17})"
SITEMAP_NUMBER = r"([1-9][0-9]{0,5})"
ORDER_NUMBER = r"([A-Z0-9]{1,20})"
ORDER_ACCESS = r"([A-Za-z0-9_-]{1,64})"  # the token in a guest's order link
BRAND_DIR = PROJECT_ROOT / "assets" / "brand"


class Serves(enum.Enum):
    """Which fronts answer a route."""

    PAGE = "a shop page: wrong case or a trailing slash is redirected to it (NotFoundHandler)"
    SHOP = "the shop: needs the API"
    PREVIEW = "the template preview: debug mode only (docs/templates.md)"
    PREVIEW_ONLY = "the preview-only front (vitrine preview), which has no API"
    ALWAYS = "every front"


@dataclass(frozen=True)
class Route:
    pattern: str
    handler: type[tornado.web.RequestHandler]
    serves: Serves
    # Arguments to the handler's initialize(), from the settings.
    arguments: Callable[[Settings], dict[str, Any]] | None = None


# Every URL the front answers, in one place.
ROUTES: tuple[Route, ...] = (
    Route(r"/", HomePageHandler, Serves.PAGE),
    Route(rf"/l/{SLUG}", LandingPageHandler, Serves.PAGE),
    Route(rf"/c/{SLUG}", CategoryPageHandler, Serves.PAGE),
    Route(rf"/filter/{SLUG}", CategoryPageHandler, Serves.PAGE),
    Route(rf"/p/{PRODUCT_ID}/{SLUG}", ProductPageHandler, Serves.PAGE),
    Route(rf"/p/{PRODUCT_ID}", ProductPageHandler, Serves.PAGE),
    Route(rf"/p/{SLUG}", ProductSlugHandler, Serves.PAGE),
    Route(rf"/help/{SLUG}", HelpPageHandler, Serves.PAGE),
    Route(r"/search", SearchPageHandler, Serves.PAGE),
    Route(r"/_preview/", PreviewIndexHandler, Serves.PREVIEW),
    Route(r"/_preview/([a-z0-9_/-]+\.html)", PreviewPageHandler, Serves.PREVIEW),
    Route(r"/robots.txt", RobotsHandler, Serves.SHOP),
    Route(r"/sitemap.xml", SitemapIndexHandler, Serves.SHOP),
    Route(r"/sitemaps/landings.xml", LandingSitemapHandler, Serves.SHOP),
    Route(rf"/sitemaps/categories-{SITEMAP_NUMBER}.xml", CategorySitemapHandler, Serves.SHOP),
    Route(rf"/sitemaps/products-{SITEMAP_NUMBER}.xml", ProductSitemapHandler, Serves.SHOP),
    Route(r"/feeds/products.xml", ProductFeedHandler, Serves.SHOP),
    Route(r"/search/suggest", SuggestHandler, Serves.SHOP),
    Route(r"/account", AccountPageHandler, Serves.SHOP),
    Route(r"/account/register", RegisterHandler, Serves.SHOP),
    Route(r"/account/register/sent", RegisterSentHandler, Serves.SHOP),
    Route(r"/account/confirm/([A-Za-z0-9_-]{1,64})", ConfirmRegistrationHandler, Serves.SHOP),
    Route(r"/account/login", LogInHandler, Serves.SHOP),
    Route(r"/account/logout", LogOutHandler, Serves.SHOP),
    Route(r"/basket", BasketPageHandler, Serves.SHOP),
    Route(r"/stock-alerts", StockAlertHandler, Serves.SHOP),
    Route(r"/basket/lines", BasketLinesHandler, Serves.SHOP),
    Route(rf"/basket/lines/{PRODUCT_ID}", BasketLineHandler, Serves.SHOP),
    Route(r"/basket/vouchers", ApplyVoucherHandler, Serves.SHOP),
    Route(r"/basket/vouchers/remove", RemoveVoucherHandler, Serves.SHOP),
    Route(r"/checkout", CheckoutStartHandler, Serves.SHOP),
    Route(r"/checkout/address", AddressStepHandler, Serves.SHOP),
    Route(r"/checkout/shipping", ShippingStepHandler, Serves.SHOP),
    Route(r"/checkout/payment", PaymentStepHandler, Serves.SHOP),
    Route(r"/checkout/review", ReviewStepHandler, Serves.SHOP),
    Route(r"/checkout/place", PlaceOrderHandler, Serves.SHOP),
    Route(rf"/orders/{ORDER_NUMBER}/{ORDER_ACCESS}", OrderPageHandler, Serves.SHOP),
    Route(r"/account/orders", AccountOrdersHandler, Serves.SHOP),
    Route(rf"/account/orders/{ORDER_NUMBER}", AccountOrderHandler, Serves.SHOP),
    Route(rf"/account/reviews/{PRODUCT_ID}", ReviewFormHandler, Serves.SHOP),
    Route(rf"/account/reviews/{PRODUCT_ID}/delete", ReviewDeleteHandler, Serves.SHOP),
    Route(rf"/reviews/{PRODUCT_ID}/helpful", HelpfulVoteHandler, Serves.SHOP),
    Route(
        r"/",
        tornado.web.RedirectHandler,
        Serves.PREVIEW_ONLY,
        lambda _settings: {"url": "/_preview/"},
    ),
    Route(r"/healthz", HealthHandler, Serves.ALWAYS),
    Route(r"/readyz", ReadinessHandler, Serves.ALWAYS),
    Route(
        r"/media/demo/(products|banners)/([a-z0-9-]{1,120})\.svg", DemoImageHandler, Serves.ALWAYS
    ),
    Route(
        r"/media/brand/(logo\.svg)",
        BrandFileHandler,
        Serves.ALWAYS,
        lambda _settings: {"path": str(BRAND_DIR)},
    ),
    Route(
        r"/static/(.+)",
        AssetHandler,
        Serves.ALWAYS,
        lambda settings: {"path": str(settings.static_dir)},
    ),
)


def routes_served(settings: Settings, *, with_api: bool) -> list[Route]:
    """The routes of a front with an API (the shop) or without one (the preview)."""
    wanted = (
        {Serves.ALWAYS, Serves.PAGE, Serves.SHOP}
        if with_api
        else {Serves.PREVIEW_ONLY, Serves.ALWAYS}
    )
    if settings.debug:
        wanted.add(Serves.PREVIEW)
    return [route for route in ROUTES if route.serves in wanted]


class VitrineApplication(tornado.web.Application):
    """The Tornado application, holding what handlers share: the API client, templates, assets.

    With no API client (`vitrine preview`) it serves only the template preview and the files
    pages link to; the preview needs debug mode.
    """

    def __init__(
        self, settings: Settings, api: ApiClient | None, templates_dir: Path = TEMPLATES_DIR
    ) -> None:
        if api is None and not settings.debug:
            raise ValueError("a front without an API serves only the preview: set debug mode")
        self.config = settings
        self.api = api
        # Set at SIGTERM (web/server.py): /readyz says so, answers ask nginx to close.
        self.draining = False
        # Requests being answered: read by draining (web/server.py) and by the metric.
        self.in_flight = 0
        metrics.count_in_flight(self)
        self.assets = Assets(settings)
        self.templates_dir = templates_dir
        self.templates: jinja2.Environment = make_environment(
            settings.locale,
            self.assets.urls,
            directory=templates_dir,
            auto_reload=settings.debug,
            public_url=settings.public_base,
        )
        # Never in debug mode: templates change under it, and pages carry the debug panel.
        self.rendered_pages = (
            RenderedPages(settings.rendered_pages_mb * MB)
            if settings.rendered_pages_mb and not settings.debug
            else None
        )
        # Compile every template now: the first shopper after a start would wait for it.
        for name in self.templates.list_templates(extensions=["html"]):
            self.templates.get_template(name)
        served = routes_served(settings, with_api=api is not None)
        self._page_patterns = [
            re.compile(route.pattern + "$") for route in served if route.serves is Serves.PAGE
        ]
        routes = [
            (route.pattern, route.handler, route.arguments(settings) if route.arguments else {})
            for route in served
        ]
        super().__init__(
            routes,
            default_handler_class=NotFoundHandler,
            debug=settings.debug,
            log_function=log_request,
            cookie_secret=cookie_secret(settings),
            # Every POST carries the _xsrf token (form field or X-XSRFToken header), or gets 403.
            xsrf_cookies=True,
        )

    # tornado.routing.Router's documented interface (Application narrows its return type to a
    # private class).
    def find_handler(  # type: ignore[override]
        self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any
    ) -> tornado.httputil.HTTPMessageDelegate:
        # Every request passes here first: the proxy's word on address and scheme, if trusted.
        apply_proxy_headers(request, self.config.trusted_proxies)
        return super().find_handler(request, **kwargs)

    def start_request(
        self, server_conn: object, request_conn: tornado.httputil.HTTPConnection
    ) -> tornado.httputil.HTTPMessageDelegate:
        return CountedRequest(self, super().start_request(server_conn, request_conn))

    def is_page_path(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self._page_patterns)


class CountedRequest(tornado.httputil.HTTPMessageDelegate):
    """Counts a request in flight from its headers on. A handler's answer ends the count in
    log_request; a request dropped before any handler ran (a body over the size limit, a client
    gone mid-body) reaches no log_request, so it is ended here, or every graceful stop would
    wait its full grace period for it."""

    def __init__(
        self, application: VitrineApplication, delegate: tornado.httputil.HTTPMessageDelegate
    ) -> None:
        self.application = application
        self.delegate = delegate
        self.counted = False
        self.handed_over = False  # to a handler, which calls log_request when it finishes

    def headers_received(
        self,
        start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine,
        headers: tornado.httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        self.application.in_flight += 1
        self.counted = True
        return self.delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        self.handed_over = True
        self.delegate.finish()

    def on_connection_close(self) -> None:
        if self.counted and not self.handed_over:
            self.application.in_flight = max(0, self.application.in_flight - 1)
        self.delegate.on_connection_close()


def log_request(handler: tornado.web.RequestHandler) -> None:
    """One line per request, with the trace id the API workers log for the same page; and the
    request's metrics."""
    application = handler.application
    if isinstance(application, VitrineApplication):
        application.in_flight = max(0, application.in_flight - 1)
    status = handler.get_status()
    route = type(handler).__name__
    seconds = handler.request.request_time()
    child(metrics.requests, route, handler.request.method or "", str(status)).inc()
    child(metrics.request_seconds, route).observe(seconds)
    level = logging.INFO if status < 500 else logging.ERROR
    if not access_log.isEnabledFor(level):
        return  # at WARNING (as in bench/), not even the line's fields are built
    trace = getattr(handler, "trace_id", "") or "-"
    uri = logged_uri(handler.request.uri or "")
    access_log.log(
        level,
        "request trace=%s status=%d client=%s method=%s path=%s ms=%.1f",
        trace,
        status,
        handler.request.remote_ip,
        handler.request.method,
        uri,
        seconds * 1000,
        extra={
            "trace": trace,
            "status": status,
            "route": route,
            "client": handler.request.remote_ip,
            "method": handler.request.method,
            "path": uri,
            "ms": round(seconds * 1000, 1),
        },
    )


def make_app(
    settings: Settings, api: ApiClient | None, *, templates_dir: Path = TEMPLATES_DIR
) -> VitrineApplication:
    """The storefront; `api=None` gives the preview-only front (debug mode, no API needed)."""
    return VitrineApplication(settings, api, templates_dir)
