"""One front process: the storefront on its port until SIGTERM or SIGINT, then a clean stop."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

import tornado.httpserver

from api_client import ApiClient
from web.app import make_app
from web.config import Settings

log = logging.getLogger("vitrine.web")

# Requests in flight at SIGTERM get this long to finish.
SHUTDOWN_GRACE_SECONDS = 10.0


async def serve_front(settings: Settings, *, with_api: bool = True) -> None:
    """Serve until a signal; `with_api=False` is the preview-only front (`vitrine preview`)."""
    api = ApiClient.from_settings(settings) if with_api else None
    app = make_app(settings, api)
    # What start-up made (modules, compiled templates, protobuf descriptors: ~36,000 objects)
    # lives as long as the process: keep it out of the cyclic collector's full passes, which
    # took ~30 ms each and were the product page's p99 at half load (bench/README.md).
    gc.collect()
    gc.freeze()
    server = tornado.httpserver.HTTPServer(app)
    server.listen(settings.front_port, settings.front_host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if api is None:
        log.info("front ready on %s (template preview only, no API)", settings.front_url)
    else:
        log.info("front ready on %s (API over %s)", settings.front_url, settings.api_transport)
    await stop.wait()
    log.info("front stopping")
    server.stop()
    try:
        async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
            await server.close_all_connections()
    except TimeoutError:
        log.warning("requests still running after %.0f s; stopping anyway", SHUTDOWN_GRACE_SECONDS)
    if api is not None:
        await api.close()
