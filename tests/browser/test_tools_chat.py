"""Tools in the chat page, in Chromium: the Tools menu turns the real `mcp-server-time` on for a
conversation, a fake model calls it twice at once, one call is run and the other denied with the
cards' buttons, the cards stay after a reload and go into the export; hostile tool names,
arguments and results stay text."""

from __future__ import annotations

import json
import re
import sys

import httpx2
from playwright.sync_api import Locator, Page, expect

from tests.browser.steps import add_provider, last_answer, open_chat, pick_models, screenshot, send, wait_until_answered
from tests.fakes.answer import FakeCall
from tests.fakes.upstream import Fault

TOKYO = FakeCall("time__get_current_time", '{"timezone": "Asia/Tokyo"}')
PARIS = FakeCall("time__get_current_time", '{"timezone": "Europe/Paris"}', id="call_paris")


def add_time_server(api: httpx2.Client, approval: str = "ask") -> None:
    """The real time server, registered through the API (set-up, not the thing tested)."""
    added = api.post("/mcp-servers", json={
        "name": "time", "transport": "stdio", "command": sys.executable,
        "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"], "approval": approval,
    })  # fmt: skip
    assert added.status_code == 201, added.text


def turn_tools_on(ui: Page, server: str = "time") -> None:
    button = ui.get_by_role("button", name=re.compile("^Tools:"))
    expect(button).to_have_accessible_name("Tools: off")
    button.click()
    menu = ui.get_by_role("dialog", name="Choose tools")
    menu.get_by_role("checkbox", name=server, exact=True).check()
    expect(button).to_have_accessible_name("Tools: 1 on")
    ui.keyboard.press("Escape")
    expect(menu).to_be_hidden()


def turn_one_tool_on(ui: Page) -> None:
    """Only time.get_current_time, from the server's tools listed in the menu."""
    button = ui.get_by_role("button", name=re.compile("^Tools:"))
    button.click()
    menu = ui.get_by_role("dialog", name="Choose tools")
    menu.get_by_role("button", name="Show its tools").click()
    menu.get_by_role("checkbox", name="get_current_time", exact=True).check()
    expect(menu.get_by_role("checkbox", name="time", exact=True)).not_to_be_checked()
    expect(button).to_have_accessible_name("Tools: 1 on")
    ui.keyboard.press("Escape")


def card(answer: Locator, text: str) -> Locator:
    return answer.get_by_role("group", name="Tool call time.get_current_time").filter(has_text=text)


def test_run_one_call_deny_another_reload_and_export(ui: Page, api: httpx2.Client, fake_upstream, tmp_path) -> None:
    upstream = fake_upstream(
        "openai", text="Tokyo is ahead; Paris I did not check.", tool_calls=(TOKYO, PARIS),
        tool_text="Let me check both clocks.", delay=0.01,
    )  # fmt: skip
    add_provider(api, "Fake", upstream.base_url, ["fake-model"])
    add_time_server(api)
    open_chat(ui)
    pick_models(ui, "fake-model (Fake)")
    turn_tools_on(ui)

    send(ui, "What time is it in Tokyo and in Paris?")
    answer = last_answer(ui)
    tokyo, paris = card(answer, "Asia/Tokyo"), card(answer, "Europe/Paris")
    expect(tokyo).to_contain_text("Waiting for your approval")
    expect(tokyo.locator(".tool-args")).to_have_text(json.dumps({"timezone": "Asia/Tokyo"}, indent=2))
    expect(answer.locator(".tool-round .markdown")).to_have_text("Let me check both clocks.")
    tokyo.get_by_role("button", name="Run").click()
    expect(tokyo.locator(".tool-status")).to_have_text("Approved")
    expect(tokyo).to_contain_text("It runs once every call of this round is decided.")
    expect(paris.get_by_role("button", name="Deny")).to_be_visible()
    expect(paris.get_by_role("button", name="Always allow this tool")).to_be_visible()
    screenshot(ui, "tool-call.png")
    paris.get_by_role("button", name="Deny").click()
    wait_until_answered(ui)
    check_cards(last_answer(ui))

    conversation = api.get("/conversations").json()[0]
    assert conversation["settings"]["tools"] == ["time"]  # the draft's choice went with the first message
    ui.reload()
    check_cards(last_answer(ui))
    expect(ui.get_by_role("button", name="Tools: 1 on")).to_be_visible()

    with ui.expect_download() as download:
        ui.get_by_role("link", name="Export as Markdown").click()
    exported = tmp_path / "export.md"
    download.value.save_as(exported)
    text = exported.read_text()
    assert "Tool call: time.get_current_time (ok)" in text and "Tool call: time.get_current_time (denied)" in text
    assert "Let me check both clocks." in text and "Asia/Tokyo" in text


def check_cards(answer: Locator) -> None:
    tokyo, paris = card(answer, "Asia/Tokyo"), card(answer, "Europe/Paris")
    expect(tokyo.locator(".tool-status")).to_have_text("Done")
    expect(paris.locator(".tool-status")).to_have_text("Not run")
    expect(answer.get_by_role("button", name="Run")).to_have_count(0)
    result = tokyo.locator("details.tool-result")
    expect(result.locator("pre")).to_be_hidden()  # folded until asked
    result.locator("summary").click()
    expect(result.locator("pre")).to_contain_text('"timezone": "Asia/Tokyo"')
    paris.locator("details.tool-result summary").click()
    expect(paris.locator("details.tool-result pre")).to_contain_text("did not approve")
    expect(answer.locator(".tool-round .markdown")).to_have_text("Let me check both clocks.")
    expect(answer.locator(".message-content > .markdown")).to_have_text("Tokyo is ahead; Paris I did not check.")


HOSTILE_NAME = '<img src=x onerror="window.__xss=1">'
HOSTILE_ZONE = '<script>window.__xss=2</script><img src=x onerror="window.__xss=3">'


def test_hostile_tool_names_arguments_and_results_stay_text(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    calls = (FakeCall(HOSTILE_NAME, "{}"), FakeCall("time__get_current_time", json.dumps({"timezone": HOSTILE_ZONE})))
    upstream = fake_upstream(
        "openai", text="Done.", tool_calls=calls, tool_text='Look: <img src=x onerror="window.__xss=4">',
    )  # fmt: skip
    add_provider(api, "Evil", upstream.base_url, ["fake-model"])
    add_time_server(api, approval="always")
    open_chat(ui)
    ui.evaluate("window.__xss = null")
    pick_models(ui, "fake-model (Evil)")
    turn_tools_on(ui)
    send(ui, "What time is it?")
    wait_until_answered(ui)

    answer = last_answer(ui)
    for details in answer.locator("details.tool-result").all():
        details.locator("summary").click()
    named = answer.get_by_role("group", name=f"Tool call {HOSTILE_NAME}")
    expect(named.locator(".tool-name")).to_have_text(HOSTILE_NAME)
    expect(named.locator("details.tool-result pre")).to_contain_text(HOSTILE_NAME)
    zoned = card(answer, "Invalid timezone")
    expect(zoned.locator(".tool-args")).to_contain_text(HOSTILE_ZONE.replace('"', '\\"'))
    expect(zoned.locator("details.tool-result pre")).to_contain_text(HOSTILE_ZONE)
    expect(answer.locator(".tool-round .markdown")).to_contain_text("Look: <img src=x")
    dangerous = "script, iframe, img, [onerror], [onload], [onclick], [style], a[href^='javascript']"
    expect(answer.locator(dangerous)).to_have_count(0)
    assert ui.evaluate("window.__xss") is None


def test_a_provider_refusing_tools_says_to_turn_them_off(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="x", tool_calls=(TOKYO,), fault=Fault("no_tools"))
    add_provider(api, "NoTools", upstream.base_url, ["fake-model"])
    add_time_server(api)
    open_chat(ui)
    pick_models(ui, "fake-model (NoTools)")
    turn_one_tool_on(ui)
    send(ui, "What time is it?")
    wait_until_answered(ui)
    assert api.get("/conversations").json()[0]["settings"]["tools"] == ["time.get_current_time"]

    error = last_answer(ui).get_by_role("alert")
    expect(error).to_contain_text("tools refused")  # the kind `tools_refused`, in words
    expect(error).to_contain_text("turn tools off in the Tools menu below")


def test_a_tool_always_allowed_can_be_asked_about_again(ui: Page, api: httpx2.Client) -> None:
    add_time_server(api)
    settings = {"tools": ["time"], "allowed_tools": ["time.get_current_time"]}
    conversation = api.post("/conversations", json={"title": "Clocks", "settings": settings}).json()
    ui.goto(f"/chat/{conversation['id']}")
    button = ui.get_by_role("button", name="Tools: 1 on")
    button.click()
    menu = ui.get_by_role("dialog", name="Choose tools")
    expect(menu.get_by_role("checkbox", name="time", exact=True)).to_be_checked()

    menu.get_by_role("button", name="Ask again before running time.get_current_time").click()

    expect(menu.get_by_role("button", name=re.compile("^Ask again"))).to_have_count(0)
    stored = api.get(f"/conversations/{conversation['id']}").json()["settings"]
    assert (stored["tools"], stored["allowed_tools"]) == (["time"], [])
