"""Meridian's Python SDK: typed bindings over the Rust SDK (``meridian._meridian``).

>>> import meridian
>>> client = meridian.Client("http://127.0.0.1:8080")
>>> client.auth.login(email="user@example.com", password="SecurePass123!")  # doctest: +SKIP
>>> client.trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET",
...                            quote_order_qty="100")  # doctest: +SKIP
"""

from . import models
from ._client import AsyncClient, Client
from ._errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ClientCredentialsError,
    ConflictError,
    DecodeError,
    InvalidRequestError,
    LockedError,
    MeridianError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    TransportError,
)
from ._meridian import __version__

__all__ = [
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
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
    "__version__",
    "models",
]
