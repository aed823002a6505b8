"""The Python SDK's examples (sdk-python/examples/) against the real server: each runs to
completion with the installed `meridian` package and prints what it did."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from conftest import Server

EXAMPLES = Path(__file__).resolve().parents[2] / "sdk-python" / "examples"


def run(name: str, server: Server, email: str) -> str:
    """Runs example `name` against `server` as `email`; its standard output."""
    env = {"MERIDIAN_URL": server.base_url, "MERIDIAN_EMAIL": email, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}\n{server.log_tail()}"
    return done.stdout


def test_every_python_example_runs_against_the_server(server: Server) -> None:
    email = f"py-examples-{secrets.token_hex(6)}@example.com"
    out = run("quickstart.py", server, email)
    assert f"registered {email}" in out and f"signed in as {email}" in out, out
    assert "as expected, 404 Not Found (request req-" in out and "signed out" in out, out
    assert "already exists" in run("quickstart.py", server, email)

    out = run("trading.py", server, email)
    assert "USDT free: 10000" in out and "placed order" in out and "Order canceled successfully" in out, out
    assert out.count("order ") >= 3 and "SELL LIMIT CANCELED" in out and "BUY MARKET FILLED" in out, out

    out = run("service.py", server, email)
    assert "client key " in out and "USDT: 9900." in out and "no loans:read scope: 403 Forbidden" in out, out
    assert "3 requests sent" in out, out  # the token grant, the balances, the refused list

    out = run("loans.py", server, email)
    assert "credit score 627 (Fair)" in out, out  # a new account that has traded (docs/api-design.md)
    assert "315.68 a month" in out and "Loan application submitted successfully" in out, out
    assert "credit event credit_inquiry" in out, out


def test_examples_cover_every_file() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == ["loans.py", "quickstart.py", "service.py", "trading.py"]
