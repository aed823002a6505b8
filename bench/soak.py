"""The soak (bench/soak calls it; bench/README.md, "Soak"): minutes of mixed load from many
users on the release server with its real rate limits, watching for memory growth and for
any answer the load should not get. Not in CI: it takes ten minutes by default and judges
timings and memory, which tests never do.

Writes soak.json and soak.md (bench/results/ by default) and exits 1 when the run saw a 5xx,
a transport error, an unexpected answer (a 4xx other than 429 that the mix did not provoke
on purpose, or a success status other than the operation's), an RSS slope over the
threshold, or the server exiting.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import secrets
import select
import sys
import tempfile
import threading
import time
import uuid
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from driver import (ORDER_BUY, ORDER_SELL, PASSWORD, ROOT, Process, first_healthy_ms, fresh_database, http,
                    sign_up_tokens)

# RSS (and threads, open files) sampled this often.
SAMPLE_EVERY_S = 5.0
# The RSS "at start" is the first sample after this warm-up (or after SLOPE_FROM of a shorter run).
WARM_UP_S = 60.0
# The RSS slope is fitted (least squares) over the samples after this fraction of the run.
SLOPE_FROM = 0.2
# The verdict fits the floor of RSS: the lowest sample of each window this long. Each argon2
# run (every login, right or wrong) holds a 19 MiB block for a few milliseconds, and a sample
# that catches one or two reads 19 or 38 MiB high; near the end of the run, a few such samples
# tilt a fit of the raw samples by more than the threshold. A leak raises the floor; a
# transient block does not. Both slopes are reported.
FLOOR_WINDOW_S = 30.0
# Above this floor slope (MiB per minute) over the last 80 % the soak fails: a 10-minute run
# that grows 1 MiB a minute would grow 1.4 GiB a day. Allocator caches settle in the first minutes.
MAX_RSS_SLOPE_MIB_PER_MIN = 1.0
# Access tokens live 900 s (--access-token-ttl): a user whose token is older logs in again.
TOKEN_RENEW_AFTER_S = 600.0
# Five consecutive wrong passwords lock an account for 30 minutes (then every login is 423):
# a user with this many wrong passwords in a row logs in correctly first.
MAX_WRONG_STREAK = 2
# How many unexpected answers and transport errors the report quotes.
EXAMPLES = 20

RESERVE_BUY = {**ORDER_BUY, "quoteOrderQty": "200"}  # ETH bought once per user, so a sell never runs short
OVERSIZED_BUY = {**ORDER_BUY, "quoteOrderQty": "1000000"}  # more than a demo wallet's 10000 USDT
LOAN_TERMS = {"amount": 10000, "rate": 5.5, "term_months": 36}
LOAN_APPLICATION = {"loan_type": "personal", "requested_amount": "5000", "requested_term_months": 24,
                    "requested_rate": "7.5", "application_data": {"purpose": "soak"}}


@dataclass(frozen=True)
class Op:
    """One operation of the mix: how often it is picked and which answers it may get besides
    429 (always allowed: the real budgets are on)."""

    name: str
    weight: int
    ok: frozenset[int] = frozenset()
    # The 4xx this operation provokes on purpose, and text its message must contain.
    provoked: int | None = None
    marker: str = ""


OPS = [
    Op("health", 10, frozenset({200})),
    Op("balances", 16, frozenset({200})),
    Op("order", 16, frozenset({201})),  # market, alternating buy and sell, fresh Idempotency-Key
    Op("order_retry", 2, frozenset({201})),  # the user's last order again, same key and body
    Op("order_oversized", 1, provoked=400, marker="Insufficient balance"),
    Op("list_orders", 10, frozenset({200})),
    Op("credit_score", 4, frozenset({200})),
    Op("loan_calculate", 10, frozenset({200})),
    Op("loan_apply", 1, frozenset({201})),
    Op("refresh", 4, frozenset({200})),
    Op("login", 2, frozenset({200})),
    Op("login_wrong", 2, provoked=401, marker="Invalid email or password"),
]
OP = {op.name: op for op in OPS}
WEIGHTS = [op.weight for op in OPS]
CLASSES = ("2xx", "429", "4xx_provoked", "4xx_other", "5xx", "other", "transport")


@dataclass
class User:
    """One account of the pool. Each user connects from a loopback address of its own (the
    budgets of unauthenticated routes are per client IP) over one keep-alive connection, and
    belongs to one worker, so its tokens and order sides change in order."""

    email: str
    source: str
    access: str
    refresh: str
    renewed: float
    sells_next: bool = False
    wrong_streak: int = 0
    last_order: tuple[dict[str, str], str] | None = None
    conn: HTTPConnection | None = None
    last_answer: str = ""


@dataclass
class Stats:
    """What one worker saw; merged at the end."""

    statuses: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    classes: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    unexpected: Counter[str] = field(default_factory=Counter)
    # (op, minute) -> latencies in ms of answers other than 429; minute -> those of 429s.
    served_ms: defaultdict[tuple[str, int], array[float]] = field(
        default_factory=lambda: defaultdict(lambda: array("d")))
    limited_ms: defaultdict[int, array[float]] = field(default_factory=lambda: defaultdict(lambda: array("d")))
    per_minute: defaultdict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # Keep-alive connections the server closed, by the answer before ("op status"): announced
    # with `Connection: close`, or silently (found closed before the next request).
    closed_announced: Counter[str] = field(default_factory=Counter)
    closed_silently: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def merge(self, other: Stats) -> None:
        for op, counts in other.statuses.items():
            self.statuses[op].update(counts)
        for op, counts in other.classes.items():
            self.classes[op].update(counts)
        self.unexpected.update(other.unexpected)
        for key, values in other.served_ms.items():
            self.served_ms[key].extend(values)
        for minute, values in other.limited_ms.items():
            self.limited_ms[minute].extend(values)
        for minute, counts in other.per_minute.items():
            self.per_minute[minute].update(counts)
        self.closed_announced.update(other.closed_announced)
        self.closed_silently.update(other.closed_silently)
        self.examples.extend(other.examples[: max(0, EXAMPLES - len(self.examples))])


def classify(op: Op, status: int, body: bytes) -> tuple[str, bool]:
    """The status class of an answer and whether the operation may get it."""
    if status == 429:
        return "429", True
    if 200 <= status < 300:
        return "2xx", status in op.ok
    if 500 <= status < 600:
        return "5xx", False
    if 400 <= status < 500:
        if status == op.provoked and op.marker.encode() in body:
            return "4xx_provoked", True
        return "4xx_other", False
    return "other", False


# ---- the load -----------------------------------------------------------------------------------


def choose(rng: random.Random, user: User, now: float) -> Op:
    if now - user.renewed > TOKEN_RENEW_AFTER_S:
        return OP["login"]
    op = rng.choices(OPS, WEIGHTS)[0]
    if op.name == "login_wrong" and user.wrong_streak >= MAX_WRONG_STREAK:
        return OP["login"]
    if op.name == "order_retry" and user.last_order is None:
        return OP["order"]
    return op


def plan(op: Op, user: User) -> tuple[str, str, Any, dict[str, str]]:
    """Method, path, JSON body and headers of `op` for `user`."""
    bearer = {"Authorization": f"Bearer {user.access}"}
    credentials = {"email": user.email, "password": PASSWORD}
    match op.name:
        case "health":
            return "GET", "/api/health", None, {}
        case "balances":
            return "GET", "/api/trading/balances", None, bearer
        case "order":
            body = ORDER_SELL if user.sells_next else ORDER_BUY
            return "POST", "/api/trading/order", body, {**bearer, "Idempotency-Key": str(uuid.uuid4())}
        case "order_retry":
            assert user.last_order is not None
            body, key = user.last_order
            return "POST", "/api/trading/order", body, {**bearer, "Idempotency-Key": key}
        case "order_oversized":
            return "POST", "/api/trading/order", OVERSIZED_BUY, {**bearer, "Idempotency-Key": str(uuid.uuid4())}
        case "list_orders":
            return "GET", "/api/trading/orders?limit=20", None, bearer
        case "credit_score":
            return "POST", "/api/credit/calculate-score", {}, bearer
        case "loan_calculate":
            return "POST", "/api/loans/calculate", LOAN_TERMS, bearer
        case "loan_apply":
            return "POST", "/api/loans/apply", LOAN_APPLICATION, {**bearer, "Idempotency-Key": str(uuid.uuid4())}
        case "refresh":
            return "POST", "/api/auth/refresh", {"refresh_token": user.refresh}, {}
        case "login":
            return "POST", "/api/auth/login", credentials, {}
        case "login_wrong":
            return "POST", "/api/auth/login", {**credentials, "password": PASSWORD + "-wrong"}, {}
    raise AssertionError(op.name)


def settle(op: Op, user: User, status: int, body: bytes, sent: tuple[Any, dict[str, str]]) -> None:
    """Updates the user after an answer: tokens, the next order side, the wrong-password streak."""
    if op.name == "order" and status == 201:
        payload, headers = sent
        user.last_order = (payload, headers["Idempotency-Key"])
        user.sells_next = not user.sells_next
    elif op.name in ("login", "refresh") and status == 200:
        tokens = json.loads(body)["tokens"]
        user.access, user.refresh, user.renewed = tokens["access_token"], tokens["refresh_token"], time.monotonic()
        if op.name == "login":
            user.wrong_streak = 0
    elif op.name == "login_wrong" and status == 401:
        user.wrong_streak += 1


def closed_by_server(conn: HTTPConnection) -> bool:
    """Whether the server has closed this idle keep-alive connection (it is readable: EOF), as
    urllib3 checks before reusing a pooled connection."""
    sock = conn.sock
    return sock is not None and bool(select.select([sock], [], [], 0)[0])


def send(user: User, host: str, port: int, method: str, path: str, payload: Any,
         headers: dict[str, str]) -> tuple[int, bytes, bool]:
    """One request over the user's keep-alive connection (opened again after a failure):
    status, body, and whether the answer said `Connection: close`."""
    if user.conn is None:
        user.conn = HTTPConnection(host, port, timeout=30, source_address=(user.source, 0))
    data = None if payload is None else json.dumps(payload).encode()
    if data is not None:
        headers = {**headers, "Content-Type": "application/json"}
    try:
        user.conn.request(method, path, data, headers)
        response = user.conn.getresponse()
        return response.status, response.read(), response.will_close
    except BaseException:
        user.conn.close()
        user.conn = None
        raise


def work(users: list[User], url: str, t0: float, deadline: float, stop: threading.Event, seed: int,
         stats: Stats) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    rng = random.Random(seed)
    # A request started just after the deadline (between the check and the clock read) counts
    # in the last minute.
    last_minute = max(0, math.ceil((deadline - t0) / 60) - 1)
    turn = 0
    while not stop.is_set() and (now := time.monotonic()) < deadline:
        user = users[turn % len(users)]
        turn += 1
        op = choose(rng, user, now)
        method, path, payload, headers = plan(op, user)
        if user.conn is not None and closed_by_server(user.conn):
            stats.closed_silently[user.last_answer] += 1
            user.conn.close()
            user.conn = None
        started = time.monotonic()
        minute = min(int((started - t0) // 60), last_minute)
        try:
            status, body, announced_close = send(user, host, port, method, path, payload, headers)
        except (OSError, HTTPException) as error:
            stats.statuses[op.name]["transport"] += 1
            stats.classes[op.name]["transport"] += 1
            stats.unexpected[op.name] += 1
            stats.per_minute[minute]["transport"] += 1
            if len(stats.examples) < EXAMPLES:
                stats.examples.append(
                    f"{started - t0:.1f} s {op.name} {method} {path}: {type(error).__name__}: {error}")
            continue
        elapsed_ms = (time.monotonic() - started) * 1000
        user.last_answer = f"{op.name} {status}"
        if announced_close:
            stats.closed_announced[user.last_answer] += 1
        kind, allowed = classify(op, status, body)
        stats.statuses[op.name][str(status)] += 1
        stats.classes[op.name][kind] += 1
        stats.per_minute[minute][kind] += 1
        (stats.limited_ms[minute] if status == 429 else stats.served_ms[(op.name, minute)]).append(elapsed_ms)
        if not allowed:
            stats.unexpected[op.name] += 1
            if len(stats.examples) < EXAMPLES:
                text = body[:300].decode(errors="replace")
                stats.examples.append(f"{started - t0:.1f} s {op.name} {method} {path}: {status} {text}")
        settle(op, user, status, body, (payload, headers))
    for user in users:
        if user.conn is not None:
            user.conn.close()


# ---- memory -------------------------------------------------------------------------------------


def proc_sample(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    field_kib = {name: int(value) for name, value in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M)}
    threads = re.search(r"^Threads:\s+(\d+)", status, re.M)
    return {
        "rss_mib": field_kib["VmRSS"] / 1024,
        "hwm_mib": field_kib["VmHWM"] / 1024,
        "threads": int(threads.group(1)) if threads else -1,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def sample(server: Process, t0: float, stop: threading.Event, samples: list[dict[str, float]]) -> None:
    """Every SAMPLE_EVERY_S until `stop`; sets `stop` when the server exits."""
    due = t0
    while True:
        if server.proc.poll() is not None:
            stop.set()
            return
        try:
            samples.append({"t_s": round(time.monotonic() - t0, 2), **proc_sample(server.proc.pid)})
        except (OSError, KeyError):
            stop.set()
            return
        due += SAMPLE_EVERY_S
        if stop.wait(max(0.0, due - time.monotonic())):
            return


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var * 60


def floor(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The lowest point of each FLOOR_WINDOW_S window (at the window's mean time)."""
    if not points:
        return []
    windows: defaultdict[int, list[tuple[float, float]]] = defaultdict(list)
    for t, v in points:
        windows[int((t - points[0][0]) // FLOOR_WINDOW_S)].append((t, v))
    return [(sum(t for t, _ in w) / len(w), min(v for _, v in w)) for _, w in sorted(windows.items())]


def memory(samples: list[dict[str, float]], duration: float) -> dict[str, Any]:
    warm_up = min(WARM_UP_S, SLOPE_FROM * duration)
    after_warm_up = [s for s in samples if s["t_s"] >= warm_up] or samples[-1:]
    window = [(s["t_s"], s["rss_mib"]) for s in samples if s["t_s"] >= SLOPE_FROM * duration]
    floors = floor(window)
    return {
        "at_load_start_mib": round(samples[0]["rss_mib"], 1),
        "start_mib": round(after_warm_up[0]["rss_mib"], 1),
        "start_at_s": after_warm_up[0]["t_s"],
        "max_mib": round(max(s["rss_mib"] for s in samples), 1),
        "end_mib": round(samples[-1]["rss_mib"], 1),
        "peak_hwm_mib": round(samples[-1]["hwm_mib"], 1),
        "slope_mib_per_min": round(slope_per_minute(floors), 3),
        "raw_slope_mib_per_min": round(slope_per_minute(window), 3),
        "slope_from_s": round(SLOPE_FROM * duration, 1),
        "slope_samples": len(window),
        "slope_floor_windows": len(floors),
        "threads": {"start": after_warm_up[0]["threads"], "max": max(s["threads"] for s in samples),
                    "end": samples[-1]["threads"]},
        "open_fds": {"start": after_warm_up[0]["fds"], "max": max(s["fds"] for s in samples),
                     "end": samples[-1]["fds"]},
    }


# ---- the run ------------------------------------------------------------------------------------


def set_up_users(url: str, count: int) -> list[User]:
    """Registers and logs in `count` users, each from its own loopback address (127.1.x.y), and
    buys each a little ETH to sell."""
    users = []
    for i in range(count):
        source = f"127.1.{i // 250}.{i % 250 + 1}"
        email = f"soak-{i}-{secrets.token_hex(3)}@example.com"
        tokens = sign_up_tokens(url, email, source=source)
        status, body = http("POST", f"{url}/api/trading/order", RESERVE_BUY, tokens["access_token"], source=source)
        assert status == 201, body
        users.append(User(email, source, tokens["access_token"], tokens["refresh_token"], time.monotonic()))
    return users


def percentile(values: array[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def latency_table(stats: Stats, minutes: int) -> list[dict[str, Any]]:
    rows = []
    for minute in range(minutes):
        row: dict[str, Any] = {"minute": minute + 1, "requests": sum(stats.per_minute[minute].values()),
                               "classes": dict(stats.per_minute[minute]), "ops": {}}
        for op in OPS:
            values = stats.served_ms.get((op.name, minute), array("d"))
            if values:
                row["ops"][op.name] = {"n": len(values), "p50_ms": round(percentile(values, 50), 2),
                                       "p99_ms": round(percentile(values, 99), 2)}
        limited = stats.limited_ms.get(minute, array("d"))
        if limited:
            row["429"] = {"n": len(limited), "p50_ms": round(percentile(limited, 50), 2),
                          "p99_ms": round(percentile(limited, 99), 2)}
        rows.append(row)
    return rows


def server_log(path: Path) -> dict[str, Any]:
    """Counts of the server's warnings and errors (RUST_LOG=warn, JSON lines) and a few of them."""
    levels: Counter[str] = Counter()
    examples: list[str] = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            level = str(json.loads(line).get("level", "?"))
        except (json.JSONDecodeError, AttributeError):
            level = "unparsed"
        levels[level] += 1
        if len(examples) < 5:
            examples.append(line[:400])
    return {"lines": dict(levels), "examples": examples}


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    backend = "postgres" if args.postgres else "sqlite"
    with fresh_database(backend, scratch, args.postgres) as database, \
            (scratch / "server.log").open("wb") as log:
        server = Process([
            args.server_bin, "--bind", "127.0.0.1:0", "--database-url", database,
            "--data-dir", str(scratch), "--rate-limits", args.rate_limits, "--mailer", f"file:{scratch}/mail",
            "--jwt-secret", secrets.token_hex(24), "--log-format", "json",
        ], env={**os.environ, "RUST_LOG": "warn"}, stderr=log)
        try:
            startup_ms = first_healthy_ms(server)
            set_up_started = time.monotonic()
            users = set_up_users(server.url, args.users)
            print(f"  {args.users} users ready in {time.monotonic() - set_up_started:.1f} s; "
                  f"{args.workers} workers for {args.duration:.0f} s", flush=True)
            stop = threading.Event()
            samples: list[dict[str, float]] = []
            t0 = time.monotonic()
            deadline = t0 + args.duration
            sampler = threading.Thread(target=sample, args=(server, t0, stop, samples), daemon=True)
            sampler.start()
            stats = [Stats() for _ in range(args.workers)]
            seed = args.seed if args.seed is not None else secrets.randbits(32)
            workers = [threading.Thread(target=work, args=(users[w::args.workers], server.url, t0, deadline, stop,
                                                           seed + w, stats[w]), daemon=True)
                       for w in range(args.workers)]
            for worker in workers:
                worker.start()
            progress(t0, deadline, stop, stats, samples)
            for worker in workers:
                worker.join()
            duration = time.monotonic() - t0
            stop.set()
            sampler.join()
            exited = server.proc.poll()
        finally:
            server.stop()
    total = Stats()
    for part in stats:
        total.merge(part)
    return {"backend": backend, "startup_ms": round(startup_ms, 1), "seed": seed, "duration_s": round(duration, 1),
            "server_exit_code": exited, "stats": total, "samples": samples,
            "server_log": server_log(scratch / "server.log")}


def progress(t0: float, deadline: float, stop: threading.Event, stats: list[Stats],
             samples: list[dict[str, float]]) -> None:
    """One line a minute while the workers run."""
    while not stop.wait(max(0.0, min(60.0, deadline - time.monotonic()))):
        elapsed = time.monotonic() - t0
        if elapsed >= deadline - t0:
            return
        counts: Counter[str] = Counter()
        for part in stats:
            # list(dict.values()) and dict.copy run in C, so under the GIL a worker cannot add a
            # key halfway through them (iterating the live counters could raise).
            for minute_counts in list(part.per_minute.values()):
                counts.update(dict.copy(minute_counts))
        rss = samples[-1]["rss_mib"] if samples else float("nan")
        print(f"  {elapsed:4.0f} s: {sum(counts.values())} requests ({counts['2xx']} 2xx, {counts['429']} 429, "
              f"{counts['4xx_provoked']} provoked 4xx, {counts['4xx_other'] + counts['5xx'] + counts['other']} "
              f"unexpected, {counts['transport']} transport errors); RSS {rss:.1f} MiB", flush=True)


def summarise(args: argparse.Namespace, raw: dict[str, Any]) -> dict[str, Any]:
    stats: Stats = raw["stats"]
    duration = raw["duration_s"]
    classes: Counter[str] = Counter()
    per_op = {}
    for op in OPS:
        counts = stats.statuses.get(op.name, Counter())
        op_classes = stats.classes.get(op.name, Counter())
        classes.update(op_classes)
        per_op[op.name] = {"requests": sum(counts.values()), "statuses": dict(sorted(counts.items())),
                           "classes": {c: op_classes[c] for c in CLASSES if op_classes[c]},
                           "unexpected": stats.unexpected[op.name]}
    requests = sum(classes.values())
    mem = memory(raw["samples"], duration) if raw["samples"] else {}
    failures = []
    if classes["5xx"]:
        failures.append(f"{classes['5xx']} answers were 5xx")
    if classes["transport"]:
        failures.append(f"{classes['transport']} requests failed in transport")
    unexpected = sum(stats.unexpected.values()) - classes["5xx"] - classes["transport"]
    if unexpected:
        failures.append(f"{unexpected} answers were unexpected (4xx other than 429 and those provoked, or "
                        "another status than the operation's)")
    if mem and mem["slope_mib_per_min"] > args.max_rss_slope:
        failures.append(f"the RSS floor grew {mem['slope_mib_per_min']} MiB/min over the last 80 % "
                        f"(threshold {args.max_rss_slope})")
    if raw["server_exit_code"] is not None:
        failures.append(f"the server exited during the run (code {raw['server_exit_code']})")
    if not mem:
        failures.append("no RSS sample")
    minutes = max(1, math.ceil(args.duration / 60))
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()},
        "settings": {"backend": raw["backend"], "duration_s": args.duration, "workers": args.workers,
                     "users": args.users, "rate_limits": args.rate_limits, "seed": raw["seed"],
                     "max_rss_slope_mib_per_min": args.max_rss_slope,
                     "mix": {op.name: op.weight for op in OPS}},
        "startup_ms": raw["startup_ms"],
        "duration_s": duration,
        "requests": requests,
        "rates_per_s": {"all": round(requests / duration, 1),
                        "served": round((requests - classes["429"]) / duration, 1),
                        "2xx": round(classes["2xx"] / duration, 1)},
        "classes": {c: classes[c] for c in CLASSES},
        "operations": per_op,
        "memory": mem,
        "connections_closed_by_server": {
            "silently": dict(stats.closed_silently.most_common()),
            "with_connection_close": dict(stats.closed_announced.most_common()),
        },
        "per_minute": latency_table(stats, minutes),
        "rss_samples": raw["samples"],
        "server_log": raw["server_log"],
        "examples": stats.examples,
        "failures": failures,
        "passed": not failures,
    }


def markdown(result: dict[str, Any]) -> str:
    s, mem, classes = result["settings"], result["memory"], result["classes"]
    out = [
        "# Soak", "",
        f"{result['date']}: {result['duration_s']:.0f} s of mixed load on {s['backend']} "
        f"({s['users']} users, {s['workers']} workers, rate limits `{s['rate_limits']}`, seed {s['seed']}, "
        f"{result['machine']['cores']} cores). Written by `bench/soak` (bench/README.md, \"Soak\").", "",
        f"**{'PASSED' if result['passed'] else 'FAILED'}**" + (
            "" if result["passed"] else ": " + "; ".join(result["failures"])), "",
        "| figure | value |", "|---|---|",
        f"| requests | {result['requests']:,} ({result['rates_per_s']['all']}/s) |",
        f"| served (not 429) | {result['requests'] - classes['429']:,} ({result['rates_per_s']['served']}/s) |",
        f"| 2xx | {classes['2xx']:,} ({result['rates_per_s']['2xx']}/s) |",
        f"| 429 | {classes['429']:,} |",
        f"| 4xx provoked on purpose | {classes['4xx_provoked']:,} |",
        f"| other 4xx | {classes['4xx_other']:,} |",
        f"| 5xx | {classes['5xx']:,} |",
        f"| other statuses | {classes['other']:,} |",
        f"| transport errors | {classes['transport']:,} |",
    ]
    if mem:
        out += [
            f"| RSS at load start | {mem['at_load_start_mib']} MiB |",
            f"| RSS at start (after warm-up, {mem['start_at_s']:.0f} s) | {mem['start_mib']} MiB |",
            f"| RSS max / end | {mem['max_mib']} / {mem['end_mib']} MiB (VmHWM {mem['peak_hwm_mib']}) |",
            f"| RSS slope after {mem['slope_from_s']:.0f} s: floor (judged) | {mem['slope_mib_per_min']} MiB/min "
            f"(lowest of each {FLOOR_WINDOW_S:.0f} s, {mem['slope_floor_windows']} windows; threshold "
            f"{s['max_rss_slope_mib_per_min']}) |",
            f"| RSS slope after {mem['slope_from_s']:.0f} s: all samples | {mem['raw_slope_mib_per_min']} MiB/min "
            f"({mem['slope_samples']} samples) |",
            f"| threads start / max / end | {mem['threads']['start']} / {mem['threads']['max']} / "
            f"{mem['threads']['end']} |",
            f"| open files start / max / end | {mem['open_fds']['start']} / {mem['open_fds']['max']} / "
            f"{mem['open_fds']['end']} |",
        ]
        if mem["slope_floor_windows"] < 4:
            out.append("| note | too short a run for the slope to mean much (fewer than 4 floor windows) |")
    out += ["", "## Answers per operation", "",
            "| operation | weight | requests | statuses | unexpected |", "|---|---|---|---|---|"]
    for op in OPS:
        row = result["operations"][op.name]
        statuses = ", ".join(f"{k}: {v:,}" for k, v in row["statuses"].items())
        out.append(f"| {op.name} | {op.weight} | {row['requests']:,} | {statuses} | {row['unexpected']} |")
    out += ["", "## Latency per minute", "",
            "p50 / p99 in ms of the answers other than 429 (the last column: the 429s of all operations).", "",
            "| minute | requests | " + " | ".join(op.name for op in OPS) + " | 429 |",
            "|---|---|" + "---|" * (len(OPS) + 1)]
    for row in result["per_minute"]:
        cells = []
        for op in OPS:
            cell = row["ops"].get(op.name)
            cells.append(f"{cell['p50_ms']:.1f} / {cell['p99_ms']:.1f}" if cell else "–")
        limited = row.get("429")
        cells.append(f"{limited['p50_ms']:.1f} / {limited['p99_ms']:.1f}" if limited else "–")
        out.append(f"| {row['minute']} | {row['requests']:,} | " + " | ".join(cells) + " |")
    out += ["", "## RSS", "", "| s | RSS MiB | threads | open files |", "|---|---|---|---|"]
    for sample_ in result["rss_samples"][::max(1, len(result["rss_samples"]) // 20)]:
        out.append(f"| {sample_['t_s']:.0f} | {sample_['rss_mib']:.1f} | {sample_['threads']:.0f} | "
                   f"{sample_['fds']:.0f} |")
    closed = result["connections_closed_by_server"]
    out += ["", "## Keep-alive connections the server closed", "",
            "By the answer just before. *Silently*: no `Connection: close` on that answer; the soak found "
            "the connection closed before its next request and opened another (a client that reuses it "
            "without checking gets a broken pipe). Not a failure of the soak, but worth knowing.", ""]
    for how, counts in closed.items():
        listed = ", ".join(f"{answer}: {n:,}" for answer, n in counts.items()) or "none"
        out.append(f"- {how.replace('_', ' ')}: {listed}")
    log = result["server_log"]
    out += ["", "## Server log (warnings and errors)", "",
            ", ".join(f"{k}: {v}" for k, v in log["lines"].items()) or "nothing", ""]
    if log["examples"]:
        out += ["```"] + log["examples"] + ["```", ""]
    if result["examples"]:
        out += ["## Unexpected answers and transport errors (first ones)", "", "```"] + result["examples"] + ["```", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--server-bin", required=True, help="the release meridian-server")
    parser.add_argument("--postgres", metavar="URL",
                        help="run on a fresh database of this PostgreSQL server (default: a fresh SQLite file)")
    parser.add_argument("--duration", type=float, default=600.0, metavar="SECONDS")
    parser.add_argument("--workers", type=int, default=8, help="threads sending requests")
    parser.add_argument("--users", type=int, default=40, help="accounts in the pool (each from its own IP)")
    parser.add_argument("--rate-limits", default="on", help="the server's --rate-limits (default: the real budgets)")
    parser.add_argument("--max-rss-slope", type=float, default=MAX_RSS_SLOPE_MIB_PER_MIN, metavar="MIB_PER_MIN")
    parser.add_argument("--seed", type=int, help="seed of the mix (default: random, recorded)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    if not 1 <= args.workers <= args.users <= 250 * 250:
        parser.error("need 1 <= workers <= users <= 62500")
    print(f"==> soak on {'PostgreSQL' if args.postgres else 'SQLite'}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = run(args, Path(tmp))
    result = summarise(args, raw)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (args.out / "soak.md").write_text(text)
    print(text)
    print(f"wrote {args.out}/soak.json and soak.md")
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
