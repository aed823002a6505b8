"""The Python SDK's per-call cost against `requests` and `httpx` (sync), and `AsyncClient`
with 50 concurrent calls against `httpx.AsyncClient`, on `GET /api/trading/balances`.

Run by bench/run with the virtual environment's Python:
    python bench/python_bench.py URL TOKEN [--calls N] [--rounds R]
Prints one JSON object. Each round runs every client once, in turn, so drift (other load,
CPU frequency) affects all of them alike; the figures are medians over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any, Callable

import httpx
import requests  # type: ignore[import-untyped]  # no stubs in the pinned tools

import meridian

CONCURRENCY = 50


def per_call_us(calls: int, call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) * 1e6 / calls


async def concurrent_us(calls: int, call: Callable[[], Any]) -> float:
    """Time per call with CONCURRENCY calls in flight at a time."""
    started = time.perf_counter()
    for _ in range(calls // CONCURRENCY):
        await asyncio.gather(*(call() for _ in range(CONCURRENCY)))
    return (time.perf_counter() - started) * 1e6 / (calls // CONCURRENCY * CONCURRENCY)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = f"{args.url}/api/trading/balances"
    headers = {"Authorization": f"Bearer {args.token}"}

    sdk = meridian.Client(args.url, token=args.token)
    session = requests.Session()
    session.headers.update(headers)
    sync_httpx = httpx.Client(headers=headers)
    sync: dict[str, Callable[[], Any]] = {
        "meridian": lambda: sdk.trading.get_balances(),
        "requests": lambda: session.get(url).json(),
        "httpx": lambda: sync_httpx.get(url).json(),
    }
    results: dict[str, list[float]] = {name: [] for name in sync}
    for call in sync.values():
        call()  # warm the connection up
    for _ in range(args.rounds):
        for name, call in sync.items():
            results[name].append(per_call_us(args.calls, call))

    async def run_async() -> dict[str, list[float]]:
        client = meridian.AsyncClient(args.url, token=args.token)
        async with httpx.AsyncClient(headers=headers, limits=httpx.Limits(max_connections=CONCURRENCY)) as http:

            async def via_httpx() -> Any:
                return (await http.get(url)).json()

            clients = {"meridian_async": client.trading.get_balances, "httpx_async": via_httpx}
            out: dict[str, list[float]] = {name: [] for name in clients}
            for call in clients.values():
                await asyncio.gather(*(call() for _ in range(CONCURRENCY)))
            for _ in range(args.rounds):
                for name, call in clients.items():
                    out[name].append(await concurrent_us(max(args.calls, CONCURRENCY), call))
            return out

    results.update(asyncio.run(run_async()))
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(json.dumps({
        "calls_per_round": args.calls,
        "rounds": args.rounds,
        "concurrency": CONCURRENCY,
        "us_per_call": medians,
        "ratios": {
            "meridian_vs_requests": medians["meridian"] / medians["requests"],
            "meridian_vs_httpx": medians["meridian"] / medians["httpx"],
            "meridian_async_vs_httpx_async": medians["meridian_async"] / medians["httpx_async"],
        },
    }))


if __name__ == "__main__":
    main()
