"""The web app by keyboard alone: the skip link first, a provider added without the mouse,
dialogs that give the focus back on Escape; and a streaming answer that leaves a reader who
scrolled up where they are, with a "Jump to latest" button."""

from __future__ import annotations

import re

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, last_answer, open_chat, pick_models, send, wait_until_answered


def press_tab_until(ui: Page, selector_js: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches `selector_js` (a CSS selector)."""
    for _ in range(limit):
        ui.keyboard.press("Tab")
        if ui.evaluate("(s) => document.activeElement?.matches(s)", selector_js):
            return
    raise AssertionError(f"Tab never reached {selector_js}")


def focus_ring(ui: Page) -> str:
    return ui.evaluate("getComputedStyle(document.activeElement).outlineStyle")


def test_the_skip_link_is_first_and_goes_to_the_message_box(ui: Page) -> None:
    open_chat(ui)
    # The chat page puts the focus in the message box; the link comes before the navigation.
    ui.get_by_role("link", name="drupe home").focus()
    ui.keyboard.press("Shift+Tab")
    skip = ui.get_by_role("link", name="Skip to message box")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    ui.keyboard.press("Enter")
    expect(ui.get_by_role("textbox", name="Message")).to_be_focused()

    ui.goto("/settings/providers")
    expect(ui.get_by_role("tablist", name="Settings")).to_be_visible()  # drawn: the link is in place
    ui.keyboard.press("Tab")
    expect(ui.get_by_role("link", name="Skip to main content")).to_be_focused()


def test_a_provider_is_added_by_keyboard_alone(ui: Page) -> None:
    ui.goto("/settings/providers")
    press_tab_until(ui, ".sidebar-foot .btn")  # + Add, under the provider list
    assert focus_ring(ui) != "none"
    opener = ui.get_by_role("button", name="+ Add")
    ui.keyboard.press("Enter")
    dialog = ui.get_by_role("dialog", name="Add provider")
    expect(dialog).to_be_visible()
    # Escape closes the dialog and the focus is back on + Add.
    ui.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    ui.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    press_tab_until(ui, "dialog input:not([type=search])")
    expect(dialog.get_by_label("Provider name")).to_be_focused()
    ui.keyboard.type("Keys Only")
    ui.keyboard.press("Tab")
    expect(dialog.get_by_label("Provider type")).to_be_focused()
    ui.keyboard.press("Shift+Tab")
    ui.keyboard.press("Enter")  # Enter in a text field submits the form: the primary button, Add
    expect(dialog).to_be_hidden()
    expect(ui.get_by_role("heading", name=re.compile("^Keys Only"))).to_be_visible()
    expect(ui).to_have_url(re.compile(r"/settings/providers/[\w-]+$"))


def test_a_long_answer_leaves_a_reader_who_scrolled_up_in_place(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    slow = fake_upstream("openai", text="".join(f"Line {n} tick.\n\n" for n in range(400)), delay=0.02)
    add_provider(api, "Slow", slow.base_url, ["fake-model"])
    ui.set_viewport_size({"width": 900, "height": 600})
    open_chat(ui)
    pick_models(ui, "fake-model (Slow)")
    send(ui, "Count for me")
    answer = last_answer(ui)
    jump = ui.get_by_role("button", name="Jump to latest")
    expect(answer.locator(".markdown")).to_contain_text("Line 30 tick.")
    # At the bottom, the list follows the answer: no button.
    expect(jump).to_be_hidden()
    scroller = ui.locator(".message-scroller")
    scroller.evaluate("node => { node.scrollTop = 0; }")
    expect(jump).to_be_visible()
    expect(answer.locator(".markdown")).to_contain_text("Line 60 tick.")
    assert scroller.evaluate("node => node.scrollTop") < 300  # the reader was not moved down
    jump.click()
    expect(jump).to_be_hidden()
    at_bottom = "node => node.scrollHeight - node.scrollTop - node.clientHeight < 80"
    assert scroller.evaluate(at_bottom)
    ui.get_by_role("button", name="Stop").click()
    wait_until_answered(ui)


def tab_to(ui: Page, locator) -> None:
    """Press Tab until `locator`'s element has the focus (marked so a CSS selector finds it)."""
    locator.evaluate("node => { node.dataset.tabTarget = 'yes'; }")
    press_tab_until(ui, "[data-tab-target=yes]", limit=120)
    locator.evaluate("node => { delete node.dataset.tabTarget; }")


def test_the_seed_walkthrough_by_keyboard_alone(ui: Page, fake_upstream) -> None:
    """The product page's flow with no mouse: + Add, name and type, switch on, API address,
    Manage → add the model, Check, then a chat with it."""
    upstream = fake_upstream("openai", text="Keyboard answer.")
    ui.goto("/settings/providers")
    tab_to(ui, ui.get_by_role("complementary", name="Providers").get_by_role("button", name="+ Add"))
    ui.keyboard.press("Enter")
    dialog = ui.get_by_role("dialog", name="Add provider")
    tab_to(ui, dialog.get_by_label("Provider name"))
    ui.keyboard.type("vLLM")
    expect(dialog.get_by_label("Provider type")).to_have_value("openai")  # the default type
    ui.keyboard.press("Enter")  # Enter in a text field submits the form
    expect(dialog).to_be_hidden()

    switch = ui.get_by_role("switch", name="Enable vLLM")
    tab_to(ui, switch)
    ui.keyboard.press("Space")
    expect(switch).to_have_attribute("aria-checked", "true")
    address = ui.get_by_label("API address")
    tab_to(ui, address)
    ui.keyboard.type(upstream.base_url)
    ui.keyboard.press("Tab")  # leaving the field saves it
    expect(ui.get_by_role("status").filter(has_text="Saved")).to_be_visible()

    tab_to(ui, ui.get_by_role("button", name="Manage", exact=True))
    ui.keyboard.press("Enter")
    manage = ui.get_by_role("dialog", name="Manage models")
    tab_to(ui, manage.get_by_role("button", name="Add fake-model", exact=True))
    ui.keyboard.press("Enter")
    expect(manage.get_by_role("button", name="Remove fake-model", exact=True)).to_be_visible()
    ui.keyboard.press("Escape")
    expect(manage).to_be_hidden()
    expect(ui.get_by_role("region", name="Models").locator(".model-row")).to_have_count(1)
    tab_to(ui, ui.get_by_role("button", name="Check", exact=True))
    ui.keyboard.press("Enter")
    expect(ui.locator(".check-result.ok")).to_contain_text("✓ Connected")

    tab_to(ui, ui.get_by_role("link", name="Chat", exact=True))
    ui.keyboard.press("Enter")
    tab_to(ui, ui.get_by_role("button", name=re.compile("^Model:")))
    ui.keyboard.press("Enter")
    chooser = ui.get_by_role("dialog", name="Choose models")
    tab_to(ui, chooser.get_by_role("option", name="fake-model (vLLM)"))
    ui.keyboard.press("Enter")
    expect(chooser).to_be_hidden()
    tab_to(ui, ui.get_by_role("textbox", name="Message"))
    ui.keyboard.type("Hello by keyboard")
    ui.keyboard.press("Enter")
    expect(ui.get_by_role("article", name=re.compile("^Answer from")).last).to_contain_text("Keyboard answer.")
