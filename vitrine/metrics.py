"""What every process's Prometheus metrics share: latency and batch-size buckets, and a memoised
label look-up for the hot paths (front, client, worker)."""

from __future__ import annotations

import functools
from typing import Any

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
