"""Settings → Model services, every setting: a provider's proxy, timeout, stream usage and notes;
a model's sizes and prices; the default model; Manage's filter tabs, Add all and Refresh. Each is
checked after a reload, and refusals show under their field with nothing saved lost."""

from __future__ import annotations

import re

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, eventually, screenshot

PROXY_PASSWORD = "proxy-pass-0123456789"
HOSTILE = '<img src=x onerror="window.__xss=1">'


def open_provider(ui: Page, name: str) -> None:
    ui.goto("/settings/providers")
    ui.get_by_role("complementary", name="Providers").get_by_role("link", name=name, exact=True).click()
    expect(ui.get_by_role("heading", name=name)).to_be_visible()


def saved(ui: Page) -> None:
    expect(ui.get_by_role("status").filter(has_text="Saved")).to_be_visible()


def test_proxy_timeout_stream_usage_and_notes_are_saved_and_refusals_lose_nothing(ui: Page, api: httpx2.Client) -> None:
    add_provider(api, "Proxied", "", [])
    add_provider(api, "Claude", "", [], type="anthropic")
    open_provider(ui, "Proxied")
    proxy = ui.get_by_label("Proxy")
    proxy.fill(f"http://bob:{PROXY_PASSWORD}@127.0.0.1:3128")
    proxy.press("Tab")
    saved(ui)
    timeout = ui.get_by_label("Timeout (seconds)")
    timeout.fill("45")
    timeout.press("Tab")
    switch = ui.get_by_role("switch", name="Ask for token usage in streams")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    notes = ui.get_by_label("Notes")
    notes.fill(f"Team account {HOSTILE}")
    notes.press("Tab")
    eventually(lambda: api.get("/providers/Proxied").json()["notes"].startswith("Team"), "notes not saved")

    # Refusals, in the core's words, under the field that caused them.
    proxy.fill("ftp://127.0.0.1:21")
    proxy.press("Tab")
    expect(ui.get_by_role("alert").filter(has_text="is not a http/https/socks5/socks5h URL")).to_be_visible()
    timeout.fill("-5")
    timeout.press("Tab")
    expect(ui.get_by_role("alert").filter(has_text="greater than 0")).to_be_visible()

    ui.evaluate("window.__xss = null")
    ui.reload()
    expect(ui.get_by_role("heading", name="Proxied")).to_be_visible()
    # What was saved before the refusals is still there; the password never reaches the page.
    expect(ui.get_by_label("Proxy")).to_have_value("http://bob:***@127.0.0.1:3128")
    expect(ui.get_by_label("Timeout (seconds)")).to_have_value("45")
    expect(ui.get_by_role("switch", name="Ask for token usage in streams")).to_have_attribute("aria-checked", "false")
    expect(ui.get_by_label("Notes")).to_have_value(f"Team account {HOSTILE}")
    assert PROXY_PASSWORD not in ui.content()
    assert ui.locator(".panel-inner img").count() == 0 and ui.evaluate("window.__xss") is None
    stored = api.get("/providers/Proxied").json()
    assert (stored["timeout"], stored["options"]) == (45, {"stream_usage": False})

    # Changing the host keeps the stored password: the page sends the mask back.
    ui.get_by_label("Proxy").fill("http://bob:***@127.0.0.1:3129")
    ui.get_by_label("Proxy").press("Tab")
    eventually(lambda: api.get("/providers/Proxied").json()["proxy"].endswith(":3129"), "proxy not saved")

    # A type that sends no stream_options has no switch (its /api/meta entry does not list it).
    open_provider(ui, "Claude")
    expect(ui.get_by_label("Proxy")).to_be_visible()
    expect(ui.get_by_role("switch", name="Ask for token usage in streams")).to_have_count(0)


def test_a_model_s_name_group_capabilities_sizes_and_prices_are_edited(ui: Page, api: httpx2.Client) -> None:
    add_provider(api, "Priced", "", ["gpt-4o", "plain"])
    open_provider(ui, "Priced")
    models = ui.get_by_role("region", name="Models")
    models.get_by_role("button", name="Edit gpt-4o").click()
    edit = ui.get_by_role("dialog", name="Edit model")
    edit.get_by_label("Model name").fill(HOSTILE)
    edit.get_by_label("Group").fill("openai")
    edit.get_by_role("button", name="Reasoning").click()
    edit.get_by_label("Context window (tokens)").fill("128,000")
    edit.get_by_label("Max output (tokens)").fill("lots")
    edit.get_by_label("Input price (USD per million tokens)").fill("-1")
    edit.get_by_role("button", name="Save").click()
    # The first refusal is shown under its field, the dialog stays open, nothing is saved.
    max_output = edit.get_by_label("Max output (tokens)")
    expect(
        edit.get_by_role("alert").filter(has_text="Max output (tokens): Input should be a valid integer")
    ).to_be_visible()
    expect(max_output).to_have_attribute("aria-invalid", "true")
    assert api.get("/providers/Priced/models").json()[0]["context_window"] is None
    max_output.fill("16384")
    edit.get_by_role("button", name="Save").click()
    expect(edit.get_by_role("alert").filter(has_text="greater than or equal to 0")).to_be_visible()
    edit.get_by_label("Input price (USD per million tokens)").fill("2.5")
    edit.get_by_label("Output price (USD per million tokens)").fill("10")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()

    ui.evaluate("window.__xss = null")
    ui.reload()
    models = ui.get_by_role("region", name="Models")
    expect(models.locator(".model-row").first).to_contain_text(HOSTILE)  # the name, as text
    assert models.locator("img").count() == 0 and ui.evaluate("window.__xss") is None
    models.get_by_role("button", name="Edit gpt-4o").click()
    edit = ui.get_by_role("dialog", name="Edit model")
    expect(edit.get_by_label("Group")).to_have_value("openai")
    expect(edit.get_by_label("Context window (tokens)")).to_have_value("128000")
    expect(edit.get_by_label("Max output (tokens)")).to_have_value("16384")
    expect(edit.get_by_label("Input price (USD per million tokens)")).to_have_value("2.5")
    expect(edit.get_by_label("Output price (USD per million tokens)")).to_have_value("10")
    expect(edit.get_by_role("button", name="Reasoning")).to_have_attribute("aria-pressed", "true")
    # Emptied, a number is unknown again.
    edit.get_by_label("Output price (USD per million tokens)").fill("")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()
    stored = api.get("/providers/Priced/models").json()[0]
    assert (stored["group"], stored["price_in"], stored["price_out"]) == ("openai", 2.5, None)
    assert "reasoning" in stored["capabilities"]


