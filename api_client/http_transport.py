"""The HTTP JSON transport: the same calls as ZeroMQ, one POST each to /api/v1/<service>/<Method>.

It exists so the two can be compared side by side (VITRINE_API_TRANSPORT=http), and as a
reference client of the JSON API that mobile apps use.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format
from tornado.curl_httpclient import CurlAsyncHTTPClient
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse

from api_client.client import Call, Deliver
from contract import envelope_pb2

# Connections kept open to the JSON API; curl reuses them (keep-alive), which Tornado's simple
# client would not, so the comparison with ZeroMQ is fair.
MAX_CONNECTIONS = 64
# A rate limit's Retry-After, in whole seconds.
RETRY_AFTER = re.compile(r"[0-9]{1,9}")


class HttpTransport:
    def __init__(self, base_url: str, deliver: Deliver) -> None:
        self._base_url = base_url.rstrip("/")
        self._deliver = deliver
        self._client: CurlAsyncHTTPClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, trace_id: str, calls: Sequence[Call]) -> None:
        for call in calls:
            self._post(trace_id, call)

    def resend(self, call: Call) -> bool:
        if call.done:
            return False
        self._post(call.trace_id, call)
        return True

    def forget(self, call: Call) -> None:
        """Nothing to drop: the request's own timeout ends it."""

    def _post(self, trace_id: str, call: Call) -> None:
        if self._client is None:
            self._client = CurlAsyncHTTPClient(force_instance=True, max_clients=MAX_CONNECTIONS)
        call.sent = True
        call.attempts += 1
        task = asyncio.create_task(self._fetch(self._client, trace_id, call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch(self, client: CurlAsyncHTTPClient, trace_id: str, call: Call) -> None:
        remaining = max(0.001, call.started + call.deadline - asyncio.get_running_loop().time())
        request = HTTPRequest(
            f"{self._base_url}/api/v1/{call.method.service_attr}/{call.method.name}",
            method="POST",
            body=json.dumps(json_format.MessageToDict(call.request)),
            headers={
                "Content-Type": "application/json",
                "X-Trace-Id": trace_id,
                "X-Deadline-Ms": str(int(remaining * 1000)),
                "X-Deadline-At-Ms": str(int((time.time() + remaining) * 1000)),
            },
            request_timeout=remaining,
        )
        try:
            response: HTTPResponse = await client.fetch(request, raise_error=False)
        except (HTTPClientError, OSError) as error:
            self._deliver(call, envelope_pb2.UNAVAILABLE, None, str(error), 0)
            return
        if call.done:
            return
        if response.code == 599:  # curl could not connect, or timed out
            status = (
                envelope_pb2.DEADLINE_EXCEEDED
                if "timed out" in str(response.error).lower()
                else envelope_pb2.UNAVAILABLE
            )
            self._deliver(call, status, None, str(response.error), 0)
            return
        # ASCII digits only ("²".isdigit() is true, and int() of it fails).
        retry_after = response.headers.get("Retry-After", "")
        call.retry_after_seconds = int(retry_after) if RETRY_AFTER.fullmatch(retry_after) else 0
        self._deliver_body(call, response.code, response.body or b"")

    def _deliver_body(self, call: Call, code: int, body: bytes) -> None:
        try:
            document: Any = json.loads(body)
        except ValueError:
            self._deliver(
                call, envelope_pb2.INTERNAL, None, f"HTTP {code} with a non-JSON body", len(body)
            )
            return
        if code == 200:
            message = call.method.response_class()
            json_format.ParseDict(document, message, ignore_unknown_fields=True)
            self._deliver(call, envelope_pb2.OK, message, "", len(body))
            return
        error = document.get("error", {}) if isinstance(document, dict) else {}
        known = set(envelope_pb2.Status.keys())
        name = error.get("status")
        status = envelope_pb2.Status.Value(name) if name in known else envelope_pb2.INTERNAL
        self._deliver(call, status, None, str(error.get("message", f"HTTP {code}")), len(body))

    async def use_endpoints(self, discovered: Sequence[str]) -> None:
        """Nothing to do: every worker serves the JSON API on one shared address."""

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            self._client.close()
            self._client = None
