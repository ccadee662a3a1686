"""The web app on a phone (390 × 844) and a tablet (768 × 1024), with touch: the list drawers,
one column at a time, dialogs inside the screen, 44 px targets, and never a sideways scroll."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx2
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import WAIT_MS, DrupeServer
from tests.browser.steps import last_answer, pick_models, screenshot, send, wait_until_answered

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}


def touch_page(browser, server: DrupeServer, viewport: dict) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server.url,
        viewport=viewport,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        reduced_motion="reduce",  # the drawer is where it goes at once
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


@pytest.fixture
def phone(browser, drupe_server: DrupeServer) -> Iterator[Page]:
    yield from touch_page(browser, drupe_server, PHONE)


@pytest.fixture
def tablet(browser, drupe_server: DrupeServer) -> Iterator[Page]:
    yield from touch_page(browser, drupe_server, TABLET)


# Elements that stick out past the screen's right edge, outside a box meant to scroll sideways
# (code blocks, tables) or a closed drawer: a panel can hide them from scrollWidth by scrolling.
STICKING_OUT = """() => [...document.querySelectorAll('body *')].filter((node) => {
  const box = node.getBoundingClientRect();
  if (!box.width || box.right <= innerWidth + 1) return false;
  if (node.closest('pre, table, .health-result, .drawer:not(.open), [hidden]')) return false;
  return getComputedStyle(node).visibility !== 'hidden';
}).map((node) => `${node.tagName}.${node.className} ${node.textContent.slice(0, 30)}`)"""


def assert_fits(ui: Page) -> None:
    """Nothing makes the page scroll sideways, nor sticks out past the screen's edge."""
    widths = ui.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide on a {widths[1]} px screen"
    assert ui.evaluate(STICKING_OUT) == []


def assert_tappable(control: Locator) -> None:
    """Visible, inside the screen, and at least 44 × 44 px."""
    expect(control).to_be_visible()
    box = control.bounding_box()
    assert box is not None
    assert box["width"] >= 44 and box["height"] >= 44, box
    width = control.page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


def assert_on_screen(element: Locator) -> None:
    box = element.bounding_box()
    size = element.page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"], box


