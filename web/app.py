"""The storefront application: `make_app(settings, api)` and its whole route table."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import jinja2
import tornado.httputil
import tornado.web

from api_client import ApiClient
from api_client.metrics import child
from web import metrics
from web.assets import Assets
from web.config import Settings, cookie_secret
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
from web.handlers.media import AssetHandler, DemoImageHandler
from web.handlers.operations import HealthHandler, ReadinessHandler
from web.handlers.orders import AccountOrderHandler, AccountOrdersHandler, OrderPageHandler
from web.handlers.preview import PreviewIndexHandler, PreviewPageHandler
from web.handlers.search import SearchPageHandler, SuggestHandler
from web.handlers.seo import (
    CategorySitemapHandler,
    LandingSitemapHandler,
    ProductSitemapHandler,
    RobotsHandler,
    SitemapIndexHandler,
)
from web.proxies import apply_proxy_headers
from web.rendered_pages import RenderedPages
from web.templating import TEMPLATES_DIR, make_environment

access_log = logging.getLogger("vitrine.access")

SLUG = r"([a-z0-9][a-z0-9-]{0,199})"
PRODUCT_ID = r"([1-9][0-9]{0,17})"
SITEMAP_NUMBER = r"([1-9][0-9]{0,5})"
ORDER_NUMBER = r"([A-Z0-9]{1,20})"
ORDER_ACCESS = r"([A-Za-z0-9_-]{1,64})"  # the token in a guest's order link
# Pages whose URL a wrong case or trailing slash is redirected to (see NotFoundHandler).
PAGE_ROUTES: list[tuple[str, type[tornado.web.RequestHandler]]] = [
    (r"/", HomePageHandler),
    (rf"/l/{SLUG}", LandingPageHandler),
    (rf"/c/{SLUG}", CategoryPageHandler),
    (rf"/filter/{SLUG}", CategoryPageHandler),
    (rf"/p/{PRODUCT_ID}/{SLUG}", ProductPageHandler),
    (rf"/p/{PRODUCT_ID}", ProductPageHandler),
    (rf"/p/{SLUG}", ProductSlugHandler),
    (r"/search", SearchPageHandler),
]
# Debug mode only: every page template rendered with its fixtures (docs/templates.md).
PREVIEW_ROUTES: list[tuple[str, type[tornado.web.RequestHandler]]] = [
    (r"/_preview/", PreviewIndexHandler),
    (r"/_preview/([a-z0-9_/-]+\.html)", PreviewPageHandler),
]


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
            RenderedPages(settings.rendered_pages)
            if settings.rendered_pages and not settings.debug
            else None
        )
        # Compile every template now: the first shopper after a start would wait for it.
        for name in self.templates.list_templates(extensions=["html"]):
            self.templates.get_template(name)
        pages = PAGE_ROUTES if api is not None else []
        self._page_patterns = [re.compile(pattern + "$") for pattern, _ in pages]
        routes: list[
            tuple[str, type[tornado.web.RequestHandler]] | tuple[str, Any, dict[str, Any]]
        ] = [
            *pages,
            *(PREVIEW_ROUTES if settings.debug else []),
            *(
                [
                    (r"/robots.txt", RobotsHandler),
                    (r"/sitemap.xml", SitemapIndexHandler),
                    (r"/sitemaps/landings.xml", LandingSitemapHandler),
                    (rf"/sitemaps/categories-{SITEMAP_NUMBER}.xml", CategorySitemapHandler),
                    (rf"/sitemaps/products-{SITEMAP_NUMBER}.xml", ProductSitemapHandler),
                    (r"/search/suggest", SuggestHandler),
                    (r"/account", AccountPageHandler),
                    (r"/account/register", RegisterHandler),
                    (r"/account/register/sent", RegisterSentHandler),
                    (r"/account/confirm/([A-Za-z0-9_-]{1,64})", ConfirmRegistrationHandler),
                    (r"/account/login", LogInHandler),
                    (r"/account/logout", LogOutHandler),
                    (r"/basket", BasketPageHandler),
                    (r"/basket/lines", BasketLinesHandler),
                    (rf"/basket/lines/{PRODUCT_ID}", BasketLineHandler),
                    (r"/checkout", CheckoutStartHandler),
                    (r"/checkout/address", AddressStepHandler),
                    (r"/checkout/shipping", ShippingStepHandler),
                    (r"/checkout/payment", PaymentStepHandler),
                    (r"/checkout/review", ReviewStepHandler),
                    (r"/checkout/place", PlaceOrderHandler),
                    (rf"/orders/{ORDER_NUMBER}/{ORDER_ACCESS}", OrderPageHandler),
                    (r"/account/orders", AccountOrdersHandler),
                    (rf"/account/orders/{ORDER_NUMBER}", AccountOrderHandler),
                ]
                if api is not None
                else [(r"/", tornado.web.RedirectHandler, {"url": "/_preview/"})]
            ),
            (r"/healthz", HealthHandler),
            (r"/readyz", ReadinessHandler),
            (r"/media/demo/(products|banners)/([A-Za-z0-9-]{1,40})\.svg", DemoImageHandler),
            (r"/static/(.+)", AssetHandler, {"path": str(settings.static_dir)}),
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

    def find_handler(
        self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any
    ) -> tornado.web._HandlerDelegate:
        # Every request passes here first: the proxy's word on address and scheme, if trusted.
        apply_proxy_headers(request, self.config.trusted_proxies)
        self.in_flight += 1  # until log_request, which every answered request reaches
        return super().find_handler(request, **kwargs)

    def is_page_path(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self._page_patterns)


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
    access_log.log(
        level,
        "request trace=%s status=%d client=%s method=%s path=%s ms=%.1f",
        trace,
        status,
        handler.request.remote_ip,
        handler.request.method,
        handler.request.uri,
        seconds * 1000,
        extra={
            "trace": trace,
            "status": status,
            "route": route,
            "client": handler.request.remote_ip,
            "method": handler.request.method,
            "path": handler.request.uri,
            "ms": round(seconds * 1000, 1),
        },
    )


def make_app(
    settings: Settings, api: ApiClient | None, *, templates_dir: Path = TEMPLATES_DIR
) -> VitrineApplication:
    """The storefront; `api=None` gives the preview-only front (debug mode, no API needed)."""
    return VitrineApplication(settings, api, templates_dir)
