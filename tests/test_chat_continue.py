"""Answers cut at the model's token limit, against fake upstreams of every provider type: stored
as such, and continued by the same model into the same answer. Each test on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from drupe.chat import AnswerDelta, AnswerStarted, Target
from drupe.errors import DrupeError
from tests.fakes.answer import split_chunks
from tests.fakes.upstream import KINDS, Fault
from tests.test_chat_service import cancel_after_deltas, finished, make_service, run

pytestmark = pytest.mark.usefixtures("database_url")

TARGET = [Target("fake1", "fake-model")]


def last_messages(kind: str, body: dict) -> list[tuple[str, str]]:
    """The last two messages a request sent, as (role, text), whatever the wire format."""
    if kind == "gemini":
        return [(c["role"], "".join(p.get("text", "") for p in c["parts"])) for c in body["contents"][-2:]]
    items = body["input"] if kind == "openai-response" else body["messages"]
    out = []
    for item in items[-2:]:
        content = item["content"]
        text = content if isinstance(content, str) else "".join(part.get("text", "") for part in content)
        out.append((item["role"], text))
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_an_answer_cut_at_the_token_limit_is_stored_as_such(fake_upstream, kind, stream):
    up = fake_upstream(kind, text="one two three four", fault=Fault("length", after_chunks=2))
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "count", TARGET, stream=stream)))
    assert (answer.content, answer.stop_reason) == ("one two", "length")
    assert svc.get_message(answer.id).stop_reason == "length"


@pytest.mark.parametrize("kind", KINDS)
def test_continue_sends_the_answer_so_far_and_adds_to_it(fake_upstream, kind):
    up = fake_upstream(kind, text="One, two, three", chunks=3, fault=Fault("length", times=1, after_chunks=2))
    svc = make_service(up)
    conv = svc.create_conversation()
    [cut] = finished(run(svc.send(conv.id, "Count to four", TARGET)))
    assert (cut.content, cut.stop_reason) == ("One, two, ", "length")

    up.text_chunks = split_chunks("three, four.", None)
    events = run(svc.continue_answer(cut.id))
    assert [e.answer_id for e in events if isinstance(e, AnswerStarted)] == [cut.id]
    assert "".join(e.event.text for e in events if isinstance(e, AnswerDelta)) == "three, four."
    [answer] = finished(events)
    # The model was sent the answer so far as its own last message (trailing space left out).
    assert last_messages(kind, up.requests[-1].json) == [
        ("user", "Count to four"),
        ("model" if kind == "gemini" else "assistant", "One, two,"),
    ]
    assert answer.id == cut.id
    assert (answer.content, answer.status, answer.stop_reason) == ("One, two, three, four.", "complete", "stop")
    assert answer.output_tokens == cut.output_tokens + 2  # both calls' tokens
    assert answer.input_tokens is not None and cut.input_tokens is not None
    assert answer.input_tokens > cut.input_tokens
    assert svc.get_message(cut.id) == answer
    assert [m.id for m in svc.history(conv.id)] == [answer.parent_id, answer.id]  # still one answer
    assert len(svc.alternatives(answer.id)) == 1


def test_a_continuation_cut_again_can_be_continued_again(fake_upstream):
    up = fake_upstream("anthropic", text="a b c d", fault=Fault("length", times=2, after_chunks=1))
    svc = make_service(up)
    conv = svc.create_conversation()
    [cut] = finished(run(svc.send(conv.id, "letters", TARGET)))
    [again] = finished(run(svc.continue_answer(cut.id, stream=False)))
    assert (again.content, again.stop_reason) == ("aa", "length")
    [done] = finished(run(svc.continue_answer(cut.id)))
    assert (done.content, done.stop_reason) == ("aaa b c d", "stop")


def test_only_an_answer_cut_at_the_token_limit_can_be_continued(fake_upstream):
    up = fake_upstream("openai", text="whole")
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "hi", TARGET)))

    def refused(message_id: int) -> DrupeError:
        with pytest.raises(DrupeError) as caught:
            run(svc.continue_answer(message_id))
        return caught.value

    error = refused(answer.id)
    assert error.code == "invalid" and "token limit" in str(error)
    assert refused(answer.parent_id).code == "invalid"  # the user's message
    assert len(up.requests) == 1  # nothing sent
    assert svc.get_message(answer.id) == answer  # nothing changed


def test_an_answer_already_being_continued_is_not_continued_twice(fake_upstream):
    up = fake_upstream("openai", text="one two", fault=Fault("length", times=1, after_chunks=1))
    svc = make_service(up)
    conv = svc.create_conversation()
    [cut] = finished(run(svc.send(conv.id, "hi", TARGET)))
    assert svc.repository.reopen_answer(cut.id)  # as another continuation would
    with pytest.raises(DrupeError) as caught:
        run(svc.continue_answer(cut.id))
    assert caught.value.code == "conflict"


def test_stopping_a_continuation_keeps_the_text_so_far_and_what_came(fake_upstream):
    up = fake_upstream("openai", text="Start here", fault=Fault("length", times=1))
    svc = make_service(up)
    conv = svc.create_conversation()
    [cut] = finished(run(svc.send(conv.id, "Go", TARGET)))
    up.text_chunks = split_chunks(" ".join(f"w{i}" for i in range(100)), None)
    up.delay = 0.05
    seen = cancel_after_deltas(svc.continue_answer(cut.id))
    answer = svc.get_message(cut.id)
    assert (answer.status, answer.stop_reason) == ("stopped", "cancelled")
    assert answer.content.startswith("Start here" + "".join(seen)) and "w99" not in answer.content
