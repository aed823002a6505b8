"""Browser check of Swagger UI at /docs: a real headless Chromium against the real server.

The `server` fixture (conftest.py) starts the server binary named by MERIDIAN_SERVER_BIN
(scripts/test builds it and sets it) on an ephemeral port with a throw-away SQLite database. The test then drives
Debian's Chromium (/usr/bin/chromium, through Playwright; Playwright's own browser downloads are
never used) to load /docs/ and checks that:

* every tag of the bundled spec (auth, accounts, client-keys, trading, credit, loans, system)
  renders as a section, each holding exactly the operations the spec gives it;
* "Try it out" then "Execute" on GET /api/health shows a live 200 response with a healthy body;
* the page fetches nothing from anywhere but the server and raises no uncaught script error.

A full-page screenshot is saved to $CARGO_TARGET_DIR/docs-screenshot.png (default
target/docs-screenshot.png) for people to look at, whether the test passes or fails.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import Server

REPO_ROOT = Path(__file__).resolve().parents[2]

# The spec's tags, in the order of openapi/index.yaml: the six API groups, then system.
EXPECTED_TAGS = ["auth", "accounts", "client-keys", "trading", "credit", "loans", "system"]

CHROMIUM = os.environ.get("MERIDIAN_CHROMIUM", "/usr/bin/chromium")
# What works here as root with Debian's Chromium: no sandbox (root), no GPU, and no
# background traffic of the browser's own (the machine reaches no network but registries).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

UI_TIMEOUT_MS = 20_000
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def screenshot_path() -> Path:
    """$CARGO_TARGET_DIR/docs-screenshot.png, the target dir defaulting to target/ in the repo."""
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO_ROOT / "target")
    if not target.is_absolute():
        target = REPO_ROOT / target
    return target / "docs-screenshot.png"


def spec_operations(spec: dict) -> dict[str, list[str]]:
    """Tag name -> operationIds, as Swagger UI groups them (an operation shows under each tag)."""
    by_tag: dict[str, list[str]] = {}
    for path_item in spec["paths"].values():
        for method, op in path_item.items():
            if method in HTTP_METHODS:
                for tag in op.get("tags") or ["default"]:
                    by_tag.setdefault(tag, []).append(op["operationId"])
    return by_tag


def test_docs_page_renders_every_group_and_executes_health(server: Server, tmp_path: Path):
    with urllib.request.urlopen(f"{server.base_url}/openapi.json", timeout=10) as resp:
        spec = json.load(resp)
    spec_tags = [t["name"] for t in spec["tags"]]
    assert spec_tags == EXPECTED_TAGS, "the spec's tags are not the six groups plus system"
    ops_by_tag = spec_operations(spec)
    assert set(ops_by_tag) == set(EXPECTED_TAGS), "operations tagged outside the spec's tags"

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium; "
            "scripts/test does this)",
            pytrace=False,
        )

    origin = urlsplit(server.base_url).netloc
    foreign: list[str] = []
    page_errors: list[str] = []
    shot = screenshot_path()
    shot.parent.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            # Swagger UI is vendored: anything asked of another host is a bug. Refuse it (the
            # machine has no network anyway) and remember it for the assertion below.
            def guard(route):
                url = route.request.url
                if urlsplit(url).netloc == origin or url.startswith(("data:", "blob:")):
                    route.continue_()
                else:
                    foreign.append(url)
                    route.abort()

            context.route("**/*", guard)
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.on("pageerror", lambda err: page_errors.append(str(err)))

            clip = None
            try:
                response = page.goto(f"{server.base_url}/docs/")
                assert response is not None and response.status == 200, "GET /docs/ failed"
                expect(page.locator(".swagger-ui .info .title")).to_contain_text(
                    spec["info"]["title"], timeout=UI_TIMEOUT_MS
                )

                # Every tag renders, in the spec's order, with exactly its operations.
                tag_headers = page.locator(".swagger-ui .opblock-tag-section h3.opblock-tag")
                expect(tag_headers).to_have_count(len(EXPECTED_TAGS), timeout=UI_TIMEOUT_MS)
                rendered = [tag_headers.nth(i).get_attribute("data-tag")
                            for i in range(tag_headers.count())]
                assert rendered == EXPECTED_TAGS
                for tag in EXPECTED_TAGS:
                    section = page.locator(
                        f'.swagger-ui .opblock-tag-section:has(h3[data-tag="{tag}"])'
                    )
                    expect(section.locator(".opblock")).to_have_count(
                        len(ops_by_tag[tag]), timeout=UI_TIMEOUT_MS
                    )
                    for op_id in ops_by_tag[tag]:
                        expect(section.locator(f'[id="operations-{tag}-{op_id}"]')).to_be_attached()

                # GET /api/health: open it, "Try it out" (the server's config may already have
                # it on, when the button reads "Cancel"), Execute, and read the live response.
                health = page.locator('[id="operations-system-get_health"]')
                health.locator(".opblock-summary-control").click()
                try_out = health.locator("button.try-out__btn")
                expect(try_out).to_be_visible()
                if try_out.inner_text().strip().lower() == "try it out":
                    try_out.click()
                execute = health.locator("button.execute")
                expect(execute).to_be_visible()
                execute.click()
                live = health.locator(".responses-wrapper .live-responses-table")
                expect(live.locator("tr.response td.response-col_status").first).to_have_text(
                    re.compile(r"^\s*200\b"), timeout=UI_TIMEOUT_MS
                )
                body = live.locator("tr.response .response-col_description .microlight").first
                expect(body).to_contain_text('"status": "healthy"')
                expect(health.locator(".request-url")).to_contain_text(
                    f"{server.base_url}/api/health"
                )
                # The picture to keep: the page from its top down to the live response (the
                # schema list and the health operation's documented responses below are left
                # out, which would make it several times taller).
                bottom = live.evaluate("el => el.getBoundingClientRect().bottom + window.scrollY")
                clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": bottom + 24}
            finally:
                # On a failure the whole page is kept instead, to show how far it got.
                page.screenshot(path=str(shot), full_page=True, clip=clip)
                print(f"screenshot: {shot}")
        finally:
            context.close()

    assert not foreign, f"the page fetched from other hosts: {foreign}"
    assert not page_errors, f"uncaught script errors in the page: {page_errors}"
