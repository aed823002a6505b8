"""The two entry points, :class:`Client` (blocking) and :class:`AsyncClient` (asyncio):
the same configuration, credentials and resources over one native core each."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ._meridian import Core
from ._resources import AsyncResources, Resources

__all__ = ["AsyncClient", "Client"]


class _Base:
    _core: Any

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        token: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        scopes: Optional[Sequence[str]] = None,
        page_size: int = 100,
        user_agent: Optional[str] = None,
    ) -> None:
        if (client_id is None) != (client_secret is None):
            raise ValueError("client_id and client_secret go together")
        if token is not None and client_id is not None:
            raise ValueError("give a token or client credentials, not both")
        self._core = Core(
            base_url,
            timeout=float(timeout),
            max_retries=max_retries,
            token=token,
            client_id=client_id,
            client_secret=client_secret,
            scopes=list(scopes) if scopes is not None else None,
            page_size=page_size,
            user_agent=user_agent,
        )
        self._attach(self._core)

    def _attach(self, core: Any) -> None:
        raise NotImplementedError  # the resources' own, first in the subclasses' MRO

    @property
    def base_url(self) -> str:
        """The server's base URL (without a trailing slash)."""
        return str(self._core.base_url)

    @property
    def attempts(self) -> int:
        """Requests sent over the network so far (retries and token refreshes included)."""
        return int(self._core.attempts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"


class Client(Resources, _Base):
    """A blocking Meridian client. Thread-safe: share one between threads; every call
    releases the GIL while it waits for the network.

    Args:
        base_url: The server, e.g. ``"http://127.0.0.1:8080"``.
        timeout: Seconds one request may take (each retry has its own).
        max_retries: Retries of 429, 502, 503 and 504 answers and of failed connections,
            with exponential backoff and full jitter, honouring ``Retry-After``.
        token: A bearer token you manage (an access or client token).
        client_id: With ``client_secret``: act as a service with a client key; the SDK
            fetches client tokens (OAuth 2.0 client credentials) and renews them.
        client_secret: The client key's secret.
        scopes: The scopes to ask for with client credentials (all of the key's when
            ``None``).
        page_size: The page size of the ``…_iter`` methods.
        user_agent: The ``User-Agent`` header (``meridian-python/<version>`` by default).

    ``client.auth.login(email=…, password=…)`` signs the client in: later calls carry the
    access token, refreshed before it expires and once on a 401.
    """

    def resume_session(self, access_token: str, refresh_token: str) -> None:
        """Uses a session whose tokens you kept (from an earlier ``auth.login``), refreshing
        the access token with the refresh token when the server refuses it."""
        self._core.resume_session(access_token, refresh_token)


class AsyncClient(AsyncResources, _Base):
    """An asyncio Meridian client with the same arguments and resources as
    :class:`Client`; every operation is a coroutine (``await client.trading.get_balances()``)
    and every ``…_iter`` an async iterator (``async for order in …``)."""

    async def resume_session(self, access_token: str, refresh_token: str) -> None:
        """Uses a session whose tokens you kept, like :meth:`Client.resume_session`."""
        self._core.resume_session(access_token, refresh_token)
