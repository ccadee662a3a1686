"""Steps the browser tests share: set-up through the API, and the mouse-driven parts of the UI."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable

import httpx2
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SCREENSHOTS, WAIT_MS


def add_provider(api: httpx2.Client, name: str, base_url: str, models: list[str], type: str = "openai") -> dict:
    """An enabled provider with `models` added, made through the API (set-up, not the thing tested)."""
    created = api.post("/providers", json={"name": name, "type": type, "base_url": base_url, "enabled": True})
    assert created.status_code == 201, created.text
    provider = created.json()
    if models:
        added = api.post(f"/providers/{provider['id']}/models", json={"models": [{"model_id": m} for m in models]})
        assert added.status_code == 201, added.text
    return provider


def open_chat(ui: Page) -> None:
    ui.goto("/")
    ui.get_by_role("link", name="Chat", exact=True).click()
    expect(ui.get_by_role("textbox", name="Message")).to_be_visible()


def pick_models(ui: Page, *options: str) -> None:
    """Open the model picker and choose `options` (accessible names like "model (Provider)")."""
    picker = ui.get_by_role("button", name=re.compile("^Model:"))
    picker.click()
    chooser = ui.get_by_role("dialog", name="Choose models")
    several = chooser.get_by_role("switch", name="Pick several models")
    if len(options) > 1 and several.get_attribute("aria-checked") != "true":
        several.click()
    if len(options) > 1:
        for option in chooser.get_by_role("option", selected=True).all():
            option.click()
        for name in options:
            chooser.get_by_role("option", name=name).click()
        ui.keyboard.press("Escape")
    else:
        chooser.get_by_role("option", name=options[0]).click()
    expect(chooser).to_be_hidden()


def send(ui: Page, text: str) -> None:
    """Type `text` and press Enter; returns once the message is shown as the last turn."""
    box = ui.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(ui.get_by_role("article", name="Your message").last).to_contain_text(text)


def last_answer(ui: Page) -> Locator:
    return ui.get_by_role("article", name=re.compile("^Answer from")).last


def wait_until_answered(ui: Page) -> None:
    """The last turn has its answers (or an error) and nothing is streaming any more."""
    turn = ui.locator(".turn").last
    expect(turn.locator(".message-assistant, .message-error").first).to_be_visible()
    expect(turn.locator(".streaming")).to_have_count(0)
    expect(ui.get_by_role("button", name="Send")).to_be_visible()


def screenshot(ui: Page, name: str) -> None:
    """Refresh docs/screenshots/NAME, only when asked (`make screenshots`): a plain test
    run must leave the checkout as it found it."""
    if os.environ.get("DRUPE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        ui.screenshot(path=str(SCREENSHOTS / name))


def eventually(condition: Callable[[], bool], message: str) -> None:
    """Poll `condition` (e.g. what the server stored) until it holds, at most WAIT_MS."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
