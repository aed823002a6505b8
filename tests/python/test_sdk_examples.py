"""The Rust SDK's runnable examples (sdk-rust/examples/) against the real server: each one
runs to completion (exit 0) and prints what it did. scripts/test builds them and points
MERIDIAN_SDK_EXAMPLES at the directory of the binaries."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from conftest import Server

EXAMPLES = os.environ.get("MERIDIAN_SDK_EXAMPLES")


def run(name: str, server: Server, email: str) -> str:
    """Runs example `name` against `server` as `email`; its standard output."""
    if not EXAMPLES:
        pytest.fail("MERIDIAN_SDK_EXAMPLES is not set (cargo build -p meridian --examples; scripts/test does this)")
    binary = Path(EXAMPLES) / name
    assert binary.is_file(), f"{binary} is not built"
    env = {**os.environ, "MERIDIAN_URL": server.base_url, "MERIDIAN_EMAIL": email}
    done = subprocess.run([str(binary)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}\n{server.log_tail()}"
    return done.stdout


def test_every_example_runs_against_the_server(server: Server):
    email = f"examples-{secrets.token_hex(6)}@example.com"
    out = run("quickstart", server, email)
    assert f"registered {email}" in out and f"signed in as {email}" in out and "signed out" in out, out
    # Again: the account exists now.
    assert "already exists" in run("quickstart", server, email)

    out = run("trading", server, email)
    assert "placed order" in out and "Order canceled successfully" in out, out

    out = run("service", server, email)
    assert "client key" in out and "Usdt" in out, out

    out = run("loan", server, email)
    assert "301.96 a month" in out and "Loan application submitted successfully" in out, out
    assert "CreditInquiry" in out, out
