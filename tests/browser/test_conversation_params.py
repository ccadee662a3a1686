"""Reasoning and custom parameters in Chromium: the composer offers reasoning only for a model that
reasons, the settings panel shows the same level, parameters are added and removed as rows, a bad
JSON value is refused with its name, and the fake upstream receives exactly what was chosen."""

from __future__ import annotations

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import eventually, open_chat, pick_models, screenshot, send, wait_until_answered

HOSTILE = '<img src=x onerror="document.body.dataset.owned=1">'


def add_models(api: httpx2.Client, base_url: str) -> None:
    created = api.post("/providers", json={"name": "Fake", "type": "openai", "base_url": base_url, "enabled": True})
    assert created.status_code == 201, created.text
    models = [
        {"model_id": "plain-model", "capabilities": ["text"]},
        {"model_id": "thinker", "capabilities": ["text", "reasoning"]},
    ]
    added = api.post(f"/providers/{created.json()['id']}/models", json={"models": models})
    assert added.status_code == 201, added.text


def add_param(ui: Page, index: int, name: str, type_: str, value: str) -> None:
    panel = ui.get_by_role("complementary", name="Conversation settings")
    panel.get_by_role("button", name="Add parameter").click()
    panel.get_by_label(f"Name of parameter {index}").fill(name)
    panel.get_by_label(f"Name of parameter {index}").press("Tab")
    panel.get_by_label(f"Type of parameter {index}").select_option(label=type_)
    panel.get_by_label(f"Value of parameter {index}").fill(value)
    panel.get_by_label(f"Value of parameter {index}").press("Tab")


def test_reasoning_and_parameters_reach_the_upstream(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="Considered answer.")
    add_models(api, upstream.base_url)
    open_chat(ui)
    composer_reasoning = ui.locator(".composer").get_by_role("combobox", name="Reasoning")
    pick_models(ui, "plain-model (Fake)")
    expect(composer_reasoning).to_be_hidden()
    pick_models(ui, "thinker (Fake)")
    expect(composer_reasoning).to_be_visible()
    composer_reasoning.select_option(label="High")

    ui.get_by_role("button", name="Conversation settings").click()
    panel = ui.get_by_role("complementary", name="Conversation settings")
    expect(panel.get_by_label("Reasoning")).to_have_value("high")
    add_param(ui, 1, "top_k", "Number", "5")
    add_param(ui, 2, HOSTILE, "JSON", '{"a": [1, true]}')
    add_param(ui, 3, "dropped", "Text", "soon gone")
    panel.get_by_role("button", name="Remove dropped").click()
    expect(panel.get_by_label("Name of parameter 3")).to_have_count(0)

    send(ui, "Think hard")
    wait_until_answered(ui)
    body = upstream.requests[-1].json
    assert body["reasoning_effort"] == "high"
    assert body["top_k"] == 5 and body[HOSTILE] == {"a": [1, True]} and "dropped" not in body

    panel.get_by_label("Reasoning").select_option(label="Off")
    expect(composer_reasoning).to_have_value("off")
    add_param(ui, 3, "kwargs", "JSON", "{broken")
    expect(panel.get_by_role("alert").filter(has_text="The parameter 'kwargs' is not valid JSON")).to_be_visible()
    panel.get_by_label("Value of parameter 3").fill('{"enable_thinking": false}')
    panel.get_by_label("Value of parameter 3").press("Tab")
    conversation = ui.evaluate("location.pathname").rsplit("/", 1)[-1]
    eventually(
        lambda: len(api.get(f"/conversations/{conversation}").json()["settings"]["params"]) == 3,
        "the corrected parameter was not saved",
    )
    panel.evaluate("aside => { aside.scrollTop = aside.scrollHeight; }")
    screenshot(ui, "conversation-params.png")
    send(ui, "Now quickly")
    wait_until_answered(ui)
    body = upstream.requests[-1].json
    assert body["reasoning_effort"] == "none" and body["kwargs"] == {"enable_thinking": False}

    ui.reload()
    ui.get_by_role("button", name="Conversation settings").click()
    expect(panel.get_by_label("Reasoning")).to_have_value("off")
    expect(panel.get_by_label("Name of parameter 2")).to_have_value(HOSTILE)  # text in a field, never markup
    expect(panel.get_by_label("Value of parameter 1")).to_have_value("5")
    assert ui.evaluate("document.body.dataset.owned") is None
    assert ui.locator("img[src='x']").count() == 0
