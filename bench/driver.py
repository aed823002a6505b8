"""The benchmark driver (bench/run calls it): Meridian beside its baselines in one run, on
this machine, written to bench/results/ (latest.json, report.md, throughput.svg,
latency.svg). See bench/README.md for what is measured and why each baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import queue
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.client import HTTPConnection, HTTPResponse
from pathlib import Path
from typing import IO, Any, Iterator

import report

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-Passw0rd!"
# How long a server may take to print its address and to answer its first health check.
START_TIMEOUT_S = 60
# How long one helper run (argon2, the SDK rounds) may take beyond its own duration.
RUN_TIMEOUT_S = 600
# The four HTTP workloads: (name, method, path, body, needs the token).
WORKLOADS = [
    ("health", "GET", "/api/health", None, False),
    ("balances", "GET", "/api/trading/balances", None, True),
    ("order", "POST", "/api/trading/order", "alternating market buy and sell of ETH", True),
    ("calculate", "POST", "/api/loans/calculate", {"amount": 10000, "rate": 5.5, "term_months": 36}, True),
]
ORDER_BUY = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "20"}
ORDER_SELL = {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quoteOrderQty": "19"}


class Settings:
    """Durations and sizes: the full run, or the smoke run CI uses to prove the driver works."""

    def __init__(self, smoke: bool) -> None:
        self.smoke = smoke
        self.seconds = 1 if smoke else 10
        self.connections = 8 if smoke else 32
        self.login_connections = 2 if smoke else 8
        self.argon2_seconds = 0.5 if smoke else 10.0
        self.sdk_calls, self.sdk_rounds = (20, 1) if smoke else (300, 7)
        self.py_calls, self.py_rounds = (50, 1) if smoke else (300, 5)


# ---- processes ------------------------------------------------------------------------------


class Process:
    """A started server (Meridian or the baseline) and its base URL."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None,
                 stderr: int | IO[bytes] = subprocess.DEVNULL) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=env
        )
        # A reader thread hands the first line over, so waiting for it has a deadline.
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: lines.put(stdout.readline().decode().strip()), daemon=True).start()
        try:
            first = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            first = f"(nothing within {START_TIMEOUT_S} s)"
        match = re.fullmatch(r"listening on (http://\S+)", first)
        if not match:
            self.stop()
            sys.exit(f"{args[0]} did not start: {first!r}")
        self.url = match.group(1).rstrip("/")

    def peak_rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(found(r"VmHWM:\s+(\d+) kB", status).group(1))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class SourceAddressHandler(urllib.request.HTTPHandler):
    """Connects from a given local address (a loopback alias such as 127.1.0.7, so the server
    sees a client IP of its own: rate-limit budgets of unauthenticated routes are per IP)."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def http_open(self, req: urllib.request.Request) -> HTTPResponse:
        return self.do_open(HTTPConnection, req, source_address=(self.source, 0))


def http(method: str, url: str, body: Any = None, token: str | None = None,
         source: str | None = None) -> tuple[int, bytes]:
    """One request (a new connection each time); `source`: the local address to connect from."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener(SourceAddressHandler(source)) if source else None
    try:
        with (opener.open if opener else urllib.request.urlopen)(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def first_healthy_ms(server: Process) -> float:
    """Milliseconds from spawning the server to its first 200 from /api/health (migrations
    and start-up included; polled every millisecond)."""
    deadline = time.perf_counter() + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        try:
            if http("GET", f"{server.url}/api/health")[0] == 200:
                return (time.perf_counter() - server.started) * 1000
        except OSError:
            pass
        time.sleep(0.001)
    server.stop()
    sys.exit(f"no healthy answer from {server.url} within {START_TIMEOUT_S} s")


def found(pattern: str, text: str) -> re.Match[str]:
    """The first match of `pattern` (multi-line) in `text`; exits naming it when there is none."""
    match = re.search(pattern, text, re.M)
    if match is None:
        sys.exit(f"expected /{pattern}/ in:\n{text}")
    return match


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)


