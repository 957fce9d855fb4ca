"""The batched ZeroMQ + protobuf client the page handlers use (the contract lives in `contract`)."""

from api_client.client import ApiClient, Batch, Call
from contract.errors import (
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
