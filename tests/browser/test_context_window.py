"""The chat page says when earlier messages were left out to fit the context window, and shows an
answer cut at the token limit with a Continue action that goes on in the same answer."""

from __future__ import annotations

import httpx2
from playwright.sync_api import Page, expect

from tests.browser.steps import add_provider, last_answer, open_chat, pick_models, send, wait_until_answered
from tests.fakes.answer import split_chunks
from tests.fakes.upstream import Fault

LEFT_OUT = "2 earlier messages left out to fit the context window"


def test_the_stats_line_says_how_many_messages_were_left_out(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    up = fake_upstream("openai", text="y" * 384)  # 100 tokens by drupe's estimate
    provider = add_provider(api, "Small", up.base_url, ["fake-model"])
    edited = api.patch(f"/providers/{provider['id']}/models/fake-model", json={"context_window": 250})
    assert edited.status_code == 200, edited.text
    open_chat(ui)
    pick_models(ui, "fake-model (Small)")
    send(ui, "a" * 384)
    wait_until_answered(ui)
    expect(last_answer(ui).locator(".message-meta")).not_to_contain_text("left out")
    send(ui, "b" * 384)
    wait_until_answered(ui)
    expect(last_answer(ui).locator(".message-meta")).to_contain_text(LEFT_OUT)

    ui.reload()
    expect(last_answer(ui).locator(".message-meta")).to_contain_text(LEFT_OUT)


def test_an_answer_cut_at_the_token_limit_is_continued_in_place(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    up = fake_upstream("anthropic", text="The first part", chunks=2, fault=Fault("length", times=1, after_chunks=1))
    add_provider(api, "Claude", up.base_url, ["fake-model"], type="anthropic")
    open_chat(ui)
    pick_models(ui, "fake-model (Claude)")
    send(ui, "Tell me")
    wait_until_answered(ui)
    answer = last_answer(ui)
    expect(answer.locator(".message-meta")).to_contain_text("Stopped: token limit")
    expect(answer.locator(".markdown")).to_have_text("The fir")

    up.text_chunks = split_chunks("st part, and *the rest*.", None)
    answer.get_by_role("button", name="Continue").click()
    wait_until_answered(ui)
    answers = ui.get_by_role("article", name="Answer from fake-model")
    expect(answers).to_have_count(1)  # the same answer, not a new one
    expect(answers.locator(".markdown")).to_have_text("The first part, and the rest.")
    expect(answers.locator(".markdown em")).to_have_text("the rest")
    expect(answers.locator(".message-meta")).not_to_contain_text("token limit")
    expect(answers.get_by_role("button", name="Continue")).to_have_count(0)

    ui.reload()
    expect(ui.get_by_role("article", name="Answer from fake-model")).to_have_count(1)
    expect(last_answer(ui).locator(".markdown")).to_have_text("The first part, and the rest.")
