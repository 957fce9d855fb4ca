"""Prometheus metrics of the API client, in the front process that uses it: each call's latency
and status per method, batch sizes, retries."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from vitrine.metrics import BATCH_BUCKETS, LATENCY_BUCKETS

api_calls = Counter(
    "vitrine_api_calls",
    "API calls settled, by method and status (OK, NOT_FOUND, DEADLINE_EXCEEDED...)",
    ["method", "status"],
)
api_call_seconds = Histogram(
    "vitrine_api_call_seconds",
    "Time from sending an API call to its settling, by method",
    ["method"],
    buckets=LATENCY_BUCKETS,
)
api_batch_calls = Histogram(
    "vitrine_api_batch_calls", "Calls per batch sent to the API", buckets=BATCH_BUCKETS
)
api_retries = Counter(
    "vitrine_api_retries",
    "Idempotent calls sent again to another worker: slow (no reply within half the deadline) "
    "or unavailable (the worker answered UNAVAILABLE)",
    ["method", "reason"],
)
