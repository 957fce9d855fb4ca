"""Domain errors: one exception per envelope status, shared by the client and the API service.

The API raises them inside a method to answer with that status; the client raises them when a
reply carries that status. Handlers turn them into HTTP statuses at one boundary.
"""

from __future__ import annotations

from typing import ClassVar

from contract import envelope_pb2


class ApiError(Exception):
    # The envelope Status a reply carries for this error.
    status: ClassVar[int] = envelope_pb2.INTERNAL
    # The HTTP status the JSON API answers with.
    http_status: ClassVar[int] = 500

    def __init__(
        self, message: str = "", *, method: str = "", retry_after_seconds: int = 0
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        # When a retry can pass (a rate limit's RESOURCE_EXHAUSTED); 0: not said.
        self.retry_after_seconds = retry_after_seconds

    def __str__(self) -> str:
        return f"{self.method}: {self.message}" if self.method else self.message


class NotFound(ApiError):
    status = envelope_pb2.NOT_FOUND
    http_status = 404


class Invalid(ApiError):
    status = envelope_pb2.INVALID_ARGUMENT
    http_status = 400


class Unavailable(ApiError):
    status = envelope_pb2.UNAVAILABLE
    http_status = 503


class DeadlineExceeded(ApiError):
    status = envelope_pb2.DEADLINE_EXCEEDED
    http_status = 504


class Unimplemented(ApiError):
    status = envelope_pb2.UNIMPLEMENTED
    http_status = 404


class ResourceExhausted(ApiError):
    """Too many requests (a rate limit, or too many calls in one batch): HTTP's 429, with
    Retry-After when `retry_after_seconds` is set."""

    status = envelope_pb2.RESOURCE_EXHAUSTED
    http_status = 429


class Internal(ApiError):
    status = envelope_pb2.INTERNAL
    http_status = 500


class FailedPrecondition(ApiError):
    status = envelope_pb2.FAILED_PRECONDITION
    http_status = 409


class Unauthenticated(ApiError):
    status = envelope_pb2.UNAUTHENTICATED
    http_status = 401


class AlreadyExists(ApiError):
    status = envelope_pb2.ALREADY_EXISTS
    http_status = 409


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (
        NotFound,
        Invalid,
        Unavailable,
        DeadlineExceeded,
        Unimplemented,
        ResourceExhausted,
        Internal,
        FailedPrecondition,
        Unauthenticated,
        AlreadyExists,
    )
}


def error_for(
    status: int, message: str, method: str = "", *, retry_after_seconds: int = 0
) -> ApiError:
    """The exception a reply with this (non-OK) status stands for."""
    return ERRORS_BY_STATUS.get(status, Internal)(
        message, method=method, retry_after_seconds=retry_after_seconds
    )
