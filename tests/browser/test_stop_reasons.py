"""The chat page says, in plain words, why an answer stopped."""

from __future__ import annotations

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, last_answer, open_chat, pick_models, send, wait_until_answered
from tests.fakes.upstream import Fault


def test_a_cut_off_answer_says_so_under_it(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    up = fake_upstream("openai", text="One two three four five.", fault=Fault("cut_off", after_chunks=3))
    add_provider(api, "Flaky", up.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Flaky)")
    send(ui, "Count")
    wait_until_answered(ui)
    answer = last_answer(ui)
    expect(answer.locator(".message-meta")).to_contain_text("Cut off: the provider's answer ended early")
    expect(answer.locator(".markdown")).to_have_text("One two three")

    ui.reload()
    expect(last_answer(ui).locator(".message-meta")).to_contain_text("Cut off: the provider's answer ended early")
