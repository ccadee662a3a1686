"""Automatic titles in Chromium: the sidebar and header change when the title arrives, and the
Settings → Titles tab switches them off and picks the title model."""

from __future__ import annotations

import re

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, eventually, open_chat, pick_models, send, wait_until_answered

HOSTILE = '<img src=x onerror="window.__xss=1">Sky & <b>sea</b>'


def test_the_sidebar_shows_the_title_when_it_arrives(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    up = fake_upstream("openai", text="Because of Rayleigh scattering.", title=HOSTILE, title_delay=1.5)
    add_provider(api, "Fake", up.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Fake)")
    send(ui, "Why is the sky blue?")
    wait_until_answered(ui)  # the composer is free while the title is still being asked for
    conversations = ui.get_by_role("list", name="Conversations")
    expect(conversations.get_by_role("link", name="Why is the sky blue?")).to_be_visible()

    expect(conversations.get_by_role("link", name=HOSTILE)).to_be_visible()  # markup in a title stays text
    expect(ui.get_by_role("heading", level=1, name=HOSTILE)).to_be_visible()
    assert ui.evaluate("window.__xss") is None
    assert conversations.locator("img, b").count() == 0

    send(ui, "And at sunset?")  # later turns ask for no title
    wait_until_answered(ui)
    expect(conversations.get_by_role("link", name=HOSTILE)).to_be_visible()
    assert len(up.title_requests) == 1


def test_settings_switch_titles_off_and_pick_the_model(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    chat = fake_upstream("openai", text="An answer.", title="From the chat model")
    namer = fake_upstream("openai", title="From the title model")
    add_provider(api, "Chat", chat.base_url, ["fake-model"])
    add_provider(api, "Namer", namer.base_url, ["namer-model"])
    ui.goto("/settings/titles")
    switch = ui.get_by_role("switch", name="Name conversations automatically")
    expect(switch).to_have_attribute("aria-checked", "true")
    model = ui.get_by_label("Title model")
    expect(model).to_have_value("")
    model.select_option(label="Namer · namer-model")
    expect(model).to_have_value(re.compile("namer-model$"))
    eventually(lambda: api.get("/settings/titles").json()["model"] == "namer-model", "the title model was not saved")

    open_chat(ui)
    pick_models(ui, "fake-model (Chat)")
    send(ui, "First")
    conversations = ui.get_by_role("list", name="Conversations")
    expect(conversations.get_by_role("link", name="From the title model")).to_be_visible()
    assert chat.title_requests == []

    ui.goto("/settings/titles")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(ui.get_by_label("Title model")).to_be_disabled()
    eventually(lambda: api.get("/settings/titles").json()["enabled"] is False, "titles were not switched off")
    ui.get_by_role("link", name="Chat", exact=True).click()
    ui.get_by_role("button", name="New conversation", exact=True).click()
    send(ui, "Second")
    wait_until_answered(ui)
    ui.reload()
    expect(conversations.get_by_role("link", name="Second", exact=True)).to_be_visible()
    assert len(namer.title_requests) == 1
