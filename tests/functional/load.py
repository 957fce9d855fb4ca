"""A bounded load for functional tests: a few keep-alive HTTP clients on loopback, each
stopping when told, or after LOAD_MAX_SECONDS, or once LOAD_MAX_REQUESTS are answered in all."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

# How many clients, and the bounds that stop them if the test does not.
LOAD_CLIENTS = 4
LOAD_MAX_SECONDS = 60
LOAD_MAX_REQUESTS = 1500
# With POSTs, one request in this many is one.
POST_EVERY = 5


class Load:
    """A few keep-alive clients looping over some pages, counting the statuses. With `posts`
    ((path, urlencoded form) pairs), every POST_EVERY-th request of each client is a form POST
    that carries the site's Origin, as a browser's does."""

    def __init__(
        self,
        base: str,
        paths: Sequence[str],
        posts: Sequence[tuple[str, str]] = (),
        *,
        max_seconds: float = LOAD_MAX_SECONDS,
        max_requests: int = LOAD_MAX_REQUESTS,
    ) -> None:
        self.base = urlsplit(base)
        self.origin = f"{self.base.scheme}://{self.base.netloc}"
        self.paths = paths
        self.posts = posts
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.statuses: Counter[int] = Counter()
        # The same answers by method: ("POST", 303)...
        self.by_method: Counter[tuple[str, int]] = Counter()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(LOAD_CLIENTS)
        self._runs = [self._pool.submit(self._client, n) for n in range(LOAD_CLIENTS)]

    def _next(self, n: int, sent: int) -> tuple[str, str, str | None]:
        if self.posts and sent % POST_EVERY == POST_EVERY - 1:
            path, form = self.posts[(n + sent) % len(self.posts)]
            return "POST", path, form
        return "GET", self.paths[(n + sent) % len(self.paths)], None

    def _client(self, n: int) -> None:
        connection = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=20)
        deadline = time.monotonic() + self.max_seconds
        sent = 0
        while not self._stop.is_set() and time.monotonic() < deadline:
            if sum(self.statuses.values()) >= self.max_requests:
                break
            method, path, form = self._next(n, sent)
            sent += 1
            headers = (
                {"Origin": self.origin, "Content-Type": "application/x-www-form-urlencoded"}
                if form is not None
                else {}
            )
            try:
                connection.request(method, path, body=form, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                # nginx itself never drops a client: this would be a failure of the test's own.
                with self._lock:
                    self.errors.append(f"{method} {path}: {error!r}")
                connection.close()
                continue
            with self._lock:
                self.statuses[status] += 1
                self.by_method[method, status] += 1
        connection.close()

    def wait_for(self, answered: int, timeout: float = LOAD_MAX_SECONDS) -> None:
        """Until `answered` requests have been answered in all (or `timeout` seconds pass)."""
        deadline = time.monotonic() + timeout
        while sum(self.statuses.values()) < answered and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> Counter[int]:
        self._stop.set()
        for run in self._runs:
            run.result()
        self._pool.shutdown()
        return self.statuses
