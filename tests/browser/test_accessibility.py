"""axe-core (bundled with axe-playwright-python, no CDN) finds no violation on the chat page (with
its model picker and conversation settings open), Settings → Model services with a provider open,
and the dialogs (Add provider, Manage, Edit model), on a desktop and on a phone, in the light and
the dark theme."""

from __future__ import annotations

import re

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import WAIT_MS, DrupeServer
from tests.browser.steps import add_provider, pick_models, send, wait_until_answered

axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def assert_no_violations(ui: Page, where: str) -> None:
    results = axe_module.Axe().run(ui)
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in results.response["violations"]
    ]
    assert not found, f"{where}:\n" + "\n".join(found)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_no_axe_violations(
    browser, drupe_server: DrupeServer, api: httpx2.Client, fake_upstream, size: str, theme: str
) -> None:
    upstream = fake_upstream("openai", text="An answer with `code` and a [link](https://example.com).")
    provider = add_provider(api, "Axe", upstream.base_url, ["fake-model"])
    phone = size == "phone"
    context = browser.new_context(
        base_url=drupe_server.url,
        viewport=SIZES[size],
        has_touch=phone,
        is_mobile=phone,
        color_scheme=theme,  # the default theme follows the system's
        reduced_motion="reduce",
    )
    context.set_default_timeout(WAIT_MS)
    ui = context.new_page()
    try:
        ui.goto("/chat")
        box = ui.get_by_role("textbox", name="Message")
        expect(box).to_be_visible()
        assert_no_violations(ui, "chat page, empty")
        pick_models(ui, "fake-model (Axe)")
        send(ui, "Hello")
        wait_until_answered(ui)
        assert_no_violations(ui, "chat page, answered")
        ui.get_by_role("button", name=re.compile("^Model:")).click()
        expect(ui.get_by_role("dialog", name="Choose models")).to_be_visible()
        assert_no_violations(ui, "model picker")
        ui.keyboard.press("Escape")
        ui.get_by_role("button", name="Conversation settings").click()
        expect(ui.get_by_role("complementary", name="Conversation settings")).to_be_visible()
        assert_no_violations(ui, "conversation settings")

        ui.goto(f"/settings/providers/{provider['id']}")
        expect(ui.get_by_role("region", name="Models")).to_be_visible()
        assert_no_violations(ui, "Settings → Model services, a provider open")
        ui.get_by_role("button", name="Manage", exact=True).click()
        manage = ui.get_by_role("dialog", name="Manage models")
        expect(manage).to_be_visible()
        expect(manage.get_by_title("fake-large")).to_be_visible()
        assert_no_violations(ui, "Manage dialog")
        ui.keyboard.press("Escape")
        expect(manage).to_be_hidden()
        ui.get_by_role("region", name="Models").get_by_role("button", name=re.compile("^Edit")).first.click()
        expect(ui.get_by_role("dialog").first).to_be_visible()
        assert_no_violations(ui, "Edit model dialog")
        ui.keyboard.press("Escape")

        ui.goto("/settings/providers")
        ui.get_by_role("complementary", name="Providers").get_by_role("button", name="+ Add").click()
        expect(ui.get_by_role("dialog", name="Add provider")).to_be_visible()
        assert_no_violations(ui, "Add provider dialog")
    finally:
        context.close()
