"""Prometheus metrics of an API worker: calls and their latency per method and status, batch
sizes, and answer-cache hits."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from vitrine.metrics import BATCH_BUCKETS, LATENCY_BUCKETS

worker_calls = Counter(
    "vitrine_worker_calls", "Calls answered, by method and status", ["method", "status"]
)
worker_call_seconds = Histogram(
    "vitrine_worker_call_seconds",
    "Time to answer a call on the worker, by method",
    ["method"],
    buckets=LATENCY_BUCKETS,
)
worker_batch_calls = Histogram(
    "vitrine_worker_batch_calls", "Calls per batch received", buckets=BATCH_BUCKETS
)
answer_cache = Counter(
    "vitrine_worker_answer_cache",
    "Answer-cache lookups of cacheable methods, by method and result: hit, renew (a hit near the "
    "end of the answer's life, which starts its renewal), miss (a read starts), joined (waits "
    "for the same read, already running)",
    ["method", "result"],
)
