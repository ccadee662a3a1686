"""Right-sized text in every language: no page wider than the window, and no label, button, tab
or heading whose words are cut off, on the chat page and in Settings → Model services with a
provider open, at desktop and phone sizes."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, DrupeServer
from tests.browser.test_languages import WORDS

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

CUT_OFF = """() => {
  const wide = document.documentElement.scrollWidth > window.innerWidth + 1
    ? [`the page is ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`] : [];
  const cut = [...document.querySelectorAll("button, label, [role=tab], h1, h2, h3, .menu-item, th")]
    .filter((node) => node.offsetParent !== null && node.textContent.trim())
    .filter((node) => !node.closest("[data-truncates], .conv-title, .row-title, .model-name"))
    .filter((node) => node.scrollWidth > node.clientWidth + 1 || node.scrollHeight > node.clientHeight + 2
      && getComputedStyle(node).overflowY === "hidden")
    .map((node) => `${node.tagName.toLowerCase()} "${node.textContent.trim().slice(0, 40)}" needs ${node.scrollWidth}px, has ${node.clientWidth}px`);
  return [...wide, ...cut];
}"""


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", list(WORDS))
def test_no_text_is_cut_off(browser, drupe_server: DrupeServer, api: httpx2.Client, language: str, size: str) -> None:
    provider = api.post("/providers", json={"name": "vLLM", "type": "openai", "base_url": "http://127.0.0.1:9/v1"})
    assert provider.status_code in (200, 201, 409), provider.text
    provider_id = api.get("/providers/vLLM").json()["id"]
    context = browser.new_context(base_url=drupe_server.url, locale=WORDS[language]["locale"], viewport=SIZES[size])
    context.set_default_timeout(WAIT_MS)
    try:
        ui = context.new_page()
        problems = {}
        for path in ("/chat", f"/settings/providers/{provider_id}", "/settings/general"):
            ui.goto(path)
            expect(ui.locator("html")).to_have_attribute("lang", WORDS[language]["lang"])
            ui.wait_for_load_state("networkidle")
            found = ui.evaluate(CUT_OFF)
            if found:
                problems[path] = found
        assert not problems, problems
    finally:
        context.close()
