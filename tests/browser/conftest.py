"""Browser tests: Debian's Chromium driven by playwright against a real `drupe serve`.

Fixtures:
- `browser`: one Chromium for this package, closed after its last test: playwright's sync API keeps
  an event loop running in the main thread, which would break `asyncio.run` in later test modules.
- `drupe_server`: `drupe serve --no-local` as a subprocess on a free port, DRUPE_HOME in the test's tmp dir.
- `ui`: a fresh page on that server; fails the test on uncaught page errors or CSP violations.
- `api`: an HTTP client on the same server, for set-up the test is not about.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WAIT_MS = 30_000
"""The longest any single wait in these tests may take."""

playwright_api.expect.set_options(timeout=WAIT_MS)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class DrupeServer:
    url: str
    home: Path
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def drupe_server(drupe_home: Path, tmp_path: Path) -> Iterator[DrupeServer]:
    port = free_port()
    log = tmp_path / "drupe-serve.log"
    command = [sys.executable, "-m", "drupe", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-local"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env={**os.environ, "DRUPE_HOME": str(drupe_home)}, stdout=output, stderr=subprocess.STDOUT
        )
    server = DrupeServer(f"http://127.0.0.1:{port}", drupe_home, log)
    try:
        _wait_until_serving(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_serving(server: DrupeServer, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"drupe serve exited with {process.returncode}:\n{server.log.read_text()}")
        try:
            if httpx2.get(f"{server.url}/api/meta", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"drupe serve did not answer within {WAIT_MS} ms:\n{server.log.read_text()}")


@pytest.fixture
def api(drupe_server: DrupeServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=f"{drupe_server.url}/api", timeout=30) as client:
        yield client


@pytest.fixture
def ui(browser, drupe_server: DrupeServer) -> Iterator[object]:
    context = browser.new_context(base_url=drupe_server.url, viewport={"width": 1360, "height": 860})
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems
