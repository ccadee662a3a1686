"""Settings → MCP servers in Chromium, against real MCP servers: the reference `mcp-server-time`
over stdio (started by `drupe serve`) and a hostile Streamable HTTP server built here with the SDK,
whose tool descriptions carry markup that must stay text."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Annotated

import httpx2
import pytest
from playwright.sync_api import Page, expect
from pydantic import Field

from drupe.store import open_store
from drupe.tools.servers import McpServers
from tests.browser.steps import screenshot
from tests.mcp_http import serving

ENV_SECRET = "env-secret-value-0123456789"
API_KEY = "mcp-key-0123456789abcdef"
HOSTILE = 'Fetches a page. <img src=x onerror="window.__mcpPwned = 1"> <script>window.__mcpPwned = 2</script>'
HOSTILE_PARAMETER = '<img src=x onerror="window.__mcpPwned = 3">the address'
HOSTILE_NAME = "<b>hostile</b>"


@pytest.fixture
def hostile_mcp() -> Iterator[str]:
    """An HTTP MCP server (wanting `X-Api-Key`) whose own name, tool description and parameter
    description are markup."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer(HOSTILE_NAME, version="6.6.6")

    @server.tool(description=HOSTILE)
    def fetch_page(url: Annotated[str, Field(description=HOSTILE_PARAMETER)]) -> str:
        return url

    with serving(server, header=("X-Api-Key", API_KEY)) as url:
        yield url


def open_add_dialog(ui: Page):
    ui.get_by_role("complementary", name="MCP servers").get_by_role("button", name="+ Add").click()
    return ui.get_by_role("dialog", name="Add MCP server")


def status_line(ui: Page):
    return ui.get_by_role("status", name="Status")


def select(ui: Page, name: str) -> None:
    ui.get_by_role("list", name="MCP server list").get_by_role("link", name=name, exact=True).click()
    expect(ui.get_by_role("heading", name=re.compile(f"^{re.escape(name)}"))).to_be_visible()


def remove(ui: Page, name: str) -> None:
    select(ui, name)
    ui.get_by_role("button", name="Remove MCP server").click()
    confirm = ui.get_by_role("dialog", name="Remove MCP server")
    expect(confirm).to_contain_text(f"Remove {name}?")
    confirm.get_by_role("button", name="Remove").click()
    expect(ui.get_by_role("list", name="MCP server list").get_by_role("link", name=name, exact=True)).to_have_count(0)


