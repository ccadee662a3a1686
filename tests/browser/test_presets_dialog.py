"""+ Add offers the preset catalog: search, pick a service, see its address, models and links, edit,
Reset the address, add; Custom is today's form."""

from __future__ import annotations

import httpx2
from playwright.sync_api import Page, expect

from drupe.presets import get_preset
from tests.browser.steps import screenshot


def open_add_dialog(ui: Page):
    ui.goto("/settings/providers")
    ui.get_by_role("complementary", name="Providers").get_by_role("button", name="+ Add").click()
    return ui.get_by_role("dialog", name="Add provider")


def test_a_preset_fills_the_form_stays_editable_and_adds_its_models(ui: Page, api: httpx2.Client) -> None:
    deepseek = get_preset("deepseek")
    dialog = open_add_dialog(ui)
    services = dialog.get_by_role("listbox", name="Services")
    expect(services.get_by_role("option")).to_have_count(31)  # Custom and every preset
    dialog.get_by_role("searchbox", name="Search services").fill("deeps")
    expect(services.get_by_role("option")).to_have_count(2)
    services.get_by_role("option", name="DeepSeek").click()
    expect(services.get_by_role("option", name="DeepSeek")).to_have_attribute("aria-selected", "true")

    expect(dialog.get_by_label("Provider name")).to_have_value("DeepSeek")
    expect(dialog.get_by_label("Provider type")).to_have_value("openai")
    address = dialog.get_by_label("API address")
    expect(address).to_have_value(deepseek.base_url)
    expect(dialog.get_by_role("link", name="Get a key")).to_have_attribute("href", deepseek.key_url)
    expect(dialog.get_by_role("link", name="Docs")).to_have_attribute("href", deepseek.docs_url)
    expect(dialog.get_by_text(f"Adds {len(deepseek.models)} models")).to_be_visible()
    expect(dialog.get_by_text("Anthropic-compatible")).to_be_visible()
    screenshot(ui, "provider-presets.png")

    address.fill("https://example.invalid/v1")
    dialog.get_by_role("button", name="Reset").click()
    expect(address).to_have_value(deepseek.base_url)
    dialog.get_by_label("Provider name").fill("My DeepSeek")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(ui.get_by_role("heading", name="My DeepSeek")).to_be_visible()

    shown = api.get("/providers/My DeepSeek").json()
    assert (shown["type"], shown["base_url"], shown["chat_url"]) == ("openai", deepseek.base_url, deepseek.chat_url)
    assert [m["model_id"] for m in shown["models"]] == list(deepseek.models)


def test_custom_is_the_plain_form_and_going_back_to_it_clears_the_preset(ui: Page, api: httpx2.Client) -> None:
    dialog = open_add_dialog(ui)
    services = dialog.get_by_role("listbox", name="Services")
    services.get_by_role("option", name="Ollama").click()
    expect(dialog.get_by_label("API address")).to_have_value("http://localhost:11434/v1")
    expect(dialog.get_by_role("link", name="Get a key")).to_have_count(0)
    services.get_by_role("option", name="Custom").click()
    expect(dialog.get_by_label("Provider name")).to_have_value("")
    expect(dialog.get_by_label("API address")).to_have_value("")
    expect(dialog.get_by_role("button", name="Reset")).to_be_hidden()
    dialog.get_by_label("Provider name").fill("Mine")
    dialog.get_by_label("Provider type").select_option(label="Anthropic")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()
    shown = api.get("/providers/Mine").json()
    assert (shown["type"], shown["base_url"], shown["models"]) == ("anthropic", "", [])


def test_presets_api_lists_the_catalog(api: httpx2.Client) -> None:
    listed = api.get("/presets").json()
    assert listed[0]["id"] == "openai" and len(listed) == 30
    assert next(p for p in listed if p["id"] == "deepseek") == get_preset("deepseek").public_dict()


HOSTILE = '<img src=x onerror="document.body.dataset.owned=1">'


def test_preset_text_with_markup_stays_text(ui: Page) -> None:
    """The catalog ships with drupe, but whatever it holds is shown as text, never as markup."""
    hostile = {
        "id": "hostile", "name": f"Evil {HOSTILE}", "type": "openai", "base_url": "https://example.invalid/v1",
        "chat_url": "https://example.invalid/v1/chat/completions", "models": [f"m-{HOSTILE}"],
        "key_url": "javascript:document.body.dataset.owned=2", "docs_url": "https://example.invalid/docs",
        "checked": "", "note": f"Note {HOSTILE}", "local": False,
        "alternates": [{"name": f"Alt {HOSTILE}", "type": "anthropic", "base_url": "https://example.invalid",
                        "chat_url": "https://example.invalid/v1/messages", "note": HOSTILE}],
    }  # fmt: skip
    ui.route("**/api/presets", lambda route: route.fulfill(json=[hostile]))
    dialog = open_add_dialog(ui)
    dialog.get_by_role("listbox", name="Services").get_by_role("option", name=f"Evil {HOSTILE}").click()
    expect(dialog.get_by_label("Provider name")).to_have_value(f"Evil {HOSTILE}")
    expect(dialog.get_by_text(f"Alt {HOSTILE}")).to_be_visible()
    assert dialog.locator("img").count() == 0
    key_link = dialog.get_by_role("link", name="Get a key")
    if key_link.count():
        key_link.click()
    assert ui.evaluate("document.body.dataset.owned") is None
