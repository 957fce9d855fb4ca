"""One API worker process: the ZeroMQ ROUTER on its own endpoint and the HTTP JSON API on the
port all workers share, both over one dispatcher and one database engine."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from datetime import UTC, datetime

import prometheus_client
import tornado.autoreload
import tornado.httpserver
import tornado.netutil
import zmq.asyncio

from api import mail, sweeps
from api.answers import AnswerCache
from api.cache import TtlCache
from api.context import CallContext
from api.curve import start_authenticator, worker_secret_key
from api.db import create_engine, open_connections
from api.discovery import advertised_endpoint, keep_registered
from api.dispatch import Dispatcher, find_implementations
from api.http_api import make_http_api
from api.router import RouterServer
from contract import METHODS
from vitrine.config import Settings

log = logging.getLogger("vitrine.api")

# Run once before the worker says it is ready: they open a database connection and fill the
# per-worker caches every page needs, so the first pages after a start are not the slow ones.
WARM_UP_METHODS = ("shop.v1.Catalog/GetCategoryTree",)
WARM_UP_DEADLINE_MS = 30_000
# SIGTERM: the running calls (each bounded by its deadline) get this long, within the
# supervisor's 10 s before SIGKILL.
DRAIN_GRACE_SECONDS = 8.0
# A product page's batch runs about five calls at once; each needs a connection of its own.
WARM_CONNECTIONS = 6


async def _warm_up(dispatcher: Dispatcher) -> None:
    for name in WARM_UP_METHODS:
        method = METHODS[name]
        outcome = await dispatcher.execute(
            method,
            method.request_class(),
            deadline_ms=WARM_UP_DEADLINE_MS,
            trace_id="warm-up",
            now=datetime.now(UTC),
        )
        if outcome.answer is None:
            log.warning("warm-up call %s answered %s: %s", name, outcome.status, outcome.error)


def _serve_http(settings: Settings, dispatcher: Dispatcher) -> list[tornado.httpserver.HTTPServer]:
    """The JSON API's internal listener and its public face (api/http_api.py). Every worker
    binds the same two ports; the kernel spreads connections among them."""
    servers = []
    for host, port, public in (
        (settings.api_http_host, settings.api_http_port, False),
        (settings.api_public_http_host, settings.api_public_http_port, True),
    ):
        sockets = tornado.netutil.bind_sockets(port, host, reuse_port=True)
        application = make_http_api(
            dispatcher, public=public, trusted_proxies=settings.trusted_proxies
        )
        server = tornado.httpserver.HTTPServer(application)
        server.add_sockets(sockets)
        servers.append(server)
    return servers


async def serve_worker(settings: Settings, endpoint: str, *, http: bool = True) -> None:
    """Serve until SIGTERM or SIGINT, then finish running calls and close everything."""
    engine = create_engine(settings)
    cache = TtlCache()

    def make_context(trace_id: str, now: datetime, expires_at: float) -> CallContext:
        return CallContext(
            db=engine,
            settings=settings,
            cache=cache,
            trace_id=trace_id,
            now=now,
            expires_at=expires_at,
        )

    dispatcher = Dispatcher(
        find_implementations(),
        make_context,
        default_deadline_ms=settings.api_deadline_ms,
        delays_ms=settings.api_delays_ms,
        faults=settings.api_faults,
        cache=AnswerCache() if settings.api_answer_cache else None,
    )
    await open_connections(engine, WARM_CONNECTIONS)
    await _warm_up(dispatcher)
    # What start-up made (modules, SQLAlchemy's compiled statements, protobuf descriptors) lives
    # as long as the process: out of the cyclic collector's full passes, which took 15-70 ms and
    # held every call in flight meanwhile (the front does the same, web/server.py).
    gc.collect()
    gc.freeze()
    if settings.metrics_port:
        prometheus_client.start_http_server(settings.metrics_port, settings.metrics_host)
    context = zmq.asyncio.Context()
    stop_zap = start_authenticator(context, settings)  # before the socket binds
    router = RouterServer(
        dispatcher, endpoint, context, curve_secret_key=worker_secret_key(settings)
    )
    http_servers = _serve_http(settings, dispatcher) if http else []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    serving = asyncio.create_task(router.serve())
    tasks = [serving, asyncio.create_task(router.log_refused_handshakes())]
    if settings.api_discovery:
        # Fronts learn this worker's endpoint from the database (api/discovery.py).
        advertised = advertised_endpoint(router.endpoint, settings.api_advertise)
        tasks.append(
            asyncio.create_task(keep_registered(engine, advertised, settings.api_discovery_seconds))
        )
    # Order emails a crash left unsent, then a sweep every minute (api/mail.py).
    tasks.append(asyncio.create_task(mail.keep_sending(engine, settings)))
    # Charges a crash left with neither order nor refund, old basket change keys (api/sweeps.py).
    tasks.append(asyncio.create_task(sweeps.keep_sweeping(engine, settings)))
    if settings.debug:
        # `make dev`: restart this process (same pid, same command) when a Python file changes.
        tornado.autoreload.start()
    log.info(
        "worker ready zmq=%s http=%s public=%s",
        router.endpoint,
        settings.api_http_url if http else "off",
        settings.api_public_http_url if http else "off",
    )
    await stop.wait()
    log.info("worker stopping")
    for http_server in http_servers:
        http_server.stop()
    # Still reading: what fronts send now is refused as not started and goes to another worker.
    await router.drain(DRAIN_GRACE_SECONDS)
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await router.close()
    stop_zap()
    for http_server in http_servers:
        await http_server.close_all_connections()
    await dispatcher.finish_shared_reads()
    await mail.finish_sending()
    context.term()
    await engine.dispose()