def add_provider_by_touch(ui: Page, api: httpx2.Client, base_url: str) -> None:
    """+ Add a provider, fill its address, enable it; its model is added through the API."""
    ui.goto("/settings/providers")
    providers = ui.get_by_role("complementary", name="Providers")
    add = providers.get_by_role("button", name="+ Add")
    assert_tappable(add)
    add.tap()
    dialog = ui.get_by_role("dialog", name="Add provider")
    expect(dialog).to_be_visible()
    assert_on_screen(dialog)
    assert_fits(ui)
    dialog.get_by_label("Provider name").fill("Pocket")
    dialog.get_by_role("button", name="Add", exact=True).tap()
    expect(dialog).to_be_hidden()
    # The provider's panel takes the whole width; the list is behind the Back link.
    address = ui.get_by_label("API address")
    expect(address).to_be_visible()
    if ui.viewport_size["width"] < 640:
        expect(providers).to_be_hidden()
    address.fill(base_url)
    address.press("Tab")
    expect(ui.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert_fits(ui)
    provider_id = ui.url.rstrip("/").rsplit("/", 1)[-1]
    added = api.post(f"/providers/{provider_id}/models", json={"models": [{"model_id": "fake-model"}]})
    assert added.status_code == 201, added.text
    if ui.viewport_size["width"] < 640:
        back = ui.get_by_role("link", name="Back to the list")
        assert_tappable(back)
        back.tap()
    expect(providers).to_be_visible()
    expect(providers.get_by_role("link", name="Pocket")).to_be_visible()
    switch = providers.get_by_role("switch", name="Enable Pocket")
    switch.tap()
    expect(switch).to_have_attribute("aria-checked", "true")


def test_a_phone_shows_one_column_and_its_lists_are_drawers(phone: Page, api: httpx2.Client, fake_upstream) -> None:
    ui = phone
    assert ui.evaluate("matchMedia('(pointer: coarse)').matches")
    upstream = fake_upstream("openai", text="".join(f"Line {n} tick.\n\n" for n in range(300)), delay=0.02)

    # Settings: the menu is a drawer; Escape and a tap outside close it, the focus goes back.
    ui.goto("/settings/providers")
    menu_button = ui.get_by_role("button", name="Settings menu")
    assert_tappable(menu_button)
    tabs = ui.get_by_role("tablist", name="Settings")
    expect(tabs).to_be_hidden()
    menu_button.tap()
    expect(tabs).to_be_visible()
    assert_tappable(tabs.get_by_role("tab", name="Model services"))
    ui.keyboard.press("Escape")
    expect(tabs).to_be_hidden()
    expect(menu_button).to_be_focused()
    menu_button.tap()
    expect(tabs).to_be_visible()
    ui.mouse.click(370, 400)  # on the dimmed page, right of the drawer
    expect(tabs).to_be_hidden()
    menu_button.tap()
    tabs.get_by_role("tab", name="MCP servers").tap()
    expect(tabs).to_be_hidden()
    expect(ui).to_have_url(re.compile("/settings/mcp$"))
    assert_fits(ui)

    add_provider_by_touch(ui, api, upstream.base_url)
    ui.get_by_role("link", name="Pocket").tap()
    expect(ui.get_by_role("region", name="Models")).to_contain_text("fake-model")
    screenshot(ui, "phone-settings.png")

    # Chat: the conversation list is a drawer too; the composer and the model picker are on screen.
    ui.get_by_role("link", name="Chat", exact=True).tap()
    box = ui.get_by_role("textbox", name="Message")
    expect(box).to_be_visible()
    assert_on_screen(box)
    conversations = ui.get_by_role("complementary", name="Conversation list")
    expect(conversations).to_be_hidden()
    picker = ui.get_by_role("button", name=re.compile("^Model:"))
    assert_tappable(picker)
    picker.tap()
    chooser = ui.get_by_role("dialog", name="Choose models")
    expect(chooser).to_be_visible()
    assert_on_screen(chooser)
    ui.keyboard.press("Escape")
    pick_models(ui, "fake-model (Pocket)")
    send(ui, "Count for me")
    stop = ui.get_by_role("button", name="Stop")
    assert_tappable(stop)
    expect(last_answer(ui).locator(".markdown")).to_contain_text("Line 8 tick.")
    assert_fits(ui)
    stop.tap()
    wait_until_answered(ui)
    expect(last_answer(ui).locator(".message-meta")).to_contain_text("Stopped")
    assert_tappable(ui.get_by_role("button", name="Send"))

    # The conversation settings fit the screen and scroll inside.
    settings_toggle = ui.get_by_role("button", name="Conversation settings")
    assert_tappable(settings_toggle)
    settings_toggle.tap()
    panel = ui.get_by_role("complementary", name="Conversation settings")
    expect(panel).to_be_visible()
    assert_on_screen(panel)
    assert_fits(ui)
    settings_toggle.tap()
    expect(panel).to_be_hidden()

    menu = ui.get_by_role("button", name="Conversation list")
    assert_tappable(menu)
    menu.tap()
    expect(conversations).to_be_visible()
    assert_on_screen(conversations)
    link = conversations.get_by_role("link", name="Count for me")
    assert_tappable(link.locator(".."))
    ui.keyboard.press("Escape")
    expect(conversations).to_be_hidden()
    expect(menu).to_be_focused()
    menu.tap()
    conversations.get_by_role("button", name="New conversation").tap()
    expect(conversations).to_be_hidden()
    expect(ui.get_by_role("heading", name="Start a conversation")).to_be_visible()
    menu.tap()
    link.tap()
    expect(conversations).to_be_hidden()
    expect(ui.get_by_role("article", name="Your message")).to_contain_text("Count for me")
    assert_fits(ui)
    screenshot(ui, "phone-chat.png")


def test_a_tablet_never_scrolls_sideways(tablet: Page, api: httpx2.Client, fake_upstream) -> None:
    ui = tablet
    upstream = fake_upstream("openai", text="A short answer.", delay=0.01)
    add_provider_by_touch(ui, api, upstream.base_url)
    ui.get_by_role("link", name="Pocket").tap()
    expect(ui.get_by_role("region", name="Models")).to_be_visible()
    # Both lists stay on screen beside the panel at this width; no drawer.
    expect(ui.get_by_role("tablist", name="Settings")).to_be_visible()
    expect(ui.get_by_role("button", name="Settings menu")).to_be_hidden()
    assert_fits(ui)
    ui.get_by_role("button", name="Manage").tap()
    manage = ui.get_by_role("dialog", name="Manage models")
    expect(manage).to_be_visible()
    assert_on_screen(manage)
    assert_fits(ui)
    ui.keyboard.press("Escape")
    expect(manage).to_be_hidden()

    ui.get_by_role("link", name="Chat", exact=True).tap()
    pick_models(ui, "fake-model (Pocket)")
    send(ui, "Hello")
    wait_until_answered(ui)
    ui.get_by_role("button", name="Conversation settings").tap()
    assert_fits(ui)
    for control in (
        ui.get_by_role("button", name="Send"),
        ui.get_by_role("button", name=re.compile("^Model:")),
        ui.get_by_role("button", name="New conversation"),
    ):
        assert_tappable(control)


def test_the_app_can_be_installed(drupe_server: DrupeServer) -> None:
    """The page links a web app manifest whose icons are served at the sizes it says."""
    page = httpx2.get(f"{drupe_server.url}/chat").text
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    assert '<meta name="theme-color"' in page
    response = httpx2.get(f"{drupe_server.url}/static/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "drupe" and manifest["start_url"] == "/chat" and manifest["display"] == "standalone"
    sizes = {}
    for entry in manifest["icons"]:
        icon = httpx2.get(drupe_server.url + entry["src"])
        assert icon.status_code == 200, entry
        assert icon.headers["content-type"] == entry["type"]
        if entry["type"] == "image/png":
            width, height = int.from_bytes(icon.content[16:20], "big"), int.from_bytes(icon.content[20:24], "big")
            sizes[entry["sizes"]] = (width, height)
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}