@contextlib.contextmanager
def fresh_database(backend: str, scratch: Path, pg_url: str | None) -> Iterator[str]:
    """A fresh database URL for one server run (a PostgreSQL database is dropped after)."""
    if backend == "sqlite":
        yield f"sqlite://{scratch}/bench-{secrets.token_hex(4)}.db"
        return
    assert pg_url
    name = f"meridian_bench_{secrets.token_hex(4)}"
    psql(pg_url, f'CREATE DATABASE "{name}"')
    head, _, query = pg_url.partition("?")
    authority = head.split("://", 1)[1].split("/", 1)[0]
    try:
        yield f"postgres://{authority}/{name}" + (f"?{query}" if query else "")
    finally:
        psql(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- load --------------------------------------------------------------------------------------

LUA = """
local token = os.getenv("BENCH_TOKEN")
local bodies = {%s}
local n = 0
wrk.method = "%s"
wrk.headers["Content-Type"] = "application/json"
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
request = function()
  n = n + 1
  local body = nil
  if #bodies > 0 then body = bodies[(n %% #bodies) + 1] end
  return wrk.format(nil, nil, nil, body)
end
"""


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def wrk(url: str, method: str, bodies: list[Any], token: str | None, seconds: int, connections: int,
        scratch: Path) -> dict[str, Any]:
    """One wrk run: requests per second, latency percentiles (ms), non-2xx count."""
    script = scratch / f"wrk-{secrets.token_hex(4)}.lua"
    script.write_text(LUA % (", ".join(lua_string(json.dumps(b)) for b in bodies), method))
    env = {**os.environ, "BENCH_TOKEN": token or ""}
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, env=env, check=True, timeout=seconds + RUN_TIMEOUT_S,
    ).stdout
    rps = float(found(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {}
    for pct in ("50", "75", "90", "99"):
        value, unit = found(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out).groups()
        latency[f"p{pct}_ms"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if errors:
        # The figures would measure error answers (a spent balance, a refused request).
        sys.exit(f"{method} {url}: {errors.group(1)} answers were not 2xx\n{out}")
    return {"requests_per_second": rps, **latency}


# ---- one backend -------------------------------------------------------------------------------


def sign_up_tokens(url: str, email: str, source: str | None = None) -> dict[str, Any]:
    """Registers `email` (password PASSWORD) and logs in: the login's `tokens` object."""
    credentials = {"email": email, "password": PASSWORD}
    status, body = http("POST", f"{url}/api/auth/register", credentials, source=source)
    assert status == 201, body
    status, body = http("POST", f"{url}/api/auth/login", credentials, source=source)
    assert status == 200, body
    tokens: dict[str, Any] = json.loads(body)["tokens"]
    return tokens


def sign_up(url: str, email: str) -> str:
    return str(sign_up_tokens(url, email)["access_token"])


def run_backend(backend: str, args: argparse.Namespace, settings: Settings, scratch: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with fresh_database(backend, scratch, args.postgres_url) as database:
        server = Process([
            args.server_bin, "--bind", "127.0.0.1:0", "--database-url", database,
            "--data-dir", str(scratch), "--rate-limits", "off", "--mailer", f"file:{scratch}/mail",
            "--jwt-secret", secrets.token_hex(24), "--log-format", "json",
        ], env={**os.environ, "RUST_LOG": "warn"})
        baseline = None
        try:
            out["startup_ms"] = first_healthy_ms(server)
            email = f"bench-{secrets.token_hex(4)}@example.com"
            token = sign_up(server.url, email)
            bodies_dir = scratch / f"bodies-{backend}"
            bodies_dir.mkdir(exist_ok=True)
            requests_of: dict[str, list[Any]] = {}
            for name, method, path, body, _ in WORKLOADS:
                sent = [ORDER_BUY, ORDER_SELL] if name == "order" else ([] if body is None else [body])
                requests_of[name] = sent
                status, captured = http(method, f"{server.url}{path}", sent[0] if sent else None, token)
                assert status in (200, 201), (name, status, captured)
                (bodies_dir / f"{name}.json").write_bytes(captured)
            # ETH to sell: the order workload alternates a buy of 20 USDT and a sell of 19, and
            # either may come first on a connection.
            status, funded = http("POST", f"{server.url}/api/trading/order", {**ORDER_BUY, "quoteOrderQty": "2000"}, token)
            assert status == 201, funded
            baseline = Process([args.bench_bin, "baseline", "--bodies", str(bodies_dir)])
            http_results: dict[str, Any] = {}
            for name, method, path, _, needs_token in WORKLOADS:
                row = {}
                for target, base in (("meridian", server.url), ("baseline", baseline.url)):
                    row[target] = wrk(f"{base}{path}", method, requests_of[name], token if needs_token else None,
                                      settings.seconds, settings.connections, scratch)
                row["ratio"] = row["meridian"]["requests_per_second"] / row["baseline"]["requests_per_second"]
                http_results[name] = row
                print(f"  {backend} {name}: {row['meridian']['requests_per_second']:.0f} req/s vs "
                      f"{row['baseline']['requests_per_second']:.0f} (ratio {row['ratio']:.3f})", flush=True)
            out["http"] = http_results
            out["peak_rss_mib"] = server.peak_rss_kib() / 1024
            login = wrk(f"{server.url}/api/auth/login", "POST", [{"email": email, "password": PASSWORD}], None,
                        settings.seconds, settings.login_connections, scratch)
            out["login"] = login
            print(f"  {backend} login: {login['requests_per_second']:.1f} logins/s", flush=True)
            out["peak_rss_after_login_mib"] = server.peak_rss_kib() / 1024
            if backend == "sqlite":
                out["rust_sdk"] = json.loads(subprocess.run(
                    [args.bench_bin, "sdk", "--url", server.url, "--token", token,
                     "--calls", str(settings.sdk_calls), "--rounds", str(settings.sdk_rounds)],
                    capture_output=True, text=True, check=True, timeout=RUN_TIMEOUT_S).stdout)
                print(f"  rust sdk: ratio {out['rust_sdk']['ratio']:.3f}", flush=True)
                out["python_sdk"] = json.loads(subprocess.run(
                    [sys.executable, str(ROOT / "bench" / "python_bench.py"), server.url, token,
                     "--calls", str(settings.py_calls), "--rounds", str(settings.py_rounds)],
                    capture_output=True, text=True, check=True, timeout=RUN_TIMEOUT_S).stdout)
                print(f"  python sdk: {out['python_sdk']['ratios']}", flush=True)
        finally:
            if baseline:
                baseline.stop()
            server.stop()
    return out


def machine(args: argparse.Namespace) -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": platform.release(),
        "rustc": subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip(),
        "python": platform.python_version(),
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" Copyright")[0],
        "profile": args.profile,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-bin", required=True)
    parser.add_argument("--bench-bin", required=True)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--postgres-url", help="also run on a fresh database of this PostgreSQL server")
    parser.add_argument("--smoke", action="store_true", help="tiny counts: check the driver, measure nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    settings = Settings(args.smoke)
    results: dict[str, Any] = {
        "machine": machine(args),
        "settings": {"seconds": settings.seconds, "connections": settings.connections,
                     "login_connections": settings.login_connections, "smoke": settings.smoke},
    }
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        backends = ["sqlite"] + (["postgres"] if args.postgres_url else [])
        for backend in backends:
            print(f"==> {backend}", flush=True)
            results[backend] = run_backend(backend, args, settings, scratch)
    argon2 = json.loads(subprocess.run([args.bench_bin, "argon2", "--seconds", str(settings.argon2_seconds)],
                                       capture_output=True, text=True, check=True,
                                       timeout=settings.argon2_seconds + RUN_TIMEOUT_S).stdout)
    results["argon2"] = argon2
    for backend in backends:
        results[backend]["login"]["ratio_to_argon2"] = (
            results[backend]["login"]["requests_per_second"] / argon2["per_second"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    report.write(results, args.out)
    print(f"wrote {args.out}/latest.json, report.md, throughput.svg, latency.svg")


if __name__ == "__main__":
    main()