def test_add_check_switch_edit_and_remove_mcp_servers(ui: Page, api: httpx2.Client, hostile_mcp: str) -> None:
    ui.goto("/settings")
    ui.get_by_role("tab", name="MCP servers").click()
    expect(ui).to_have_url(re.compile("/settings/mcp$"))
    expect(ui.get_by_text("No MCP servers yet")).to_be_visible()

    # stdio: the dialog says the command runs as the user; arguments one per line; a secret variable.
    dialog = open_add_dialog(ui)
    dialog.get_by_label("Name").fill("time")
    expect(dialog.get_by_role("radio", name=re.compile("^stdio"))).to_be_checked()
    expect(dialog.get_by_role("note")).to_contain_text("as you")
    dialog.get_by_label("Command", exact=True).fill(sys.executable)
    dialog.get_by_label("Arguments").fill("-m\nmcp_server_time\n")
    dialog.get_by_role("button", name="Add variable").click()
    dialog.get_by_label("Variable 1 name").fill("DRUPE_TEST_TOKEN")
    dialog.get_by_label("Variable 1 value").fill(ENV_SECRET)
    expect(dialog.get_by_role("radio", name="Ask before each call")).to_be_checked()
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(ui).to_have_url(re.compile("/settings/mcp/time$"))
    expect(status_line(ui)).to_contain_text("Connected — mcp-time")
    tools = ui.get_by_role("list", name="Tools of time")
    expect(tools.get_by_role("listitem")).to_have_count(2)
    current_time = tools.get_by_role("listitem", name="get_current_time")
    expect(current_time.locator(".tool-description")).to_have_text("Get current time in a specific timezone")
    expect(current_time.get_by_role("row", name=re.compile("^timezone string required"))).to_be_visible()
    expect(ui.get_by_text("-m", exact=True)).to_be_visible()
    assert ENV_SECRET not in ui.content()
    assert api.get("/mcp-servers/time").json()["args"] == ["-m", "mcp_server_time"]

    # HTTP, with the header the server wants: markup from the server shows as text and runs nothing.
    dialog = open_add_dialog(ui)
    dialog.get_by_label("Name").fill("hostile")
    dialog.get_by_role("radio", name=re.compile("^HTTP")).check()
    expect(dialog.get_by_label("Command", exact=True)).to_be_hidden()
    dialog.get_by_label("URL", exact=True).fill(hostile_mcp)
    dialog.get_by_role("button", name="Add header").click()
    dialog.get_by_label("Header 1 name").fill("X-Api-Key")
    dialog.get_by_label("Header 1 value").fill(API_KEY)
    dialog.get_by_role("radio", name="Always allow").check()
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(status_line(ui)).to_contain_text(f"Connected — {HOSTILE_NAME} 6.6.6 · 1 tool")
    tool = ui.get_by_role("list", name="Tools of hostile").get_by_role("listitem", name="fetch_page")
    expect(tool.locator(".tool-description")).to_have_text(HOSTILE)
    expect(tool.get_by_role("cell", name=HOSTILE_PARAMETER)).to_be_visible()
    expect(ui.get_by_text("Always allow")).to_be_visible()
    panel = ui.get_by_role("region", name="MCP server settings")
    expect(panel.locator("img, script, b")).to_have_count(0)
    ui.wait_for_timeout(300)  # an injected image would have failed to load by now
    assert ui.evaluate("window.__mcpPwned") is None
    assert API_KEY not in ui.content()

    # Edit: the masked secret goes back unchanged and the stored one is kept.
    select(ui, "time")
    expect(status_line(ui)).to_contain_text("Connected")
    ui.get_by_role("button", name="Edit").click()
    edit = ui.get_by_role("dialog", name="Edit MCP server time")
    expect(edit.get_by_label("Variable 1 value")).not_to_have_value(ENV_SECRET)
    edit.get_by_label("Timeout (seconds)").fill("30")
    edit.get_by_role("button", name="Save").click()
    expect(ui.get_by_text("30 s", exact=True)).to_be_visible()
    assert McpServers(open_store()).get("time").env == {"DRUPE_TEST_TOKEN": ENV_SECRET}
    expect(status_line(ui)).to_contain_text("Connected — mcp-time")
    screenshot(ui, "mcp-servers.png")

    # Switched off it is not started; switched on it connects again.
    switch = ui.get_by_role("switch", name="Enable time")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(status_line(ui)).to_contain_text("Off — MCP server 'time' is disabled.")
    expect(ui.get_by_role("list", name="Tools of time")).to_have_count(0)
    assert api.get("/mcp-servers/time").json()["enabled"] is False
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(status_line(ui)).to_contain_text("Connected — mcp-time")
    expect(ui.get_by_role("list", name="Tools of time").get_by_role("listitem")).to_have_count(2)

    remove(ui, "hostile")
    remove(ui, "time")
    expect(ui.get_by_text("No MCP servers yet")).to_be_visible()
    assert api.get("/mcp-servers").json() == []


def test_a_server_that_cannot_start_shows_why(ui: Page, api: httpx2.Client) -> None:
    created = api.post(
        "/mcp-servers", json={"name": "missing", "transport": "stdio", "command": "drupe-no-such-command"}
    )
    assert created.status_code == 201, created.text
    ui.goto("/settings/mcp/missing")
    expect(status_line(ui)).to_contain_text("✗ start — Cannot start MCP server 'missing'")
    expect(status_line(ui)).to_contain_text("'drupe-no-such-command' was not found")
    ui.get_by_role("button", name="Edit").click()
    edit = ui.get_by_role("dialog", name="Edit MCP server missing")
    edit.get_by_label("Name").fill("bad name")
    edit.get_by_role("button", name="Save").click()
    expect(edit.get_by_role("alert")).to_contain_text("is not usable")  # stays open with the server's words
    edit.get_by_role("button", name="Cancel").click()
    expect(edit).to_be_hidden()
