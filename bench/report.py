"""The benchmark report: report.md and two SVG plots (throughput bars with the baseline
beside each; latency percentiles) from the results dictionary the driver builds."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

BACKENDS = ("sqlite", "postgres")
COLORS = {"meridian": "#2f6fdf", "baseline": "#b8b8b8"}


def _svg(width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">\n'
        f'<rect width="{width}" height="{height}" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n"
    )


def _legend(x: int, y: int) -> list[str]:
    out = []
    for i, (name, color) in enumerate(COLORS.items()):
        out.append(f'<rect x="{x + i * 120}" y="{y - 10}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + i * 120 + 18}" y="{y}">{escape(name)}</text>')
    return out


def _groups(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{name} ({backend})", row) for backend in BACKENDS if backend in results
            for name, row in results[backend]["http"].items()]


def throughput_svg(results: dict[str, Any]) -> str:
    groups = _groups(results)
    top = max(row[t]["requests_per_second"] for _, row in groups for t in COLORS) * 1.1
    width, height, left, bottom = 140 + 110 * len(groups), 360, 70, 300
    body = [f'<text x="{left}" y="20" font-size="14">Requests per second (wrk, '
            f'{results["settings"]["connections"]} connections): Meridian beside its baseline</text>']
    body += _legend(left, 42)
    for tick in range(5):
        value = top * tick / 4
        y = bottom - (bottom - 60) * tick / 4
        body.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.0f}" y2="{y:.0f}" stroke="#eee"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end">{value:,.0f}</text>')
    for i, (label, row) in enumerate(groups):
        x0 = left + 20 + i * 110
        for j, target in enumerate(COLORS):
            value = row[target]["requests_per_second"]
            h = (bottom - 60) * value / top
            body.append(f'<rect x="{x0 + j * 38}" y="{bottom - h:.0f}" width="34" height="{h:.0f}" '
                        f'fill="{COLORS[target]}"><title>{target}: {value:,.0f} req/s</title></rect>')
        body.append(f'<text x="{x0 + 36}" y="{bottom + 16}" text-anchor="middle">{escape(label.split(" ")[0])}</text>')
        body.append(f'<text x="{x0 + 36}" y="{bottom + 30}" text-anchor="middle" fill="#666">'
                    f'{escape(label.split(" ")[1])}</text>')
        body.append(f'<text x="{x0 + 36}" y="{bottom + 46}" text-anchor="middle">×{row["ratio"]:.3f}</text>')
    return _svg(width, height, body)


def latency_svg(results: dict[str, Any]) -> str:
    """Latency percentiles (p50, p75, p90, p99) per workload, log scale, Meridian and baseline."""
    import math

    groups = _groups(results)
    pcts = ("p50_ms", "p75_ms", "p90_ms", "p99_ms")
    values = [row[t][p] for _, row in groups for t in COLORS for p in pcts]
    low, high = math.log10(max(min(values), 0.01)), math.log10(max(values) * 1.5)
    width, height, left, bottom = 140 + 110 * len(groups), 360, 70, 300

    def y_of(ms: float) -> float:
        return bottom - (bottom - 60) * (math.log10(max(ms, 0.01)) - low) / (high - low)

    body = [f'<text x="{left}" y="20" font-size="14">Latency percentiles (ms, log scale): '
            'p50, p75, p90, p99 left to right</text>']
    body += _legend(left, 42)
    for exp in range(math.floor(low), math.ceil(high) + 1):
        y = y_of(10**exp)
        if 55 <= y <= bottom:
            body.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.0f}" y2="{y:.0f}" stroke="#eee"/>')
            body.append(f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end">{10**exp:g}</text>')
    for i, (label, row) in enumerate(groups):
        x0 = left + 20 + i * 110
        for target in COLORS:
            points = " ".join(f"{x0 + k * 24:.0f},{y_of(row[target][p]):.1f}" for k, p in enumerate(pcts))
            body.append(f'<polyline points="{points}" fill="none" stroke="{COLORS[target]}" stroke-width="2"/>')
            for k, p in enumerate(pcts):
                body.append(f'<circle cx="{x0 + k * 24:.0f}" cy="{y_of(row[target][p]):.1f}" r="3" '
                            f'fill="{COLORS[target]}"><title>{target} {p[:-3]}: {row[target][p]:.2f} ms</title></circle>')
        body.append(f'<text x="{x0 + 36}" y="{bottom + 16}" text-anchor="middle">{escape(label.split(" ")[0])}</text>')
        body.append(f'<text x="{x0 + 36}" y="{bottom + 30}" text-anchor="middle" fill="#666">'
                    f'{escape(label.split(" ")[1])}</text>')
    return _svg(width, height, body)


def markdown(results: dict[str, Any]) -> str:
    m, s = results["machine"], results["settings"]
    lines = [
        "# Meridian benchmark report",
        "",
        "Written by `bench/run` (bench/README.md says what each figure means). Every figure comes",
        "from one run on one machine, with each baseline measured beside it in the same run.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}; "
        f"{m['rustc']}, Python {m['python']}, {m['wrk']}; `{m['profile']}` profile; {m['date']}."
        + (" **Smoke run: tiny counts, the figures mean nothing.**" if s["smoke"] else ""),
        "",
        "## HTTP throughput and latency",
        "",
        f"wrk, 2 threads, {s['connections']} connections, {s['seconds']} s per run, rate limits off, on the",
        f"same {m['cores']} cores as the server; every answer was 2xx (the driver stops otherwise).",
        "Baseline: a bare poem handler answering the same bytes.",
        "",
        "| workload | backend | Meridian req/s | baseline req/s | ratio | Meridian p50 / p99 ms | baseline p50 / p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for backend in BACKENDS:
        if backend not in results:
            continue
        for name, row in results[backend]["http"].items():
            mer, base = row["meridian"], row["baseline"]
            lines.append(
                f"| {name} | {backend} | {mer['requests_per_second']:,.0f} | {base['requests_per_second']:,.0f} | "
                f"{row['ratio']:.3f} | {mer['p50_ms']:.2f} / {mer['p99_ms']:.2f} | "
                f"{base['p50_ms']:.2f} / {base['p99_ms']:.2f} |")
    lines += ["", "![throughput](throughput.svg)", "", "![latency](latency.svg)", "", "## Login against raw argon2id", ""]
    a = results["argon2"]
    lines.append(f"Raw argon2id verification (m = 19456 KiB, t = 2, p = 1), {a['threads']} threads: "
                 f"{a['per_second']:.1f} per second.")
    lines.append("")
    lines.append("| backend | logins/s | ratio to raw argon2id | p50 / p99 ms |")
    lines.append("|---|---:|---:|---:|")
    for backend in BACKENDS:
        if backend in results:
            login = results[backend]["login"]
            lines.append(f"| {backend} | {login['requests_per_second']:.1f} | {login['ratio_to_argon2']:.3f} | "
                         f"{login['p50_ms']:.1f} / {login['p99_ms']:.1f} |")
    rust = results["sqlite"]["rust_sdk"]
    py = results["sqlite"]["python_sdk"]
    us = py["us_per_call"]
    lines += [
        "", "## SDKs (SQLite server, `GET /api/trading/balances`)", "",
        "| client | µs per call | baseline | baseline µs | ratio |",
        "|---|---:|---|---:|---:|",
        f"| Rust SDK | {rust['sdk_us_per_call']:.0f} | hand-written reqwest | {rust['reqwest_us_per_call']:.0f} | {rust['ratio']:.3f} |",
        f"| Python `Client` | {us['meridian']:.0f} | requests | {us['requests']:.0f} | {py['ratios']['meridian_vs_requests']:.3f} |",
        f"| Python `Client` | {us['meridian']:.0f} | httpx | {us['httpx']:.0f} | {py['ratios']['meridian_vs_httpx']:.3f} |",
        f"| Python `AsyncClient`, {py['concurrency']} concurrent | {us['meridian_async']:.0f} | httpx.AsyncClient | "
        f"{us['httpx_async']:.0f} | {py['ratios']['meridian_async_vs_httpx_async']:.3f} |",
        "", "## Start-up and memory", "",
        "| backend | spawn to first healthy response (ms, migrations included) | peak RSS under the HTTP loads (MiB) | peak RSS after the login load too (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for backend in BACKENDS:
        if backend in results:
            r = results[backend]
            lines.append(f"| {backend} | {r['startup_ms']:.0f} | {r['peak_rss_mib']:.1f} | {r['peak_rss_after_login_mib']:.1f} |")
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], out: Path) -> None:
    (out / "report.md").write_text(markdown(results))
    (out / "throughput.svg").write_text(throughput_svg(results))
    (out / "latency.svg").write_text(latency_svg(results))
