"""Settings → Gateway in Chromium against a real `drupe serve` with a fake provider behind it: the
base URL copied; a key created through the dialog, shown and copied once, used by a program
(httpx, on the same server's /v1), counted in the usage table, then revoked and refused; a route
added with targets picked and reordered, then removed."""

from __future__ import annotations

import re

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.conftest import DrupeServer
from tests.browser.steps import add_provider, eventually, screenshot


def clipboard(ui: Page) -> str:
    return ui.evaluate("navigator.clipboard.readText()")


def chat(server: DrupeServer, secret: str, model: str = "fake/fake-model") -> httpx2.Response:
    """A program's request to /v1: no Origin, no page."""
    return httpx2.post(
        f"{server.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {secret}"},
        json={"model": model, "messages": [{"role": "user", "content": "Hi"}]},
        timeout=30,
    )


def test_create_use_and_revoke_a_key_add_a_route_and_see_the_usage(
    ui: Page, api: httpx2.Client, drupe_server: DrupeServer, fake_upstream
) -> None:
    upstream = fake_upstream("openai", text="Through the gateway")
    add_provider(api, "fake", upstream.base_url, ["fake-model"])
    ui.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ui.goto("/settings")
    ui.get_by_role("tab", name="Gateway").click()
    expect(ui).to_have_url(re.compile("/settings/gateway$"))
    base_url = f"{drupe_server.url}/v1"
    expect(ui.get_by_label("Base URL", exact=True)).to_have_text(base_url)
    ui.get_by_role("button", name="Copy base URL").click()
    eventually(lambda: clipboard(ui) == base_url, "the base URL was not copied")
    expect(ui.get_by_text("No gateway keys yet")).to_be_visible()
    expect(ui.get_by_text("No gateway requests in the last 7 days.")).to_be_visible()
    examples = ui.get_by_role("region", name="Examples")
    expect(examples.get_by_role("figure", name="curl example")).to_contain_text(f"{base_url}/chat/completions")
    expect(examples.get_by_role("figure", name="curl example")).to_contain_text("Bearer DRUPE_KEY")
    expect(examples.get_by_role("figure", name="Python: the anthropic SDK example")).to_contain_text(
        f'base_url="{drupe_server.url}"'
    )

    # Create: a refusal keeps the dialog open with the server's words; then the key, shown once.
    ui.get_by_role("button", name="+ Create key").click()
    dialog = ui.get_by_role("dialog", name="Create gateway key")
    dialog.get_by_label("Name").fill("has space")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_contain_text("is not usable")
    dialog.get_by_label("Name").fill("editor")
    dialog.get_by_label("Models").fill("fake/*\nfast")
    dialog.get_by_label("Requests per minute").fill("30")
    dialog.get_by_role("button", name="Create").click()
    shown = ui.get_by_role("dialog", name="Gateway key created")
    expect(shown.get_by_role("note")).to_contain_text("it will not be shown again")
    secret = shown.get_by_label("Gateway key editor", exact=True).inner_text()
    assert re.fullmatch(r"drp-[A-Za-z0-9_-]{43}", secret), secret
    shown.get_by_role("button", name="Copy key").click()
    eventually(lambda: clipboard(ui) == secret, "the key was not copied")
    shown.get_by_role("button", name="Done").click()
    expect(shown).to_be_hidden()

    keys = ui.get_by_role("table", name="Gateway keys")
    row = keys.get_by_role("row", name=re.compile("^editor"))
    for text in (f"{secret[:12]}…", "fake/*, fast", "never", "30", "Active"):
        expect(row).to_contain_text(text)
    expect(examples.get_by_role("figure", name="Python: the openai SDK example")).to_contain_text(f'api_key="{secret}"')
    assert secret not in api.get("/gateway/keys").text

    # A program uses it on the same server; the usage table counts it.
    answer = chat(drupe_server, secret)
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"] == "Through the gateway"
    ui.get_by_role("region", name="Usage").get_by_role("button", name="Refresh").click()
    usage = ui.get_by_role("table", name="Usage")
    expect(usage.get_by_role("row", name=re.compile("^editor")).get_by_role("cell").first).to_have_text("1")
    expect(row.get_by_role("cell").nth(5)).to_have_text("1")  # the key's requests, refreshed with the usage
    expect(row.get_by_role("cell").nth(4)).not_to_have_text("never")  # last used
    ui.get_by_label("Group by").select_option("model")
    expect(usage.get_by_role("columnheader", name="Model")).to_be_visible()
    expect(usage.get_by_role("row", name=re.compile(r"^fake\/fake-model"))).to_be_visible()
    ui.get_by_label("Since").select_option("30m")
    expect(usage.get_by_role("row", name=re.compile(r"^fake\/fake-model"))).to_be_visible()

    # A route: one target picked from the enabled models, one typed, reordered.
    ui.get_by_role("button", name="+ Add route").click()
    dialog = ui.get_by_role("dialog", name="Add route")
    dialog.get_by_label("Name").fill("fast")
    dialog.get_by_role("combobox", name="Target 1", exact=True).fill("fake/fake-model")
    dialog.get_by_role("button", name="Add target").click()
    dialog.get_by_role("combobox", name="Target 2", exact=True).fill("fake/other-model")
    dialog.get_by_role("button", name="Move target 2 up").click()
    expect(dialog.get_by_role("combobox", name="Target 1", exact=True)).to_have_value("fake/other-model")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()
    route = ui.get_by_role("table", name="Routes").get_by_role("row", name=re.compile("^fast"))
    expect(route.get_by_role("listitem")).to_have_text(["fake/other-model", "fake/fake-model"])
    assert api.get("/gateway/routes").json()[0]["targets"] == ["fake/other-model", "fake/fake-model"]
    expect(examples.get_by_role("figure", name="curl example")).to_contain_text('"model":"fast"')
    screenshot(ui, "gateway.png")

    # Revoke: confirmed, then refused on /v1; after a reload the key is nowhere on the page.
    row.get_by_role("button", name="Revoke editor").click()
    confirm = ui.get_by_role("dialog", name="Revoke gateway key")
    expect(confirm).to_contain_text("Revoke editor?")
    confirm.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke editor")).to_have_count(0)
    expect(examples.get_by_role("figure", name="curl example")).to_contain_text("Bearer DRUPE_KEY")
    eventually(lambda: chat(drupe_server, secret).status_code == 401, "the revoked key still works")
    ui.reload()
    expect(keys.get_by_role("row", name=re.compile("^editor"))).to_contain_text("Revoked")
    assert secret not in ui.content()

    ui.get_by_role("button", name="Remove fast").click()
    ui.get_by_role("dialog", name="Remove route").get_by_role("button", name="Remove").click()
    expect(ui.get_by_text("No routes yet.")).to_be_visible()
    assert api.get("/gateway/routes").json() == []
