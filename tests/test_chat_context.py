"""The context window through the service, against fake upstreams: the oldest messages are left
out of what is sent, and the answer records how many. Each test on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from drupe.chat import ConversationSettings, Target
from tests.test_chat_service import finished, make_service, run

pytestmark = pytest.mark.usefixtures("database_url")

TARGET = [Target("fake1", "fake-model")]
WORDS = "x" * 384  # 100 tokens by the estimate (4 a message, 4 characters a token)


def test_the_oldest_messages_are_left_out_and_counted(fake_upstream):
    up = fake_upstream("openai", text="y" * 384)  # answers of 100 tokens too
    svc = make_service(up)
    # 1,000 tokens, 200 kept for the answer: 800 for the messages sent.
    svc.registry.edit_model("fake1", "fake-model", context_window=1000, max_output=200)
    conv = svc.create_conversation(settings=ConversationSettings(system_prompt="s" * 384))
    for word in "abcd":
        [answer] = finished(run(svc.send(conv.id, f"{word}{WORDS[1:]}", TARGET)))
    sent = up.requests[-1].json["messages"]
    # System prompt (100) + new message (100) leave 600: the newest 6 of the 6 earlier fit.
    assert len(sent) == 8 and answer.left_out == 0
    [answer] = finished(run(svc.send(conv.id, "e" + WORDS[1:], TARGET)))
    sent = up.requests[-1].json["messages"]
    assert answer.left_out == 2
    assert [m["content"][0] for m in sent] == ["s", "b", "y", "c", "y", "d", "y", "e"]
    assert svc.get_message(answer.id).left_out == 2  # stored
    assert svc.get_message(answer.id).to_dict()["left_out"] == 2


def test_the_conversations_max_tokens_is_the_room_kept(fake_upstream):
    up = fake_upstream("anthropic", text="y" * 384)
    svc = make_service(up)
    svc.registry.edit_model("fake1", "fake-model", context_window=1000, max_output=200)
    conv = svc.create_conversation(settings=ConversationSettings(max_tokens=400))
    for word in "abc":
        [answer] = finished(run(svc.send(conv.id, f"{word}{WORDS[1:]}", TARGET)))
    # 600 for the messages: the new one (100) and the 5 newest earlier ones, but the oldest of
    # those is an answer whose question was left out: it goes too.
    assert answer.left_out == 0
    [answer] = finished(run(svc.send(conv.id, "d" + WORDS[1:], TARGET)))
    assert answer.left_out == 2
    assert [_first(m) for m in up.requests[-1].json["messages"]] == ["b", "y", "c", "y", "d"]


def _first(message: dict) -> str:
    content = message["content"]
    return content[0] if isinstance(content, str) else content[0]["text"][0]


def test_an_unknown_window_sends_everything_and_counts_nothing(fake_upstream):
    up = fake_upstream("gemini", text="ok")
    svc = make_service(up)
    conv = svc.create_conversation()
    for word in ("one", "two", "three"):
        [answer] = finished(run(svc.send(conv.id, word * 1000, TARGET)))
    assert answer.left_out is None
    assert len(up.requests[-1].json["contents"]) == 5


def test_each_model_of_a_turn_is_fitted_to_its_own_window(fake_upstream):
    up = fake_upstream("openai", text="y" * 384)
    svc = make_service(up, models=("fake-model", "fake-large"))
    svc.registry.edit_model("fake1", "fake-model", context_window=250)
    svc.registry.edit_model("fake1", "fake-large", context_window=100_000)
    conv = svc.create_conversation()
    run(svc.send(conv.id, WORDS, TARGET))
    answers = finished(run(svc.send(conv.id, WORDS, [*TARGET, Target("fake1", "fake-large")])))
    left_out = {a.model: a.left_out for a in answers}
    assert left_out == {"fake-model": 2, "fake-large": 0}  # the first question, then its answer
    assert sorted(len(r.json["messages"]) for r in up.requests[-2:]) == [1, 3]


def test_a_round_of_tool_calls_is_left_out_whole(fake_upstream):
    """The answer that called a tool goes with its call and its result, never one without the other."""
    from tests import test_chat_tools as tools

    up = fake_upstream("openai", text="y" * 384, tool_calls=(tools.PARIS,))
    svc = tools.make_service(up, time_approval="always")
    conv = svc.create_conversation(settings=ConversationSettings(tools=("time",)))
    tools.run(svc, conv.id, "a" + WORDS[1:])
    assert [m["role"] for m in up.requests[-1].json["messages"]] == ["user", "assistant", "tool"]
    svc.update_settings(conv.id, tools=())
    svc.registry.edit_model("fake1", "fake-model", context_window=300)
    answer = tools.finished(tools.run(svc, conv.id, "b" + WORDS[1:]))
    assert answer.left_out == 2  # the first question; then its answer with its round of calls
    assert [m["role"] for m in up.requests[-1].json["messages"]] == ["user"]
