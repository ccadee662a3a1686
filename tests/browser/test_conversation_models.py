"""Opening a conversation in Chromium picks the models it was talking to."""

from __future__ import annotations

import re

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, open_chat, pick_models, send, wait_until_answered


def test_opening_a_conversation_picks_its_models(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    first = fake_upstream("openai", text="From the first.")
    second = fake_upstream("openai", text="From the second.")
    add_provider(api, "First", first.base_url, ["model-a"])
    add_provider(api, "Second", second.base_url, ["model-b", "model-c"])
    open_chat(ui)
    picker = ui.get_by_role("button", name=re.compile("^Model:"))
    pick_models(ui, "model-b (Second)", "model-c (Second)")
    send(ui, "Both of you")
    wait_until_answered(ui)
    both = ui.url

    ui.get_by_role("button", name="New conversation", exact=True).click()
    picker.click()
    chooser = ui.get_by_role("dialog", name="Choose models")
    chooser.get_by_role("switch", name="Pick several models").click()  # back to one model
    chooser.get_by_role("option", name="model-a (First)").click()
    expect(chooser).to_be_hidden()
    send(ui, "Only you")
    wait_until_answered(ui)
    expect(picker).to_have_accessible_name("Model: model-a")

    ui.goto(both)
    expect(picker).to_have_accessible_name("Model: model-b, model-c")
    send(ui, "Again, both")
    wait_until_answered(ui)
    assert [r.json["model"] for r in second.requests] == ["model-b", "model-c", "model-b", "model-c"]
    assert len(first.requests) == 1
