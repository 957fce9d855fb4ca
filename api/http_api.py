"""The HTTP JSON API: POST /api/v1/<service>/<Method> with protobuf's JSON mapping. Same
dispatcher, same methods, same statuses as over ZeroMQ, on two listeners:

- the public face (VITRINE_API_PUBLIC_HTTP, what nginx proxies under /api/v1/ for shoppers' apps
  and third parties): only the methods the .proto marks `(public)`; the caller's address is the
  connection's (or a trusted proxy's X-Real-IP), never the body's `client_address`; the session
  is the `Authorization: Bearer` token, never the body's `session_token`;
- the internal listener (VITRINE_API_HTTP, loopback): every method, believed as sent, like
  ZeroMQ; for the fronts' HTTP transport and operators' tools, never exposed (docs/api.md).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import tornado.web
from google.protobuf import json_format

from api.dispatch import Dispatcher, Outcome
from contract import METHODS_BY_SERVICE_ATTR, envelope_pb2
from contract.errors import ERRORS_BY_STATUS
from vitrine.proxies import apply_proxy_headers

# Protobuf's JSON mapping for a body over this size is refused unread.
MAX_BODY_BYTES = 1 << 20
TRACE_HEADER = "X-Trace-Id"
DEADLINE_HEADER = "X-Deadline-Ms"
# The caller's wall clock (Unix ms) when it stops waiting: as the envelope's deadline_unix_ms.
DEADLINE_AT_HEADER = "X-Deadline-At-Ms"
BEARER = "Bearer "
# Request fields the public face fills from the connection, whatever the body says.
ADDRESS_FIELD = "client_address"
SESSION_FIELD = "session_token"
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
    def initialize(
        self, dispatcher: Dispatcher, public: bool, trusted_proxies: Collection[str]
    ) -> None:
        self.dispatcher = dispatcher
        self.public = public
        self.trusted_proxies = trusted_proxies
        self.trace_id = ""

    def prepare(self) -> None:
        self.trace_id = self.request.headers.get(TRACE_HEADER, "")[:64] or secrets.token_hex(8)
        self.set_header(TRACE_HEADER, self.trace_id)
        if self.public:
            apply_proxy_headers(self.request, self.trusted_proxies)

    async def post(self, service: str, name: str) -> None:
        method = METHODS_BY_SERVICE_ATTR.get(service, {}).get(name)
        if method is None or (self.public and not method.public):
            # An internal method answers as an unknown one: the public face does not say
            # which methods exist behind it.
            self._answer_error(envelope_pb2.UNIMPLEMENTED, f"no method {service}/{name}")
            return
        if len(self.request.body) > MAX_BODY_BYTES:
            self.set_status(413)
            self._write_error_body(envelope_pb2.RESOURCE_EXHAUSTED, "request body is too large")
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
        if self.public and not self._as_caller(request):
            return
        deadlines = self._deadlines()
        if deadlines is None:
            return
        deadline_ms, deadline_at_ms = deadlines
        outcome = await self.dispatcher.execute(
            method,
            request,
            deadline_ms=deadline_ms,
            trace_id=self.trace_id,
            now=datetime.now(UTC),
            deadline_at=deadline_at_ms / 1000,
        )
        if outcome.answer is None:
            self._answer_failure(outcome)
            return
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(outcome.answer.json())

    def _deadlines(self) -> tuple[int, int] | None:
        """X-Deadline-Ms and X-Deadline-At-Ms (0 when absent), or None when one is not a
        number (the 400 is sent). The dispatcher caps them at its MAX_DEADLINE_MS."""
        deadline_ms = header_number(self.request.headers.get(DEADLINE_HEADER, ""))
        if deadline_ms is None:
            self._answer_error(
                envelope_pb2.INVALID_ARGUMENT,
                f"{DEADLINE_HEADER} must be a whole number of milliseconds (ASCII digits)",
            )
            return None
        deadline_at_ms = header_number(self.request.headers.get(DEADLINE_AT_HEADER, ""))
        if deadline_at_ms is None:
            self._answer_error(
                envelope_pb2.INVALID_ARGUMENT,
                f"{DEADLINE_AT_HEADER} must be a Unix time in milliseconds (ASCII digits)",
            )
            return None
        return deadline_ms, deadline_at_ms

    def _as_caller(self, request: Any) -> bool:
        """Put what the connection says in place of what the body says about who calls: the
        address (the peer, or a trusted proxy's X-Real-IP) and the session (the bearer token).
        False when the answer is already sent (a malformed Authorization header)."""
        fields = request.DESCRIPTOR.fields_by_name
        if ADDRESS_FIELD in fields:
            setattr(request, ADDRESS_FIELD, self.request.remote_ip or "")
        if SESSION_FIELD in fields:
            authorization = self.request.headers.get("Authorization", "")
            if authorization and not authorization.startswith(BEARER):
                self.set_header("WWW-Authenticate", "Bearer")
                self._answer_error(
                    envelope_pb2.UNAUTHENTICATED,
                    "Authorization takes the session token: `Bearer <token>`",
                )
                return False
            setattr(request, SESSION_FIELD, authorization.removeprefix(BEARER).strip())
        return True

    def _answer_failure(self, outcome: Outcome) -> None:
        if outcome.retry_after_seconds:
            self.set_header("Retry-After", str(outcome.retry_after_seconds))
        self._answer_error(outcome.status, outcome.error)

    def _answer_error(self, status: int, message: str) -> None:
        self.set_status(http_status_for(status))
        self._write_error_body(status, message)

    def _write_error_body(self, status: int, message: str) -> None:
        self._write_json(
            {"error": {"status": envelope_pb2.Status.Name(status), "message": message}}
        )

    def _write_json(self, body: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body, separators=(",", ":"), ensure_ascii=False))

    def write_error(self, status_code: int, **_kwargs: Any) -> None:
        # Tornado's own errors (405, 500...) answer in JSON too, never with a traceback.
        self._write_json({"error": {"status": f"HTTP_{status_code}", "message": self._reason}})


class NoSuchPathHandler(tornado.web.RequestHandler):
    """Any other path: 404 in the API's JSON, not Tornado's HTML page."""

    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        error = {
            "status": "NOT_FOUND",
            "message": "the JSON API is POST /api/v1/<service>/<Method>",
        }
        self.finish(json.dumps({"error": error}, separators=(",", ":")))


def make_http_api(
    dispatcher: Dispatcher, *, public: bool, trusted_proxies: Collection[str] = ()
) -> tornado.web.Application:
    """The JSON API's public face (`public`), or its internal listener (see the module)."""
    handler_args = {"dispatcher": dispatcher, "public": public, "trusted_proxies": trusted_proxies}
    return tornado.web.Application(
        [(r"/api/v1/([a-z_]+)/([A-Za-z]+)", MethodHandler, handler_args)],
        default_handler_class=NoSuchPathHandler,
    )
