"""Prometheus metrics of a front: requests and latency per route (the handler's name), and the
requests in flight. The API client's own metrics are in api_client/metrics.py."""

from __future__ import annotations

import weakref
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

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
