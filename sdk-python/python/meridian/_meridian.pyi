"""Type stubs of the native module `meridian._meridian` (sdk-python/src/core.rs)."""

from typing import Any, Awaitable, Dict, List, Optional

__version__: str

class Core:
    """One Rust SDK client: its connection pool, credentials and retry policy."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        max_retries: int,
        token: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        scopes: Optional[List[str]] = None,
        page_size: int = 100,
        user_agent: Optional[str] = None,
    ) -> None: ...
    @property
    def base_url(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    def call(self, operation: str, args: Dict[str, Any]) -> str: ...
    def call_async(self, operation: str, args: Dict[str, Any]) -> Awaitable[str]: ...
    def pages(self, operation: str, args: Dict[str, Any]) -> Pages: ...
    def resume_session(self, access_token: str, refresh_token: str) -> None: ...

class Pages:
    """The items of one `…_iter` call, as JSON text; `None` after the last."""

    def next(self) -> Optional[str]: ...
    def next_async(self) -> Awaitable[Optional[str]]: ...
