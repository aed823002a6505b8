"""Schemathesis against the live server: every operation of the bundled spec, generated
cases in all four phases (examples, coverage, fuzzing, stateful over the specs' OpenAPI
links), every check but one (see schemathesis.toml), as a registered user and, for the
admin operations, as the bootstrap admin (hooks.py).

Settings (environment):
  MERIDIAN_SCHEMATHESIS_EXAMPLES  generated cases per operation and phase (default 25)
  MERIDIAN_SCHEMATHESIS_SEED      the seed (default: a fresh one, printed on failure)
A failure's output names the seed and a `curl` line per failing case; docs/testing.md says
how to replay a run.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from conftest import Server

HERE = Path(__file__).resolve().parent
BUNDLE = HERE.parents[2] / "openapi" / "bundled" / "meridian.yaml"
RUN_TIMEOUT_S = 900


@pytest.fixture(scope="module", autouse=True)
def admin_email() -> Iterator[str]:
    """The bootstrap admin of this module's server (set before `server` starts it)."""
    email = f"st-admin-{secrets.token_hex(4)}@example.com"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MERIDIAN_BOOTSTRAP_ADMIN", email)
        yield email


def test_schemathesis_finds_no_failure(server: Server, admin_email: str, tmp_path: Path) -> None:
    examples = os.environ.get("MERIDIAN_SCHEMATHESIS_EXAMPLES", "25")
    seed = os.environ.get("MERIDIAN_SCHEMATHESIS_SEED") or str(secrets.randbelow(2**31))
    st = Path(sys.executable).with_name("st")
    command = [
        str(st), "--config-file", str(HERE / "schemathesis.toml"), "run", str(BUNDLE),
        "--url", server.base_url, "--max-examples", examples, "--seed", seed,
        "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]
    env = {
        **os.environ,
        "MERIDIAN_ST_BASE_URL": server.base_url,
        "MERIDIAN_ST_ADMIN_EMAIL": admin_email,
        "SCHEMATHESIS_HOOKS": str(HERE / "hooks.py"),
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        command, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )
    output = done.stdout + done.stderr
    print(output)
    assert done.returncode == 0, (
        f"Schemathesis failed (seed {seed}, {examples} examples per operation); "
        f"re-run with MERIDIAN_SCHEMATHESIS_SEED={seed}:\n{output[-12000:]}\n"
        f"server log:\n{server.log_tail()}"
    )
    # It really ran: every operation of the bundle was tested.
    operations = sum(
        1
        for item in json.loads(BUNDLE.with_suffix(".json").read_text())["paths"].values()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    )
    assert f"Tested: {operations}\n" in output, output[-3000:]
