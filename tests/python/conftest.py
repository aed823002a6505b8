"""Shared pytest fixtures: the real meridian-server binary on an ephemeral port.

`server` starts the binary named by MERIDIAN_SERVER_BIN (scripts/test builds it and sets it)
with a throw-away database (SQLite; a fresh PostgreSQL database on the server of
TEST_DATABASE_URL when that is set, as in CI's second pass) and file mailer, waits for its `listening on http://HOST:PORT`
line (no sleeps: a reader thread and a deadline), and stops it with SIGTERM afterwards.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import signal
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest

SERVER_START_TIMEOUT_S = 30
SERVER_STOP_TIMEOUT_S = 15


class Server:
    """A running meridian-server: its base URL and the file its stderr (the log) goes to."""

    def __init__(self, proc: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
        self.proc = proc
        self.base_url = base_url
        self.log = log
        self.mail_dir = log.parent / "mail"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def psql(url: str, sql: str) -> None:
    """Runs one SQL statement on the PostgreSQL server of `url` with psql."""
    done = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    if done.returncode != 0:
        pytest.fail(f"psql failed on {sql!r}: {done.stderr.strip()}", pytrace=False)


def with_database(url: str, name: str) -> str:
    """`url` naming database `name` instead (query string kept)."""
    head, sep, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}{sep}{query}"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database: SQLite in a temporary folder, or a new PostgreSQL database
    (dropped afterwards) on the server of TEST_DATABASE_URL when that is set."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite://{tmp_path_factory.mktemp('db')}/db.sqlite"
        return
    name = f"meridian_py_{secrets.token_hex(6)}"
    psql(base, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(base, name)
    finally:
        psql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    """Starts MERIDIAN_SERVER_BIN on 127.0.0.1:0 with a fresh database; stops it (TERM)."""
    binary = os.environ.get("MERIDIAN_SERVER_BIN")
    if not binary:
        pytest.fail(
            "MERIDIAN_SERVER_BIN is not set: point it at a built meridian-server "
            "(cargo build -p meridian-server; scripts/test does this)",
            pytrace=False,
        )
    if not (Path(binary).is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"MERIDIAN_SERVER_BIN={binary} is not an executable file", pytrace=False)

    data = tmp_path_factory.mktemp("server")
    log = data / "server.log"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    cmd = [
        binary,
        "--bind", "127.0.0.1:0",
        "--database-url", database_url,
        "--data-dir", str(data),
        "--rate-limits", "x1000",
        "--jwt-secret", secrets.token_hex(20),  # 40 characters
        "--mailer", f"file:{data}/mail",
    ]
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log_file, env=env
        )

    # A reader thread hands stdout lines over (and keeps draining the pipe afterwards), so
    # waiting for the first line has a deadline instead of a blocking readline.
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.put(raw.decode(errors="replace").rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    srv = Server(proc, "", log)
    try:
        try:
            first = lines.get(timeout=SERVER_START_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(
                f"server printed nothing within {SERVER_START_TIMEOUT_S}s\n{srv.log_tail()}",
                pytrace=False,
            )
        if first is None:
            proc.wait(timeout=SERVER_STOP_TIMEOUT_S)
            pytest.fail(
                f"server exited (status {proc.returncode}) before listening\n{srv.log_tail()}",
                pytrace=False,
            )
        match = re.fullmatch(r"listening on (http://\S+)", first.strip())
        if not match:
            pytest.fail(f"unexpected first stdout line from the server: {first!r}", pytrace=False)
        srv.base_url = match.group(1).rstrip("/")
        yield srv
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail(
                    f"server did not stop within {SERVER_STOP_TIMEOUT_S}s of SIGTERM\n"
                    f"{srv.log_tail()}",
                    pytrace=False,
                )
