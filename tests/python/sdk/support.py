"""Shared helpers of the SDK contract suite: users, mails, TOTP codes and a scripted stub HTTP server."""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional, TypedDict

import pyotp

import meridian
from conftest import Server  # tests/python/conftest.py (this package's own is `sdk.conftest`)
from meridian.models import LoginResponse, LoginSuccess

PASSWORD = "SecurePass123!"
"""The password every test user registers with (seed 003's example, which meets the policy)."""

REQUEST_ID = re.compile(r"req-[0-9a-f]{20}")
"""The server's request ids (`X-Request-Id`, `request_id` in bodies)."""

SEED_WALLET = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
"""Seed 003's (EIP-55 checksummed) wallet address."""


class Mail(TypedDict):
    """One message of the file mailer (`--mailer file:<dir>`)."""

    to: str
    kind: str
    subject: str
    body: str
    token: str


@dataclass
class User:
    """A registered user and a `meridian.Client` signed in as them."""

    client: meridian.Client
    email: str
    password: str
    id: str
    login: LoginSuccess


def unique_email(prefix: str) -> str:
    """A fresh address: every test registers its own users."""
    return f"{prefix}-{secrets.token_hex(6)}@example.com"


def random_wallet() -> str:
    """A fresh all-lower-case Ethereum address (no EIP-55 checksum needed; wallets are unique
    per account, so each test links its own)."""
    return "0x" + secrets.token_hex(20)


def success(answer: LoginResponse) -> LoginSuccess:
    """`answer` narrowed to a `LoginSuccess` (fails the test on a 2FA request)."""
    assert isinstance(answer, LoginSuccess), answer
    return answer


class Live:
    """The running server of a test module and ways to act on it."""

    def __init__(self, server: Server, admin_email: str) -> None:
        self.server = server
        self.base_url = server.base_url
        self.admin_email = admin_email

    def client(self, *, page_size: int = 100, user_agent: Optional[str] = None) -> meridian.Client:
        """An anonymous client of the server."""
        return meridian.Client(self.base_url, page_size=page_size, user_agent=user_agent)

    def new_user(self, prefix: str, *, page_size: int = 100, user_agent: Optional[str] = None) -> User:
        """Registers a fresh user and signs a new client in as them."""
        client = self.client(page_size=page_size, user_agent=user_agent)
        email = unique_email(prefix)
        registered = client.auth.register(email=email, password=PASSWORD)
        assert registered.user.email == email and registered.user.status == "pending"
        login = success(client.auth.login(email=email, password=PASSWORD))
        assert login.user.id == registered.user.id
        return User(client=client, email=email, password=PASSWORD, id=registered.user.id, login=login)

    def mails(self, to: str, kind: str) -> List[Mail]:
        """The messages of `kind` sent to `to`, oldest first (file names start with the time)."""
        directory = self.server.mail_dir
        if not directory.is_dir():
            return []
        found: List[Mail] = []
        for path in sorted(directory.glob("*.json")):
            mail: Mail = json.loads(path.read_text())
            if mail["to"] == to and mail["kind"] == kind:
                found.append(mail)
        return found

    def last_token(self, to: str, kind: str) -> str:
        """The token of the latest message of `kind` to `to` (fails when there is none)."""
        mails = self.mails(to, kind)
        assert mails, f"no {kind} message to {to}\n{self.server.log_tail()}"
        return mails[-1]["token"]


class Totp:
    """pyotp codes for an account's secret, each 30-second step used at most once, and only in
    increasing order (the server accepts a step only when it is later than the last one used)."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.start = time.time()
        self.step = int(self.start // 30)
        self.used: Optional[int] = None

    def code(self, offset: int) -> str:
        """The code of the step `offset` steps after the one current when this was created
        (0 or 1 are always inside the server's ±1 window during a short test)."""
        step = self.step + offset
        assert self.used is None or step > self.used, "TOTP steps must be used in increasing order"
        self.used = step
        return self.totp.at(step * 30)


# ---- A scripted HTTP server for what the real one cannot be made to do on demand ----------


@dataclass
class StubRequest:
    """One request the stub received."""

    method: str
    path: str
    headers: Dict[str, str]
    body: bytes


@dataclass
class StubResponse:
    """What the stub answers."""

    status: int
    body: bytes = b""
    headers: Dict[str, str] = field(default_factory=dict)


HEALTHY: Dict[str, object] = {
    "success": True,
    "status": "healthy",
    "timestamp": "2026-01-02T03:04:05.678Z",
    "version": "9.9.9",
    "services": {"database": "up", "redis": "not_configured", "market_data": "up", "credit_model": "up"},
    "request_id": "req-0123456789abcdef0123",
}
"""A health report in the API's shape, for the stub to answer with."""


def json_response(status: int, payload: object, **headers: str) -> StubResponse:
    """A JSON answer."""
    return StubResponse(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers})


def error_body(error: str, message: str, request_id: str) -> Dict[str, object]:
    """Meridian's error body."""
    return {"success": False, "error": error, "message": message, "request_id": request_id}


Handler = Callable[[StubRequest], StubResponse]


def answer_together(requests: int) -> Handler:
    """A stub handler that answers healthy only once `requests` requests are in flight
    together, and 503 when they never are (a client that serialised its calls)."""
    together = threading.Barrier(requests, timeout=20)

    def answer(request: StubRequest) -> StubResponse:
        try:
            together.wait()
        except threading.BrokenBarrierError:
            return json_response(503, error_body("Service Unavailable", "not concurrent", "req-00000000000000000503"))
        return json_response(200, HEALTHY)

    return answer


class Stub:
    """An HTTP server on 127.0.0.1:0 answering every request with `handler`, recording them.
    `release` ends handlers that wait on it (so a blocked handler never outlives the test)."""

    def __init__(self) -> None:
        self.handler: Handler = lambda request: StubResponse(404)
        self.requests: List[StubRequest] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        stub = self

        class RequestHandler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = StubRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with stub._lock:
                    stub.requests.append(request)
                response = stub.handler(request)
                try:
                    self.send_response(response.status)
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def closed_port_url() -> str:
    """A loopback URL nothing listens on (a port bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def money(value: object) -> Decimal:
    """`value` asserted to be an exact `Decimal` (never a float)."""
    assert isinstance(value, Decimal), f"{value!r} is {type(value).__name__}, not Decimal"
    return value
