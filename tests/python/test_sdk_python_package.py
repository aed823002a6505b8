"""The installed Python SDK as a package: an abi3 wheel for CPython 3.9+, typed (py.typed),
its native module in place; and the GIL released during network calls, shown with a local
HTTP server that can only answer while the calling thread has let go of the GIL."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import pytest

import meridian

HEALTH = {
    "success": True,
    "status": "healthy",
    "timestamp": "2026-11-29T10:00:00.123456789Z",
    "version": "0.1.0",
    "services": {"database": "up", "redis": "not_configured", "market_data": "up", "credit_model": "up"},
    "request_id": "req-local",
}


def test_the_wheel_is_abi3_for_cpython_39_and_typed() -> None:
    dist = metadata.distribution("meridian")
    wheel = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    assert tags and all(tag.startswith("cp39-abi3-") for tag in tags), wheel
    assert dist.metadata["Requires-Python"] == ">=3.9"
    files = {str(f) for f in dist.files or []}
    assert "meridian/py.typed" in files and "meridian/_meridian.pyi" in files, files
    native = [f for f in files if f.startswith("meridian/_meridian") and f.endswith(".so")]
    assert native == ["meridian/_meridian.abi3.so"], native
    assert meridian.__version__ == dist.version


class Gate:
    """A one-request HTTP server whose handler (a Python thread, so it needs the GIL) says
    when the request arrived and answers only when the test says so."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.answer = threading.Event()
        gate = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                gate.arrived.set()
                gate.answer.wait(timeout=30)
                body = json.dumps(HEALTH).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.answer.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gate() -> Iterator[Gate]:
    g = Gate()
    yield g
    g.close()


def test_a_blocking_call_releases_the_gil(gate: Gate) -> None:
    # The call runs in a worker thread. The handler thread can only receive the request
    # (and the main thread only see that and open the gate) while the worker's call has
    # released the GIL; with the GIL held, the call would time out instead.
    client = meridian.Client(gate.url, timeout=20, max_retries=0)
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(client.system.get_health()))
    worker.start()
    assert gate.arrived.wait(timeout=20), "the request never reached the server"
    gate.answer.set()
    worker.join(timeout=30)
    assert not worker.is_alive()
    (health,) = results
    assert isinstance(health, meridian.models.HealthResponse) and health.request_id == "req-local"
    # Nine fraction digits on the wire; datetime keeps microseconds.
    assert health.timestamp.microsecond == 123456 and health.timestamp.utcoffset() is not None


def test_an_async_call_leaves_the_event_loop_free(gate: Gate) -> None:
    async def main() -> meridian.models.HealthResponse:
        client = meridian.AsyncClient(gate.url, timeout=20, max_retries=0)
        call = asyncio.ensure_future(client.system.get_health())
        # The loop keeps running while the request is in flight: it can wait for the
        # handler (in a thread) to see the request, then let it answer.
        arrived = await asyncio.get_running_loop().run_in_executor(None, gate.arrived.wait, 20)
        assert arrived, "the request never reached the server"
        assert not call.done()
        gate.answer.set()
        return await call

    health = asyncio.run(main())
    assert health.services.database == "up"


def test_the_package_has_no_stray_build_files() -> None:
    package = Path(meridian.__file__).parent
    assert sorted(p.name for p in package.iterdir() if p.suffix == ".py") == [
        "__init__.py", "_base.py", "_client.py", "_errors.py", "_resources.py", "models.py",
    ]
