"""Prometheus metrics of a front: requests and latency per route (the handler's name), and the
requests in flight. The API client's own metrics are in api_client/metrics.py."""

from __future__ import annotations

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
