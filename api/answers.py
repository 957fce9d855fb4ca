"""A method's answer, encoded at most once per form, and the worker's cache of shared answers.

A catalogue read asked for again within its method's `cache_seconds` (declared in the .proto) is
answered from memory: no database round trip, no second encoding, over ZeroMQ or JSON alike.
An answer is never served older than those seconds; one still asked for near the end of its life
is renewed in the background first (REFRESH_AFTER, api/dispatch.py).
"""

from __future__ import annotations

import json
import random
import time
from collections import OrderedDict
from collections.abc import Callable

from google.protobuf import json_format
from google.protobuf.message import Message

# Bounds the cache's memory: the least recently used answers go first.
MAX_CACHED_ANSWERS = 20_000
# Each answer lives a random 80-100 % of its method's seconds. Answers cached in the same moment
# (a page's navigation, product and related products, the pages a crawler walks) would otherwise
# all expire in the same moment and send every page at once to the database: that tail was the
# half-load p99 of `make bench` (bench/README.md). Never longer than the .proto declares.
EXPIRY_JITTER = 0.2
# Past this share of its life an answer is still served, but the first call to find it starts a
# new read in the background (the dispatcher's), so an answer asked for all the time is renewed
# before it expires instead of sending one page in fifty to the database.
REFRESH_AFTER = 0.75


class Answer:
    """A response message with its wire and JSON forms, each made once, when first needed."""

    __slots__ = ("_json", "_wire", "message")

    def __init__(self, message: Message) -> None:
        self.message = message
        self._wire: bytes | None = None
        self._json: str | None = None

    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = self.message.SerializeToString()
        return self._wire

    def json(self) -> str:
        if self._json is None:
            self._json = json.dumps(
                json_format.MessageToDict(self.message), separators=(",", ":"), ensure_ascii=False
            )
        return self._json


class AnswerCache:
    def __init__(
        self,
        max_entries: int = MAX_CACHED_ANSWERS,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        # (method, request) -> (when to renew, when it expires, answer)
        self._entries: OrderedDict[tuple[str, bytes], tuple[float, float, Answer]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock
        self._jitter = jitter  # 0.0 to 1.0

    def get(self, method: str, request: bytes) -> tuple[Answer | None, bool]:
        """The answer while it has not expired, and whether it is due for renewal."""
        key = (method, request)
        entry = self._entries.get(key)
        if entry is None:
            return None, False
        now = self._clock()
        if entry[1] <= now:
            del self._entries[key]
            return None, False
        self._entries.move_to_end(key)
        return entry[2], entry[0] <= now

    def put(self, method: str, request: bytes, answer: Answer, seconds: float) -> None:
        now = self._clock()
        lifetime = seconds * (1 - EXPIRY_JITTER * self._jitter())
        self._entries[(method, request)] = (now + lifetime * REFRESH_AFTER, now + lifetime, answer)
        self._entries.move_to_end((method, request))
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
