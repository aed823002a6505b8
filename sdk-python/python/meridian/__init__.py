"""Meridian's Python SDK: typed bindings over the Rust SDK (``meridian._meridian``).

>>> import meridian
>>> client = meridian.Client("http://127.0.0.1:8080")
>>> client.auth.login(email="user@example.com", password="SecurePass123!")  # doctest: +SKIP
>>> client.trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET",
...                            quote_order_qty="100")  # doctest: +SKIP
"""

from . import models
from ._client import AsyncClient, Client
from ._errors import *  # noqa: F403 (every exception class, listed in _errors.__all__)
from ._errors import __all__ as _error_names
from ._meridian import __version__

__all__ = ["AsyncClient", "Client", "__version__", "models", *_error_names]
