"""The product page's whole flow, with the mouse, against a real llama.cpp server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.steps import last_answer, open_chat, pick_models, send, wait_until_answered


def test_add_provider_check_fetch_models_and_chat(ui: Page, llama_server) -> None:
    # 1. Settings → Model services → + Add: name and type.
    ui.goto("/")
    ui.get_by_role("link", name="Settings").click()
    ui.get_by_role("tab", name="Model services").click()
    providers = ui.get_by_role("complementary", name="Providers")
    providers.get_by_role("button", name="+ Add").click()
    dialog = ui.get_by_role("dialog", name="Add provider")
    dialog.get_by_label("Provider name").fill("vLLM")
    dialog.get_by_label("Provider type").select_option(label="OpenAI")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()

    # 2. Enable, empty key, API address with its live resolved URL, Check.
    switch = ui.get_by_role("switch", name="Enable vLLM")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    key = ui.get_by_label("API key")
    expect(key).to_have_attribute("type", "password")
    key.fill("")
    address = ui.get_by_label("API address")
    address.fill(f"{llama_server.base_url}/")
    expect(ui.locator(".resolved-url")).to_have_text(f"Chat requests go to {llama_server.base_url}/v1/chat/completions")
    address.press("Tab")
    expect(ui.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    ui.get_by_role("button", name="Check", exact=True).click()
    expect(ui.locator(".check-result.ok")).to_contain_text("✓")

    # 3. Manage: add the served model from the provider's own list.
    ui.get_by_role("button", name="Manage").click()
    manage = ui.get_by_role("dialog", name="Manage models")
    manage.get_by_role("button", name=f"Add {llama_server.model_id}", exact=True).click()
    expect(manage.get_by_role("button", name=f"Remove {llama_server.model_id}", exact=True)).to_be_visible()
    manage.get_by_role("button", name="Done").click()
    models = ui.get_by_role("region", name="Models")
    expect(models.locator(".model-row")).to_have_count(1)

    # 4. Chat: pick the model, send, the answer streams in.
    open_chat(ui)
    pick_models(ui, re.compile(r"\(vLLM\)$"))
    ui.get_by_role("button", name="Conversation settings").click()
    ui.get_by_label("Max tokens").fill("48")
    ui.get_by_label("Max tokens").press("Tab")
    send(ui, "Say hello in five words.")
    expect(ui.get_by_role("button", name="Stop")).to_be_visible()
    wait_until_answered(ui)
    answer = last_answer(ui)
    expect(answer.locator(".markdown")).not_to_be_empty()
    expect(answer.locator(".message-meta")).to_contain_text("tokens/s")
    expect(answer.locator(".message-error")).to_have_count(0)
    answer_text = answer.locator(".markdown").inner_text()

    # The conversation survives a reload.
    ui.reload()
    expect(ui.get_by_role("article", name="Your message")).to_contain_text("Say hello in five words.")
    expect(last_answer(ui).locator(".markdown")).to_have_text(answer_text)
    expect(ui.get_by_role("list", name="Conversations").get_by_role("link")).to_have_count(1)
