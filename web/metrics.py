"""Prometheus metrics of a front: requests and latency per route (the handler's name), and the
requests in flight. The API client's own metrics are in api_client/metrics.py."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from api_client.metrics import LATENCY_BUCKETS

requests = Counter(
    "vitrine_front_requests",
    "Requests answered, by route, method and status",
    ["route", "method", "status"],
)
request_seconds = Histogram(
    "vitrine_front_request_seconds",
    "Time to answer a request, by route",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
in_flight = Gauge("vitrine_front_requests_in_flight", "Requests being answered now")
# Read from the applications' own counters when scraped, not kept a second time per request.
_applications: weakref.WeakSet[Any] = weakref.WeakSet()
in_flight.set_function(lambda: sum(app.in_flight for app in list(_applications)))


def count_in_flight(application: Any) -> None:
    """Let `vitrine_front_requests_in_flight` read `application.in_flight`."""
    _applications.add(application)


class RenderedPagesCollector:
    """The rendered pages of the counted applications (web/rendered_pages.py), read when
    scraped: how many requests each outcome had, and what is kept. What an operator sizes
    VITRINE_RENDERED_PAGES_MB by: misses that stay high while the bytes sit at the budget say
    the pages do not fit."""

    def collect(self) -> Iterator[Metric]:
        pages = [
            app.rendered_pages
            for app in list(_applications)
            if getattr(app, "rendered_pages", None) is not None
        ]
        served = CounterMetricFamily(
            "vitrine_front_rendered_pages",
            "Reusable pages served, by whether they were reused or rendered",
            labels=["result"],
        )
        served.add_metric(["reused"], sum(p.hits for p in pages))
        served.add_metric(["rendered"], sum(p.misses for p in pages))
        yield served
        yield GaugeMetricFamily(
            "vitrine_front_rendered_pages_kept",
            "Rendered pages kept for reuse",
            value=sum(len(p) for p in pages),
        )
        yield GaugeMetricFamily(
            "vitrine_front_rendered_pages_kept_bytes",
            "Bytes of the rendered pages kept (VITRINE_RENDERED_PAGES_MB bounds them)",
            value=sum(p.kept_bytes for p in pages),
        )


REGISTRY.register(RenderedPagesCollector())
