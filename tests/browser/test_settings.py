"""Settings → Model services against fake upstreams: errors inline, keys, fields, models, order, delete."""

from __future__ import annotations

import re

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.conftest import free_port
from tests.browser.steps import add_provider, eventually, screenshot


def open_provider(ui: Page, name: str) -> None:
    ui.goto("/settings/providers")
    ui.get_by_role("complementary", name="Providers").get_by_role("link", name=name, exact=True).click()
    expect(ui.get_by_role("heading", name=name)).to_be_visible()


def test_a_wrong_api_address_shows_the_connection_error_inline(ui: Page, api: httpx2.Client) -> None:
    add_provider(api, "Nowhere", "", [])
    open_provider(ui, "Nowhere")
    address = ui.get_by_label("API address")
    address.fill(f"http://127.0.0.1:{free_port()}")
    address.press("Tab")
    ui.get_by_role("button", name="Check", exact=True).click()
    result = ui.locator(".check-result.fail")
    expect(result).to_contain_text("connection")
    expect(result.locator(".hint")).not_to_be_empty()

    # An address drupe cannot use is refused by the live preview and by the save, in the server's words.
    address.fill("ftp://example.com")
    expect(ui.locator(".resolved-url")).to_have_class(re.compile("form-error"))
    address.press("Tab")
    expect(ui.get_by_role("alert").filter(has_text=re.compile("http", re.I)).first).to_be_visible()


