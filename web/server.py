"""One front process: the storefront on its port until SIGTERM or SIGINT, then a graceful stop:
no new connections, requests in flight finished (at most SHUTDOWN_GRACE_SECONDS), exit."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

import prometheus_client
import tornado.httpserver

from api_client import ApiClient
from api_client.discovery import follow_workers
from vitrine.config import Settings
from web.app import VitrineApplication, make_app

log = logging.getLogger("vitrine.web")

# The largest request body a front reads: its forms are a few fields (Tornado's default, 100 MB,
# would be held in memory). A larger one is answered 400 and its connection closed.
MAX_BODY_BYTES = 1 << 20
# Requests in flight at SIGTERM get this long to finish.
SHUTDOWN_GRACE_SECONDS = 10.0
DRAIN_POLL_SECONDS = 0.05
# Once nothing is in flight, this long without a new request before the connections are
# closed: longer than nginx keeps an idle connection to a front (its upstream keepalive_timeout,
# 1 s in nginx.conf), so nginx has closed every idle one itself and never sends a request down a
# connection we are closing (a POST there would be its 502: nginx does not retry one).
DRAIN_QUIET_SECONDS = 1.5


async def serve_front(settings: Settings, *, with_api: bool = True) -> None:
    """Serve until a signal; `with_api=False` is the preview-only front (`vitrine preview`)."""
    api = ApiClient.from_settings(settings) if with_api else None
    app = make_app(settings, api)
    # What start-up made (modules, compiled templates, protobuf descriptors: ~36,000 objects)
    # lives as long as the process: keep it out of the cyclic collector's full passes, which
    # took ~30 ms each and were the product page's p99 at half load (bench/README.md).
    gc.collect()
    gc.freeze()
    server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_BYTES)
    server.listen(settings.front_port, settings.front_host)
    if settings.metrics_port:
        prometheus_client.start_http_server(settings.metrics_port, settings.metrics_host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if api is None:
        log.info("front ready on %s (template preview only, no API)", settings.front_url)
    else:
        log.info("front ready on %s (API over %s)", settings.front_url, settings.api_transport)
    discovery = None
    if api is not None and settings.api_discovery:
        discovery = asyncio.create_task(follow_workers(api, settings.api_discovery_seconds))
    await stop.wait()
    log.info("front stopping: %d requests in flight", app.in_flight)
    await drain(server, app)
    if discovery is not None:
        discovery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await discovery
    if api is not None:
        await api.close()
    log.info("front stopped")


async def drain(server: tornado.httpserver.HTTPServer, app: VitrineApplication) -> None:
    """Stop accepting, let what is in flight finish, then close every connection."""
    app.draining = True
    server.stop()  # the listening socket closes: nginx sends new connections elsewhere
    # Every answer from now on says Connection: close, so nginx drops its kept-alive
    # connections to this front instead of sending more requests down them.
    server.conn_params.no_keep_alive = True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_GRACE_SECONDS
    quiet_since = None
    while loop.time() < deadline:
        if app.in_flight > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= DRAIN_QUIET_SECONDS:
            break
        await asyncio.sleep(DRAIN_POLL_SECONDS)
    else:
        log.warning(
            "%d requests still running after %.0f s; stopping anyway",
            app.in_flight,
            SHUTDOWN_GRACE_SECONDS,
        )
    try:
        async with asyncio.timeout(1.0):
            await server.close_all_connections()
    except TimeoutError:
        log.warning("connections did not close in time")
