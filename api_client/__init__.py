"""The batched ZeroMQ + protobuf client the page handlers use, and the generated modules."""

from api_client.client import ApiClient, Batch, Call
from api_client.errors import (
    AlreadyExists,
    ApiError,
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    Invalid,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)

__all__ = [
    "AlreadyExists",
    "ApiClient",
    "ApiError",
    "Batch",
    "Call",
    "DeadlineExceeded",
    "FailedPrecondition",
    "Internal",
    "Invalid",
    "NotFound",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
]
