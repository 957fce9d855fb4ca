"""Debug-mode tooling of a page: the panel at its foot (the page's API calls and the names and
types of the variables its template received), and a page's context captured as a fixture."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jinja2
from google.protobuf.message import Message

from api_client import Call
from contract import envelope_pb2
from web.fixtures import encode_context


def call_rows(calls: Iterable[Call]) -> list[dict[str, Any]]:
    return [
        {
            "method": call.method.full_name,
            "required": call.required,
            "status": envelope_pb2.Status.Name(call.status) if call.done else "NOT SETTLED",
            "ms": round(call.duration * 1000, 1),
            "kept": call.kept,
            "bytes": call.response_size,
        }
        for call in calls
    ]


def variable_rows(context: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(name, type_name(value)) for name, value in sorted(context.items())]


def type_name(value: Any) -> str:
    """`shop.v1.Product`, `list of shop.v1.ProductSummary (3)`, `str`, `none`..."""
    if value is None:
        return "none"
    if isinstance(value, Message):
        return value.DESCRIPTOR.full_name
    if isinstance(value, str | int | float | bool | Mapping):
        return type(value).__name__
    if isinstance(value, Sequence):  # lists, tuples, protobuf repeated fields
        items = list(value)
        return f"list of {type_name(items[0])} ({len(items)})" if items else "list (empty)"
    return type(value).__name__


def with_debug_panel(
    templates: jinja2.Environment,
    html: str,
    template: str,
    calls: Iterable[Call],
    context: Mapping[str, Any],
) -> str:
    """The page with the debug panel (its calls and context) just before </body>."""
    panel = templates.get_template("debug/panel.html").render(
        template=template, calls=call_rows(calls), variables=variable_rows(context)
    )
    head, body_end, tail = html.rpartition("</body>")
    return head + panel + body_end + tail if body_end else html + panel


def captured_context(template: str, status: int, context: Mapping[str, Any]) -> str:
    """A page's context as a fixture, in JSON (what `vitrine fixtures capture` stores)."""
    answer = {"template": template, "status": status, "context": encode_context(context)}
    return json.dumps(answer, ensure_ascii=False)
