"""Prometheus metrics of the API client, in the front process that uses it: each call's latency
and status per method, batch sizes, retries."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import Counter, Histogram

# From a cached navigation read (~1 ms) to a write waiting on SQLite's lock (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 3, 4, 5, 6, 8, 12, 16, 32, 64)
# Label children kept per process by `child`: more than the label sets a process sees (methods x
# statuses, routes x methods x statuses).
CHILDREN_CACHED = 1024


@functools.lru_cache(maxsize=CHILDREN_CACHED)
def child(metric: Any, *labels: str) -> Any:
    """`metric.labels(*labels)`, memoised: `labels` builds a key and takes a lock on every use,
    which showed in the product page's profile. Used on every hot path (front, client, worker)."""
    return metric.labels(*labels)


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