def test_the_default_model_is_set_from_its_row_and_shown(ui: Page, api: httpx2.Client) -> None:
    add_provider(api, "Home", "", ["fake-model", "fake-large", "text-embedding-3-small"])
    off = add_provider(api, "Off", "", ["other"])
    api.patch(f"/providers/{off['id']}", json={"enabled": False})
    open_provider(ui, "Home")
    models = ui.get_by_role("region", name="Models")
    models.get_by_role("button", name="Set fake-large as default").click()
    row = models.locator(".model-row", has_text="fake-large")
    expect(row.get_by_text("Default", exact=True)).to_be_visible()
    embedding = models.locator(".model-row", has_text="text-embedding-3-small")
    expect(embedding.get_by_role("button", name="Edit text-embedding-3-small")).to_be_visible()
    expect(embedding.get_by_role("button", name=re.compile("as default"))).to_have_count(0)  # it cannot chat
    ui.reload()
    models = ui.get_by_role("region", name="Models")
    expect(models.locator(".model-row", has_text="fake-large").get_by_text("Default", exact=True)).to_be_visible()
    expect(models.get_by_text("Default", exact=True)).to_have_count(1)
    assert api.get("/default-model").json()["model"]["model_id"] == "fake-large"

    # A disabled provider's model cannot be the default: the server's words in the page's alert line.
    open_provider(ui, "Off")
    ui.get_by_role("region", name="Models").get_by_role("button", name="Set other as default").click()
    expect(ui.get_by_role("alert").filter(has_text="disabled")).to_be_visible()
    assert api.get("/default-model").json()["model"]["model_id"] == "fake-large"

    open_provider(ui, "Home")
    ui.get_by_role("region", name="Models").get_by_role("button", name="Unset fake-large as default").click()
    expect(ui.get_by_role("region", name="Models").get_by_text("Default", exact=True)).to_have_count(0)
    eventually(lambda: api.get("/default-model").json() == {"model": None}, "default not cleared")


def test_manage_filters_by_capability_adds_all_shown_after_asking_and_refreshes(
    ui: Page, api: httpx2.Client, fake_upstream
) -> None:
    upstream = fake_upstream(
        "openai",
        models=("gpt-4o", "o3-mini", "qwen3-32b", "text-embedding-3-small", "jina-reranker-v2", "llama-3-8b:free"),
    )
    add_provider(api, "Many", upstream.base_url, [])
    open_provider(ui, "Many")
    ui.get_by_role("region", name="Models").get_by_role("button", name="Manage").click()
    manage = ui.get_by_role("dialog", name="Manage models")
    rows = manage.locator(".model-row")
    expect(rows).to_have_count(6)
    tabs = manage.get_by_role("tablist", name="Filter by capability")
    for tab, shown in (("Reasoning", 2), ("Vision", 2), ("Tools", 3), ("Embedding", 1), ("Rerank", 1), ("Free", 1)):
        tabs.get_by_role("tab", name=re.compile(f"^{tab}")).click()
        expect(tabs.get_by_role("tab", name=re.compile(f"^{tab}"))).to_have_attribute("aria-selected", "true")
        expect(rows).to_have_count(shown)
    expect(rows).to_contain_text("llama-3-8b:free")

    # Add all asks first; cancelled, nothing is added.
    tabs.get_by_role("tab", name=re.compile("^All")).click()
    manage.get_by_role("button", name="Add all").click()
    confirm = ui.get_by_role("dialog", name="Add all models")
    expect(confirm).to_contain_text("Add the 6 models shown to Many?")
    confirm.get_by_role("button", name="Cancel").click()
    assert api.get("/providers/Many/models").json() == []

    # Add all adds what the tab and the search show, no more.
    tabs.get_by_role("tab", name=re.compile("^Reasoning")).click()
    manage.get_by_role("button", name="Add all").click()
    ui.get_by_role("dialog", name="Add all models").get_by_role("button", name="Add 2").click()
    expect(manage.get_by_text("Added", exact=True)).to_have_count(2)
    expect(manage.get_by_role("button", name="Add all")).to_be_disabled()
    assert sorted(m["model_id"] for m in api.get("/providers/Many/models").json()) == ["o3-mini", "qwen3-32b"]

    # Refresh asks the provider again: a model it lists now appears, the added ones stay marked.
    upstream.models.append("o4-mini")
    manage.get_by_role("button", name="Refresh").click()
    expect(rows).to_have_count(3)
    expect(manage.get_by_role("button", name="Add o4-mini", exact=True)).to_be_visible()
    expect(manage.get_by_role("status")).to_contain_text("7 models from")
    screenshot(ui, "manage-models.png")
    manage.get_by_role("button", name="Done").click()
    expect(ui.get_by_role("region", name="Models").locator(".model-row")).to_have_count(2)
