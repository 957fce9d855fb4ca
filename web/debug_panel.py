"""What the debug panel at the foot of every page shows (debug mode only): the page's API calls
and the names and types of the variables its template received."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from google.protobuf.message import Message

from api_client import Call
from contract import envelope_pb2


def call_rows(calls: Iterable[Call]) -> list[dict[str, Any]]:
    return [
        {
            "method": call.method.full_name,
            "required": call.required,
            "status": envelope_pb2.Status.Name(call.status) if call.done else "NOT SETTLED",
            "ms": round(call.duration * 1000, 1),
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
