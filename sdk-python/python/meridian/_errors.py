"""The exceptions a Meridian call raises: :class:`ApiError` and its subclasses by HTTP status
for the API's own error answers, and the failures that never reached an answer."""

from __future__ import annotations

import builtins
import json
from typing import Any, Dict, List, Optional

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ClientCredentialsError",
    "ConflictError",
    "DecodeError",
    "InvalidRequestError",
    "LockedError",
    "MeridianError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "TransportError",
]


class MeridianError(Exception):
    """Base of every exception the SDK raises."""


class ApiError(MeridianError):
    """The server answered with an error status, in Meridian's error shape.

    Attributes:
        status: The HTTP status.
        error: The machine-readable error code (``validation_error``, ``not_found``, …).
        message: The human-readable message.
        errors: Per-field problems (``[{"field": …, "message": …}]``); empty when none.
        request_id: The request id (``X-Request-Id``), to quote to support.
        body: The error body in Meridian's shape (``None`` when the answer had none); an
            OAuth endpoint's RFC 6749 error arrives with its ``error`` as sent and its
            ``error_description`` as ``message``.
    """

    status: int
    error: str
    message: str
    errors: List[Dict[str, Any]]
    request_id: Optional[str]
    body: Optional[Dict[str, Any]]

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        errors: Optional[List[Dict[str, Any]]] = None,
        request_id: Optional[str] = None,
        body: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(f"{status} {error}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.status = status
        self.error = error
        self.message = message
        self.errors = list(errors or [])
        self.request_id = request_id
        self.body = body


class BadRequestError(ApiError):
    """400: the request was refused (see :attr:`errors` for the fields)."""


class AuthenticationError(ApiError):
    """401: missing, invalid or expired credentials."""


class PermissionDeniedError(ApiError):
    """403: the credentials may not do this."""


class NotFoundError(ApiError):
    """404: no such resource (or not the caller's)."""


class ConflictError(ApiError):
    """409: the resource's state does not allow this."""


class LockedError(ApiError):
    """423: the account is locked."""


class RateLimitError(ApiError):
    """429: too many requests; :attr:`retry_after` says when to try again."""

    retry_after: Optional[int]

    def __init__(self, *args: Any, retry_after: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed (retried by the SDK before this is raised)."""


class TransportError(MeridianError):
    """The request could not be sent or the answer not read."""


class TimeoutError(TransportError, builtins.TimeoutError):
    """The request timed out (the client's ``timeout``)."""


class DecodeError(MeridianError):
    """A documented answer could not be decoded."""


class InvalidRequestError(MeridianError, ValueError):
    """An argument the API would refuse; nothing was sent."""


class ClientCredentialsError(MeridianError):
    """The client-credentials grant failed (unknown or deleted key, wrong secret, a scope
    the key does not hold)."""


_BY_STATUS = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    423: LockedError,
    429: RateLimitError,
}


def _api_error(
    status: int, body_json: Optional[str], request_id: Optional[str], retry_after: Optional[int]
) -> ApiError:
    body: Optional[Dict[str, Any]] = json.loads(body_json) if body_json else None
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    error = str(body.get("error", "")) if body else "unexpected_status"
    message = str(body.get("message", "")) if body else f"the server answered {status}, which the API does not document here"
    request_id = (body.get("request_id") if body else None) or request_id
    kwargs: Dict[str, Any] = {"errors": (body or {}).get("errors") or [], "request_id": request_id, "body": body}
    if cls is RateLimitError:
        kwargs["retry_after"] = retry_after
    return cls(status, error, message, **kwargs)


def _from_core(
    kind: str,
    message: str,
    status: Optional[int],
    body_json: Optional[str],
    request_id: Optional[str],
    retry_after: Optional[int],
) -> MeridianError:
    """The exception for a failure the native core reports (``kind`` names the Rust SDK's
    error variant)."""
    if kind == "api" and status is not None:
        return _api_error(status, body_json, request_id, retry_after)
    simple = {
        "timeout": TimeoutError,
        "transport": TransportError,
        "decode": DecodeError,
        "invalid_request": InvalidRequestError,
        "client_credentials": ClientCredentialsError,
    }
    return simple.get(kind, MeridianError)(message)
