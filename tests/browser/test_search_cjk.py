"""The chat page's search box finds a Chinese word inside a sentence."""

from __future__ import annotations

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, open_chat


def test_the_search_box_finds_a_two_character_chinese_word(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="好的。")
    provider = add_provider(api, "Fake", upstream.base_url, ["fake-model"])
    target = {"provider": provider["id"], "model": "fake-model"}
    for title, text in (("闲聊", "今天天气怎么样？"), ("Fruit", "apples are red"), ("韓国語", "오늘 날씨가 좋네요")):
        conversation = api.post("/conversations", json={"title": title}).json()
        api.post(f"/conversations/{conversation['id']}/messages", json={"content": text, "targets": [target]})
    open_chat(ui)
    links = ui.get_by_role("list", name="Conversations").get_by_role("link")
    expect(links).to_have_count(3)
    search = ui.get_by_role("searchbox", name="Search conversations")
    search.fill("天气")
    expect(links).to_have_text(["闲聊"])
    search.fill("날씨")
    expect(links).to_have_text(["韓国語"])
