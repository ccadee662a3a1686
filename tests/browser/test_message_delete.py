"""Deleting one message from the chat page: it asks first, then the branch left is shown."""

from __future__ import annotations

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, last_answer, open_chat, pick_models, send, wait_until_answered


def test_deleting_a_message_asks_and_takes_the_turns_after_it(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    up = fake_upstream("openai", text="An answer.")
    add_provider(api, "Fake", up.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Fake)")
    for text in ("First question", "Second question", "Third question"):
        send(ui, text)
        wait_until_answered(ui)
    questions = ui.get_by_role("article", name="Your message")
    expect(questions).to_have_count(3)

    second = questions.nth(1)
    second.hover()
    second.get_by_role("button", name="Delete message").click()
    dialog = ui.get_by_role("dialog", name="Delete message")
    expect(dialog).to_contain_text("its answers and the messages after them")
    dialog.get_by_role("button", name="Cancel").click()
    expect(questions).to_have_count(3)

    second.hover()
    second.get_by_role("button", name="Delete message").click()
    ui.get_by_role("dialog", name="Delete message").get_by_role("button", name="Delete").click()
    expect(questions).to_have_count(1)
    expect(questions.first).to_contain_text("First question")

    answer = last_answer(ui)
    answer.hover()
    answer.get_by_role("button", name="Delete answer").click()
    ui.get_by_role("dialog", name="Delete message").get_by_role("button", name="Delete").click()
    expect(ui.get_by_role("article", name="Answer from fake-model")).to_have_count(0)
    expect(questions).to_have_count(1)

    ui.reload()  # what the page shows is what is stored
    expect(ui.get_by_role("article", name="Your message")).to_have_count(1)
    expect(ui.get_by_role("article", name="Answer from fake-model")).to_have_count(0)
    send(ui, "Once more")
    wait_until_answered(ui)
    expect(ui.get_by_role("article", name="Your message")).to_have_count(2)
