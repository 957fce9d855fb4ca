"""The HTTP JSON API: POST /api/v1/<service>/<Method> with protobuf's JSON mapping, for mobile
clients and third parties. Same dispatcher, same methods, same statuses as over ZeroMQ."""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import tornado.web
from google.protobuf import json_format

from api.dispatch import Dispatcher
from contract import METHODS_BY_SERVICE_ATTR, envelope_pb2
from contract.errors import ERRORS_BY_STATUS

# Protobuf's JSON mapping for a body over this size is refused unread.
MAX_BODY_BYTES = 1 << 20
TRACE_HEADER = "X-Trace-Id"
DEADLINE_HEADER = "X-Deadline-Ms"
# The caller's wall clock (Unix ms) when it stops waiting: as the envelope's deadline_unix_ms.
DEADLINE_AT_HEADER = "X-Deadline-At-Ms"
# Few enough digits for int() to be cheap and the value to fit the contract's int64.
HEADER_NUMBER = re.compile(r"[0-9]{1,18}")


def header_number(raw: str) -> int | None:
    """The one way this API reads a number from a header: 0 (the default) when it is absent,
    None when it is not a whole number. ASCII digits only: `"²".isdigit()` is true and
    `int("²")` fails, `int("٣")` is 3, and `int()` of thousands of digits raises."""
    raw = raw.strip(" \t")
    if not raw:
        return 0
    return int(raw) if HEADER_NUMBER.fullmatch(raw) else None


def http_status_for(status: int) -> int:
    if status == envelope_pb2.OK:
        return 200
    error = ERRORS_BY_STATUS.get(status)
    return error.http_status if error else 500


class MethodHandler(tornado.web.RequestHandler):
    def initialize(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.trace_id = ""

    def prepare(self) -> None:
        self.trace_id = self.request.headers.get(TRACE_HEADER, "")[:64] or secrets.token_hex(8)
        self.set_header(TRACE_HEADER, self.trace_id)

    async def post(self, service: str, name: str) -> None:
        method = METHODS_BY_SERVICE_ATTR.get(service, {}).get(name)
        if method is None:
            self._answer_error(envelope_pb2.UNIMPLEMENTED, f"no method {service}/{name}")
            return
        if len(self.request.body) > MAX_BODY_BYTES:
            self._answer_error(envelope_pb2.RESOURCE_EXHAUSTED, "request body is too large")
            return
        request = method.request_class()
        try:
            json_format.Parse(self.request.body or b"{}", request)
        except (json_format.ParseError, UnicodeDecodeError) as error:
            self._answer_error(
                envelope_pb2.INVALID_ARGUMENT,
                f"body is not a {method.request_class.DESCRIPTOR.full_name}: {error}",
            )
            return
        # The dispatcher caps it at its MAX_DEADLINE_MS.
        deadline_ms = header_number(self.request.headers.get(DEADLINE_HEADER, ""))
        if deadline_ms is None:
            self._answer_error(
                envelope_pb2.INVALID_ARGUMENT,
                f"{DEADLINE_HEADER} must be a whole number of milliseconds (ASCII digits)",
            )
            return
        deadline_at_ms = header_number(self.request.headers.get(DEADLINE_AT_HEADER, ""))
        if deadline_at_ms is None:
            self._answer_error(
                envelope_pb2.INVALID_ARGUMENT,
                f"{DEADLINE_AT_HEADER} must be a Unix time in milliseconds (ASCII digits)",
            )
            return
        outcome = await self.dispatcher.execute(
            method,
            request,
            deadline_ms=deadline_ms,
            trace_id=self.trace_id,
            now=datetime.now(UTC),
            deadline_at=deadline_at_ms / 1000,
        )
        if outcome.answer is None:
            self._answer_error(outcome.status, outcome.error)
            return
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(outcome.answer.json())

    def _answer_error(self, status: int, message: str) -> None:
        self.set_status(http_status_for(status))
        self._write_json(
            {"error": {"status": envelope_pb2.Status.Name(status), "message": message}}
        )

    def _write_json(self, body: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body, separators=(",", ":"), ensure_ascii=False))

    def write_error(self, status_code: int, **_kwargs: Any) -> None:
        # Tornado's own errors (405, 500...) answer in JSON too, never with a traceback.
        self._write_json({"error": {"status": f"HTTP_{status_code}", "message": self._reason}})


def make_http_api(dispatcher: Dispatcher) -> tornado.web.Application:
    return tornado.web.Application(
        [(r"/api/v1/([a-z_]+)/([A-Za-z]+)", MethodHandler, {"dispatcher": dispatcher})],
        default_handler_class=tornado.web.ErrorHandler,
        default_handler_args={"status_code": 404},
    )
