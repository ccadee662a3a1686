"""Check all in a provider's models section: the grid of models × keys, then Remove failing keys."""

from __future__ import annotations

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, eventually, screenshot
from tests.browser.test_settings import open_provider

GOOD = ("sk-good-one-00001111", "sk-good-two-00002222")
BAD = "sk-bad-three-00003333"


def test_check_all_shows_the_grid_and_removes_the_refused_key(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", api_key=GOOD)
    provider = add_provider(api, "Health", upstream.base_url, ["fake-model", "fake-large"])
    assert api.patch(f"/providers/{provider['id']}", json={"api_keys": [GOOD[0], BAD, GOOD[1]]}).status_code == 200
    open_provider(ui, "Health")

    ui.get_by_role("button", name="Check all").click()
    grid = ui.locator("table.health-grid")
    expect(grid.get_by_role("columnheader")).to_have_text(["Model", "sk-…1111", "sk-…3333", "sk-…2222"])
    expect(grid.get_by_role("rowheader")).to_have_text(["fake-model", "fake-large"])
    expect(grid.locator("td.ok")).to_have_count(4)
    expect(grid.locator("td.fail")).to_have_text(["✗ auth", "✗ auth"])
    expect(ui.locator(".health-method")).to_contain_text("no answer paid for")
    assert all(r.method == "GET" for r in upstream.requests)
    screenshot(ui, "health-check.png")

    ui.get_by_role("button", name="Remove failing keys").click()
    ui.get_by_role("dialog", name="Remove failing keys").get_by_role("button", name="Remove").click()
    eventually(
        lambda: api.get(f"/providers/{provider['id']}").json()["api_keys"] == ["sk-…1111", "sk-…2222"],
        "the refused key was not removed",
    )
    expect(ui.get_by_role("list", name="Keys").get_by_role("listitem")).to_have_count(2)

    ui.get_by_text("Model checks").click()
    ui.get_by_role("button", name="Check all").click()
    expect(ui.locator("table.health-grid td.ok")).to_have_count(4)
    expect(ui.locator(".health-method")).to_contain_text("tiny chat")
    assert len([r for r in upstream.requests if r.method == "POST"]) == 4


def test_check_all_shows_model_ids_and_errors_as_text(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai")
    marked = '<img src=x onerror="document.title=1">'
    add_provider(api, "Plain", upstream.base_url, [marked])
    open_provider(ui, "Plain")
    ui.get_by_role("button", name="Check all").click()
    grid = ui.locator("table.health-grid")
    expect(grid.get_by_role("columnheader")).to_have_text(["Model", "(no key)"])
    expect(grid.get_by_role("rowheader")).to_have_text([marked])
    expect(grid.locator("td.ok")).to_have_count(1)
    expect(ui.locator(".health-method")).to_contain_text("tiny chat")  # a keyless list proves nothing about keys
    expect(grid.locator("img")).to_have_count(0)
    expect(ui.get_by_role("button", name="Remove failing keys")).to_have_count(0)