def test_keys_check_each_key_and_show_latency_or_error(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", api_key="sk-good-key-0001")
    add_provider(api, "Keys", upstream.base_url, ["fake-model", "fake-large"])
    open_provider(ui, "Keys")
    key = ui.get_by_label("API key")
    key.fill("sk-good-key-0001, sk-bad-key-0002")
    key.press("Tab")
    expect(ui.get_by_role("list", name="Keys").get_by_role("listitem")).to_have_count(2)
    ui.get_by_role("button", name="Show key").click()
    expect(key).to_have_attribute("type", "text")
    expect(key).not_to_have_value(re.compile("sk-good-key-0001"))  # keys come back masked

    ui.get_by_role("button", name="Check", exact=True).click()
    chooser = ui.get_by_role("dialog", name="Choose a model to check")
    chooser.get_by_label("Model").select_option("fake-large")
    chooser.get_by_role("button", name="Use this model").click()
    result = ui.locator(".check-result.fail")
    expect(result).to_contain_text("Key 2: auth")
    keys = ui.get_by_role("list", name="Keys")
    expect(keys.locator(".key-status.ok")).to_contain_text("ms")
    expect(keys.locator(".key-status.fail")).to_contain_text("auth")

    ui.get_by_role("button", name="Test key 1").click()
    ui.get_by_role("dialog", name="Choose a model to check").get_by_role("button", name="Use this model").click()
    expect(keys.get_by_role("listitem").first.locator(".key-status")).to_contain_text("✓")


def test_provider_fields_models_order_and_delete(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("azure-openai", models=("gpt-4o", "gpt-4o-mini", "text-embedding-3-small"))
    add_provider(api, "First", "", [])
    add_provider(api, "Azure", upstream.base_url, [], type="azure-openai")
    open_provider(ui, "Azure")

    # What the form shows differs by type, as the type declares it (/api/meta); API version
    # exists for Azure only, and the resolved URL follows it as it is typed.
    expect(ui.get_by_label("API address")).to_have_attribute("placeholder", "https://NAME.openai.azure.com")
    expect(ui.get_by_text("Your resource endpoint.")).to_be_visible()
    version = ui.get_by_label("API version")
    version.fill("2024-10-21")
    expect(ui.locator(".resolved-url")).to_contain_text("/openai/deployments/")
    version.press("Tab")
    expect(ui.get_by_role("status").filter(has_text="Saved")).to_be_visible()

    ui.get_by_role("button", name="Add header").click()
    ui.get_by_label("Header 1 name").fill("X-Team")
    ui.get_by_label("Header 1 value").fill("research")
    ui.get_by_label("Header 1 value").press("Tab")
    ui.get_by_role("button", name="Add body field").click()
    ui.get_by_label("Body field 1 name").fill("top_k")
    ui.get_by_label("Body field 1 value").fill("20")
    ui.get_by_label("Body field 1 value").press("Tab")
    ui.get_by_role("button", name="Add body field").click()
    ui.get_by_label("Body field 2 name").fill("tag")
    ui.get_by_label("Body field 2 value").fill("plain")
    ui.get_by_label("Body field 2 value").press("Tab")
    timeout = ui.get_by_label("Timeout (seconds)")
    timeout.fill("30")
    timeout.press("Tab")
    expected = {
        "headers": {"X-Team": "research"}, "timeout": 30, "api_version": "2024-10-21",
        "options": {"extra_body": {"top_k": 20, "tag": "plain"}},
    }  # fmt: skip
    eventually(lambda: {k: api.get("/providers/Azure").json()[k] for k in expected} == expected, "fields not saved")

    # Models: add by hand, manage the remote list by group, edit, delete.
    models = ui.get_by_role("region", name="Models")
    models.get_by_role("button", name="+ Add").click()
    add = ui.get_by_role("dialog", name="Add model")
    add.get_by_label("Model ID").fill("my-deployment")
    add.get_by_label("Group").fill("custom")
    add.get_by_role("button", name="Vision").click()
    add.get_by_role("button", name="Add", exact=True).click()
    expect(models.locator(".model-row")).to_have_count(1)
    expect(models.get_by_role("img", name="Vision")).to_be_visible()

    models.get_by_role("button", name="Manage").click()
    manage = ui.get_by_role("dialog", name="Manage models")
    manage.get_by_role("button", name="Add group gpt-4o").click()
    expect(manage.get_by_role("button", name="Remove gpt-4o-mini", exact=True)).to_be_visible()
    manage.get_by_role("searchbox", name="Search models").fill("embedding")
    expect(manage.locator(".model-row")).to_have_count(1)
    expect(manage.get_by_role("img", name="Embedding")).to_be_visible()
    manage.get_by_role("button", name="Add text-embedding-3-small").click()
    manage.get_by_role("button", name="Edit text-embedding-3-small").click()
    edit = ui.get_by_role("dialog", name="Edit model")
    edit.get_by_role("button", name="Rerank").click()
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()
    expect(manage.get_by_role("img", name="Rerank")).to_be_visible()
    manage.get_by_role("button", name="Done").click()
    expect(models.locator(".model-row")).to_have_count(4)

    models.get_by_role("button", name="Edit gpt-4o-mini").click()
    edit = ui.get_by_role("dialog", name="Edit model")
    edit.get_by_label("Model name").fill("GPT-4o mini")
    edit.get_by_role("button", name="Save").click()
    expect(models).to_contain_text("GPT-4o mini")
    models.get_by_role("button", name="Delete my-deployment").click()
    expect(models.locator(".model-row")).to_have_count(3)
    ui.get_by_role("complementary", name="Providers").hover()
    ui.get_by_role("heading", name="Azure").scroll_into_view_if_needed()  # the panel's top, for the picture
    screenshot(ui, "settings.png")

    # Drag "Azure" above "First": the new order is stored.
    rows = ui.get_by_role("list", name="Provider list").get_by_role("listitem")
    rows.nth(1).drag_to(rows.nth(0), target_position={"x": 40, "y": 4})
    expect(rows.first).to_contain_text("Azure")
    assert [p["name"] for p in api.get("/providers").json()] == ["Azure", "First"]

    # Search filters the list.
    ui.get_by_role("searchbox", name="Search providers").fill("fir")
    expect(rows).to_have_count(1)
    ui.get_by_role("searchbox", name="Search providers").fill("")

    ui.get_by_role("button", name="Delete provider").click()
    confirm = ui.get_by_role("dialog", name="Delete provider")
    expect(confirm).to_contain_text("Azure")
    confirm.get_by_role("button", name="Delete", exact=True).click()
    expect(rows).to_have_count(1)
    assert [p["name"] for p in api.get("/providers").json()] == ["First"]


def test_secret_headers_and_url_credentials_show_masked_and_survive_saving_the_form(
    ui: Page, api: httpx2.Client, fake_upstream
) -> None:
    import base64

    token = "sk-header-secret-0123456789"
    keyed = fake_upstream("openai", api_key=token)
    gateway = add_provider(api, "Gateway", keyed.base_url, ["fake-model"])
    headers = {"Authorization": f"Bearer {token}", "X-Team": "a"}
    assert api.patch(f"/providers/{gateway['id']}", json={"headers": headers}).status_code == 200
    open_provider(ui, "Gateway")
    expect(ui.get_by_label("Header 1 value")).to_have_value("Bea…6789")
    assert token not in ui.content()
    ui.get_by_label("Header 2 value").fill("b")
    ui.get_by_label("Header 2 value").press("Tab")
    eventually(lambda: api.get("/providers/Gateway").json()["headers"]["X-Team"] == "b", "header not saved")
    checked = api.post(f"/providers/{gateway['id']}/check", json={"model": "fake-model"}).json()
    assert checked["results"][0]["ok"] is True  # the page sent the mask back; the real value was kept

    open_door = fake_upstream("openai")
    host = open_door.base_url.removeprefix("http://")
    behind = add_provider(api, "Behind", f"http://alice:url-pass-123456@{host}", ["fake-model"])
    open_provider(ui, "Behind")
    address = ui.get_by_label("API address")
    expect(address).to_have_value(f"http://alice:***@{host}")
    address.fill(f"http://alice:***@{host}/")
    address.press("Tab")
    eventually(lambda: api.get("/providers/Behind").json()["base_url"] == f"http://alice:***@{host}/", "not saved")
    assert api.post(f"/providers/{behind['id']}/check", json={"model": "fake-model"}).json()["results"][0]["ok"]
    sent = open_door.requests[-1].headers["authorization"]
    assert sent == "Basic " + base64.b64encode(b"alice:url-pass-123456").decode()


def test_a_refused_click_in_the_list_shows_the_servers_words(ui: Page, api: httpx2.Client) -> None:
    gone = add_provider(api, "Gone", "", [])
    ui.goto("/settings/providers")
    switch = ui.get_by_role("switch", name="Enable Gone")
    expect(switch).to_have_attribute("aria-checked", "true")
    assert api.delete(f"/providers/{gone['id']}").is_success  # deleted elsewhere, e.g. from the CLI
    refusal = api.patch(f"/providers/{gone['id']}", json={"enabled": False}).json()["error"]["message"]
    switch.click()
    expect(ui.get_by_role("region", name="Provider settings").get_by_role("alert")).to_contain_text(refusal)
    expect(switch).to_have_attribute("aria-checked", "true")


def test_the_panel_draws_a_types_own_fields_from_api_meta(ui: Page, api: httpx2.Client) -> None:
    add_provider(api, "Versioned", "", [])

    def with_form_data(route) -> None:
        # /api/meta as it is when each type's entry carries its form data.
        meta = route.fetch().json()
        for entry in meta["types"]:
            if entry["id"] == "openai":
                entry.update(
                    fields=["api_version"],
                    api_version_placeholder="e.g. 2025-01",
                    address_placeholder="https://gateway.example",
                    address_help="Your gateway.",
                )
        route.fulfill(json=meta)

    ui.route("**/api/meta", with_form_data)
    open_provider(ui, "Versioned")
    expect(ui.get_by_label("API address")).to_have_attribute("placeholder", "https://gateway.example")
    expect(ui.get_by_text("Your gateway.")).to_be_visible()
    version = ui.get_by_label("API version")
    expect(version).to_have_attribute("placeholder", "e.g. 2025-01")
    version.fill("2025-01")
    version.press("Tab")
    eventually(lambda: api.get("/providers/Versioned").json()["api_version"] == "2025-01", "API version not saved")
