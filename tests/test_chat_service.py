"""ChatService against fake upstreams: storage order, history, branches, cancellation, errors."""

import asyncio
import base64
import socket
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from drupe.chat import (
    AnswerDelta,
    AnswerFinished,
    AnswerStarted,
    ChatService,
    ConversationSettings,
    Target,
    UserSaved,
)
from drupe.chat.search import search_like
from drupe.chat.service import OWNER
from drupe.chat.tables import messages
from drupe.errors import DrupeError
from drupe.protocols.base import ImagePart, TextPart
from drupe.store import open_store
from tests.fakes.upstream import Fault

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL


def make_service(*upstreams, models=("fake-model",)):
    """A service with one provider per upstream, named fake1, fake2, …, each with `models`."""
    svc = ChatService(open_store())
    for index, upstream in enumerate(upstreams, 1):
        svc.registry.add_provider(f"fake{index}", upstream.kind, base_url=upstream.base_url)
        for model in models:
            svc.registry.add_model(f"fake{index}", model)
    return svc


def run(events):
    async def collect():
        return [event async for event in events]

    return asyncio.run(asyncio.wait_for(collect(), 30))


def cancel_after_deltas(events, count: int = 5) -> list[str]:
    """Read `events` until `count` text deltas came, then cancel the reader (as a closed page or
    Ctrl-C does); the deltas seen."""
    seen: list[str] = []

    async def consume():
        async for event in events:
            if isinstance(event, AnswerDelta):
                seen.append(event.event.text)

    async def main():
        task = asyncio.create_task(consume())
        while len(seen) < count:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(main(), 30))
    return seen


def finished(events):
    return [e.answer for e in events if isinstance(e, AnswerFinished)]


def test_a_turn_is_stored_with_usage_and_timings(fake_upstream):
    up = fake_upstream("openai", text="The sky is blue because of Rayleigh scattering", reasoning="Think first")
    svc = make_service(up)
    conv = svc.create_conversation()
    events = run(svc.send(conv.id, "Why is the sky blue?", [Target("fake1", "fake-model")]))

    assert isinstance(events[0], UserSaved) and isinstance(events[1], AnswerStarted)
    deltas = [e for e in events if isinstance(e, AnswerDelta)]
    assert "".join(d.event.text for d in deltas if d.event.type == "text") == "".join(up.text_chunks)
    [answer] = finished(events)
    assert answer.status == "complete" and answer.role == "assistant"
    assert answer.content == "The sky is blue because of Rayleigh scattering"
    assert answer.reasoning == "Think first"
    assert answer.input_tokens and answer.input_tokens > 0
    assert answer.output_tokens == len(up.text_chunks) + len(up.reasoning_chunks)
    assert answer.time_to_first_token_ms is not None and answer.tokens_per_second is not None
    assert (answer.provider, answer.model) == ("fake1", "fake-model")
    assert svc.get_conversation(conv.id).title == "Why is the sky blue?"
    assert [(m.role, m.content) for m in svc.history(conv.id)] == [
        ("user", "Why is the sky blue?"),
        ("assistant", answer.content),
    ]
    assert svc.get_message(answer.id) == answer


def test_deltas_that_arrive_while_the_consumer_is_busy_are_handed_over_joined(fake_upstream):
    """Chunks that arrive while the consumer is busy come as one delta, in order.

    The consumer stops for half a second after the first text delta, which on any load is long
    enough for the producer to read many of the 3000 chunks from the socket: the next delta holds
    them all. (Counting deltas of a consumer that never stops measured the scheduler instead.)
    """
    text = " ".join(f"word{i}" for i in range(3000))
    up = fake_upstream("openai", text=text, reasoning="a b c d e f g h")
    svc = make_service(up)
    conv = svc.create_conversation()

    async def collect_with_a_pause():
        deltas = []
        async for event in svc.send(conv.id, "Go", [Target("fake1", "fake-model")]):
            if isinstance(event, AnswerDelta):
                deltas.append(event.event)
                if [d.type for d in deltas].count("text") == 1 and event.event.type == "text":
                    await asyncio.sleep(0.5)
        return deltas

    deltas = asyncio.run(asyncio.wait_for(collect_with_a_pause(), 30))
    assert "".join(d.text for d in deltas if d.type == "text") == text
    assert "".join(d.text for d in deltas if d.type == "reasoning") == "a b c d e f g h"
    assert [d.type for d in deltas].index("text") > 0  # the reasoning came first, and still does
    first_text = [d.type for d in deltas].index("text")
    assert deltas[first_text + 1].text.count("word") >= 10
    assert len(deltas) < len(up.text_chunks)


def test_no_stream_uses_a_plain_call_and_still_stores(fake_upstream):
    up = fake_upstream("anthropic", text="Plain answer")
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", [Target("fake1", "fake-model")], stream=False)))
    assert answer.status == "complete" and answer.content == "Plain answer"
    assert answer.output_tokens == len(up.text_chunks)
    assert up.requests[-1].json.get("stream") in (None, False)


def test_history_honours_the_context_count(fake_upstream):
    up = fake_upstream("openai", text="ok")
    svc = make_service(up)
    conv = svc.create_conversation(settings=ConversationSettings(system_prompt="Be brief.", context_count=3))
    target = [Target("fake1", "fake-model")]
    for word in ("one", "two", "three"):
        run(svc.send(conv.id, word, target))

    sent = up.requests[-1].json["messages"]
    assert sent == [
        {"role": "system", "content": "Be brief."},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "three"},
    ]
    svc.update_settings(conv.id, context_count=None, temperature=0.5)
    run(svc.send(conv.id, "four", target))
    body = up.requests[-1].json
    assert [m["content"] for m in body["messages"]] == ["Be brief.", "one", "ok", "two", "ok", "three", "ok", "four"]
    assert body["temperature"] == 0.5


def test_history_pages_back_through_the_current_branch(fake_upstream):
    up = fake_upstream("openai", text="ok")
    svc = make_service(up)
    conv = svc.create_conversation()
    for word in ("a", "b", "c"):
        run(svc.send(conv.id, word, [Target("fake1", "fake-model")]))
    full = svc.history(conv.id)
    assert [m.content for m in full] == ["a", "ok", "b", "ok", "c", "ok"]
    latest = svc.history(conv.id, limit=2)
    assert latest == full[-2:]
    assert svc.history(conv.id, limit=3, before_id=latest[0].id) == full[1:4]
    assert svc.history(conv.id, before_id=full[0].id) == []


def test_images_are_sent_as_base64(fake_upstream):
    up = fake_upstream("openai", text="A red dot")
    svc = make_service(up)
    conv = svc.create_conversation()
    data = base64.b64encode(b"\x89PNG fake image").decode()
    content = (TextPart("What is this?"), ImagePart(data=data, media_type="image/png"))
    events = run(svc.send(conv.id, content, [Target("fake1", "fake-model")]))
    assert events[0].message.parts == content and events[0].message.content == "What is this?"
    parts = up.requests[-1].json["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "What is this?"}
    assert parts[1]["image_url"]["url"] == f"data:image/png;base64,{data}"


def test_two_models_answer_one_turn_as_alternatives(fake_upstream):
    slow = fake_upstream("openai", text="slow answer here", delay=0.05)
    fast = fake_upstream("anthropic", text="fast answer")
    svc = make_service(slow, fast)
    conv = svc.create_conversation()
    targets = [Target("fake1", "fake-model"), Target("fake2", "fake-model")]
    events = run(svc.send(conv.id, "Compare", targets))

    answers = finished(events)
    assert {a.content for a in answers} == {"slow answer here", "fast answer"}
    assert all(a.status == "complete" for a in answers)
    assert answers[0].provider == "fake2"  # the fast one finished first: events are interleaved, not queued
    started = [e.answer_id for e in events if isinstance(e, AnswerStarted)]
    assert [a.id for a in svc.alternatives(started[0])] == started
    assert svc.get_conversation(conv.id).current_leaf_id == started[0]


def test_regenerate_keeps_the_old_answer_and_select_switches(fake_upstream):
    up = fake_upstream("openai", text="first")
    svc = make_service(up)
    conv = svc.create_conversation()
    [old] = finished(run(svc.send(conv.id, "Q", [Target("fake1", "fake-model")])))
    run(svc.send(conv.id, "follow-up", [Target("fake1", "fake-model")]))
    up.text_chunks = ("second",)
    events = run(svc.regenerate(old.id))

    assert not any(isinstance(e, UserSaved) for e in events)
    [new] = finished(events)
    assert new.parent_id == old.parent_id and new.content == "second"
    assert [a.id for a in svc.alternatives(old.id)] == [old.id, new.id]
    assert [m.content for m in svc.history(conv.id)] == ["Q", "second"]
    assert up.requests[-1].json["messages"] == [{"role": "user", "content": "Q"}]

    svc.select(old.id)  # back to the old answer and on to its latest follow-up
    assert [m.content for m in svc.history(conv.id)] == ["Q", "first", "follow-up", "first"]


def test_edit_starts_a_new_branch(fake_upstream):
    up = fake_upstream("openai", text="ok")
    svc = make_service(up)
    conv = svc.create_conversation()
    target = [Target("fake1", "fake-model")]
    run(svc.send(conv.id, "first question", target))
    events = run(svc.send(conv.id, "typo questoin", target))
    asked = events[0].message
    run(svc.edit(asked.id, "fixed question", target))

    assert [m.content for m in svc.history(conv.id)] == ["first question", "ok", "fixed question", "ok"]
    assert [m.content for m in svc.alternatives(asked.id)] == ["typo questoin", "fixed question"]
    assert [m["content"] for m in up.requests[-1].json["messages"]] == ["first question", "ok", "fixed question"]
    with pytest.raises(DrupeError, match="not a user message"):
        run(svc.edit(svc.history(conv.id)[-1].id, "x", target))


def test_upstream_drop_mid_stream_keeps_partial_text_and_error(fake_upstream):
    up = fake_upstream("openai", text="one two three four five six", fault=Fault("drop", after_chunks=3))
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Count", [Target("fake1", "fake-model")])))

    assert answer.status == "error" and answer.error and answer.error_kind
    assert answer.content == "".join(up.text_chunks[:3])
    user = svc.get_message(answer.parent_id)
    assert (user.role, user.content, user.status) == ("user", "Count", "complete")


def test_provider_error_is_stored_with_its_kind(fake_upstream):
    up = fake_upstream("openai", fault=Fault("rate_limit", retry_after=0))
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", [Target("fake1", "fake-model")])))
    assert answer.status == "error" and answer.error_kind == "rate_limit"
    assert "Rate limit reached" in answer.error and answer.content == ""


def test_cancelling_the_consumer_leaves_stopped_partial_answers(fake_upstream):
    up = fake_upstream("openai", text=" ".join(f"w{i}" for i in range(100)), delay=0.05)
    svc = make_service(up)
    conv = svc.create_conversation()
    seen = cancel_after_deltas(svc.send(conv.id, "Go", [Target("fake1", "fake-model")]))
    answer = svc.history(conv.id)[-1]
    assert answer.status == "stopped"
    assert answer.content.startswith("".join(seen)) and len(answer.content) < len("".join(up.text_chunks))


def test_closing_the_stream_early_stops_every_answer(fake_upstream):
    one = fake_upstream("openai", text="a b c d e f g h", delay=0.1)
    two = fake_upstream("gemini", text="p q r s t u v w", delay=0.1)
    svc = make_service(one, two)
    conv = svc.create_conversation()

    async def main():
        events = svc.send(conv.id, "Go", [Target("fake1", "fake-model"), Target("fake2", "fake-model")])
        async for event in events:
            if isinstance(event, AnswerDelta):
                break
        await events.aclose()
        return [e for e in svc.alternatives(event.answer_id)]

    answers = asyncio.run(asyncio.wait_for(main(), 30))
    assert [a.status for a in answers] == ["stopped", "stopped"]
    assert any(a.content for a in answers)


def test_closing_the_turn_before_any_answer_began_stops_its_answers(fake_upstream):
    """The user's message and the answer rows are written together; the answers must not
    stay `streaming` when the consumer leaves right after the user's message is saved."""
    up = fake_upstream("openai", text="never sent")
    svc = make_service(up)
    conv = svc.create_conversation()

    async def main():
        events = svc.send(conv.id, "Go", [Target("fake1", "fake-model")])
        first = await anext(events)
        await events.aclose()
        return first

    first = asyncio.run(asyncio.wait_for(main(), 30))
    assert isinstance(first, UserSaved)
    [answer] = svc.alternatives(svc.get_conversation(conv.id).current_leaf_id)
    assert (answer.parent_id, answer.status, answer.content) == (first.message.id, "stopped", "")
    assert up.requests == []


def test_streaming_text_is_saved_about_every_second(fake_upstream):
    up = fake_upstream("openai", text=" ".join(f"w{i}" for i in range(50)), delay=0.05)
    svc = make_service(up)
    conv = svc.create_conversation()
    updates: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE messages"):
            updates.append(statement)

    sa.event.listen(svc.store.engine, "before_cursor_execute", count)
    stored_midway: list[tuple[str, str]] = []

    async def main():
        start = time.monotonic()
        async for event in svc.send(conv.id, "Go", [Target("fake1", "fake-model")]):
            if isinstance(event, AnswerDelta) and not stored_midway and time.monotonic() - start > 1.6:
                with svc.store.engine.connect() as conn:
                    row = conn.execute(sa.select(messages).where(messages.c.id == event.answer_id)).one()
                stored_midway.append((row.status, row.content))

    asyncio.run(asyncio.wait_for(main(), 30))
    [(status, content)] = stored_midway
    assert status == "streaming" and content.startswith("w0 w1")
    assert 2 <= len(updates) <= 5  # a few throttled saves and the final one, not one per token (50)


def test_leftover_streaming_answers_are_stopped_when_a_service_opens(fake_upstream):
    up = fake_upstream("openai", text="partial")
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", [Target("fake1", "fake-model")])))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with svc.store.engine.begin() as conn:  # as if that process died mid-answer
        conn.execute(
            messages.update()
            .where(messages.c.id == answer.id)
            .values(status="streaming", stop_reason=None, owner=f"{socket.gethostname()}:{dead.stdout.strip()}")
        )
    recovered = ChatService(svc.store).get_message(answer.id)  # a new process: its first use settles them
    assert (recovered.status, recovered.stop_reason, recovered.content) == ("stopped", "interrupted", "partial")


def test_making_a_service_writes_nothing_until_it_is_used():
    store = open_store()
    statements: list[str] = []
    count = lambda _conn, _cursor, statement, *_rest: statements.append(statement)  # noqa: E731
    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        svc = ChatService(store)
        assert statements == []
        svc.list_conversations()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    assert any(s.lstrip().upper().startswith("SELECT MESSAGES.ID, MESSAGES.OWNER") for s in statements), statements


def test_answers_still_streaming_in_a_live_process_are_left_alone(fake_upstream):
    up = fake_upstream("openai", text="partial")
    svc = make_service(up)
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", [Target("fake1", "fake-model")])))
    with svc.store.engine.begin() as conn:  # this very process is "still streaming" it
        conn.execute(messages.update().where(messages.c.id == answer.id).values(status="streaming", owner=OWNER))
    assert ChatService(svc.store).get_message(answer.id).status == "streaming"


def test_search_finds_all_the_words_in_any_order(fake_upstream, database_url):
    up = fake_upstream("openai", text="Photosynthesis turns light into sugar")
    svc = make_service(up)
    conv = svc.create_conversation()
    run(svc.send(conv.id, "How do plants eat?", [Target("fake1", "fake-model")]))
    assert svc._has_fts == database_url.startswith("sqlite")  # PostgreSQL: the LIKE scan
    [hit] = svc.search("photosynthesis")
    assert hit.conversation_id == conv.id and hit.role == "assistant"
    assert "[Photosynthesis]" in hit.snippet
    assert [h.message_id for h in svc.search("SUGAR photosynthesis")] == [hit.message_id]  # not a phrase
    assert svc.search('sugar "light') and not svc.search("chlorophyll") and not svc.search("sugar chlorophyll")
    with svc.store.engine.connect() as conn:
        [like_hit] = search_like(conn, "sug INTO", 10)
        assert search_like(conn, "_", 10) == []  # LIKE's wildcard is a plain character
    assert like_hit.message_id == hit.message_id and "light [into] [sug]ar" in like_hit.snippet
    svc.delete_conversation(conv.id)
    assert svc.search("photosynthesis") == []


def test_export_markdown_holds_every_message(fake_upstream):
    up = fake_upstream("openai", text="Answer A")
    svc = make_service(up, models=("fake-model", "fake-large"))
    conv = svc.create_conversation(settings=ConversationSettings(system_prompt="You are terse."))
    targets = [Target("fake1", "fake-model"), Target("fake1", "fake-large")]
    [first, _] = finished(run(svc.send(conv.id, "Question one", targets)))
    up.text_chunks = ("Answer B",)
    run(svc.regenerate(first.id))
    run(svc.send(conv.id, "Question two", targets[:1]))

    text = svc.export_markdown(conv.id)
    everything = svc.export_json(conv.id)["messages"]
    assert len(everything) == 6
    for message in everything:
        assert message["content"] in text
    assert text.startswith("# Question one") and "You are terse." in text
    assert text.count("## Assistant") == 4 and "version 3 of 3" in text
    assert svc.export_json(conv.id)["current_branch"] == [m.id for m in svc.history(conv.id)]


def test_conversations_crud_and_prefix_ids():
    svc = ChatService(open_store())
    first = svc.create_conversation("First")
    second = svc.create_conversation()
    assert {c.id for c in svc.list_conversations()} == {first.id, second.id}
    assert svc.get_conversation(first.id[:10]).id == first.id
    assert svc.rename_conversation(second.id, "  Renamed ").title == "Renamed"
    with pytest.raises(DrupeError, match="No conversation"):
        svc.get_conversation("zzzz")
    with pytest.raises(DrupeError, match=r"between 0\.0 and 2\.0"):
        svc.update_settings(first.id, temperature=3)
    assert svc.update_settings(first.id, max_tokens=100).settings.max_tokens == 100
    svc.delete_conversation(first.id)
    assert [c.id for c in svc.list_conversations()] == [second.id]


def test_targets_are_checked_before_anything_is_written(fake_upstream):
    up = fake_upstream("openai")
    svc = make_service(up)
    conv = svc.create_conversation()
    svc.registry.set_enabled("fake1", False)
    with pytest.raises(DrupeError, match="disabled"):
        run(svc.send(conv.id, "Hi", [Target("fake1", "fake-model")]))
    assert svc.history(conv.id) == [] and up.requests == []


def error_of(call, *args, **kwargs) -> DrupeError:
    with pytest.raises(DrupeError) as caught:
        result = call(*args, **kwargs)
        if hasattr(result, "__aiter__"):
            run(result)
    return caught.value


def test_every_chat_error_has_a_code_and_its_values_and_names_no_command(fake_upstream):
    """The faces word errors from `code` and `data`; the core's own message names no command."""
    up = fake_upstream("openai", text="ok")
    svc = make_service(up)
    svc.registry.add_provider("other", "openai", base_url=up.base_url)
    svc.registry.add_model("other", "fake-model")
    conv = svc.create_conversation()
    [answer] = finished(run(svc.send(conv.id, "Hi", [Target("fake1", "fake-model")])))
    question = svc.get_message(answer.parent_id)
    while svc.create_conversation().id[0] != conv.id[0]:
        pass  # two conversations whose ids start alike
    target = [Target("fake1", "fake-model")]

    expected = [
        (error_of(svc.get_conversation, "zzzz"), "not_found", {"what": "conversation", "name": "zzzz"}),
        (error_of(svc.get_conversation, conv.id[0]), "ambiguous", {"what": "conversation", "name": conv.id[0]}),
        (error_of(svc.get_message, 999_999), "not_found", {"what": "message", "id": 999_999}),
        (error_of(svc.alternatives, 999_999), "not_found", {"what": "message", "id": 999_999}),
        (error_of(svc.rename_conversation, conv.id, " "), "invalid", {"field": "title"}),
        (error_of(svc.update_settings, conv.id, top_p=2), "invalid", {"field": "top_p", "value": 2}),
        (error_of(svc.send, conv.id, "  ", target), "invalid", {"field": "content"}),
        (error_of(svc.send, conv.id, "Hi", []), "invalid", {"field": "targets"}),
        (error_of(svc.send, conv.id, "Hi", target, parent_id=10**6), "not_found", {"what": "message"}),
        (error_of(svc.regenerate, question.id), "invalid", {"field": "answer_id", "id": question.id}),
        (error_of(svc.edit, answer.id, "x", target), "invalid", {"field": "message_id", "id": answer.id}),
        (error_of(svc.resolve_targets, None, ["fake-model"]), "ambiguous", {"what": "model", "name": "fake-model"}),
        (error_of(svc.resolve_targets, None, ["nope"]), "not_found", {"what": "model", "name": "nope"}),
        (error_of(svc.resolve_targets, None, []), "invalid", {"field": "model", "models": 2}),
    ]
    assert sorted(expected[1][0].data["matches"])[0][0] == conv.id[0]
    assert expected[11][0].data["matches"] == ["fake1/fake-model", "other/fake-model"]
    svc.registry.set_enabled("fake1", False)
    expected += [
        (error_of(svc.send, conv.id, "Hi", target), "provider_disabled", {"provider": "fake1"}),
        (error_of(svc.resolve_targets, "fake1", ["fake-model"]), "provider_disabled", {"provider": "fake1"}),
    ]
    svc.registry.set_enabled("other", False)
    expected.append(
        (error_of(svc.resolve_targets, None, ["fake-model"]), "provider_disabled", {"providers": ["fake1", "other"]})
    )
    for error, code, data in expected:
        assert (error.code, {key: error.data.get(key) for key in data}) == (code, data), str(error)
        assert "drupe " not in str(error) and "`" not in str(error) and "-p " not in str(error), str(error)
    assert up.requests and all(r.json["messages"][-1]["content"] == "Hi" for r in up.requests)


def test_a_title_has_at_most_500_characters():
    svc = ChatService(open_store())
    conv = svc.create_conversation("a" * 500)
    with pytest.raises(DrupeError, match="at most 500 characters") as raised:
        svc.rename_conversation(conv.id, "b" * 501)
    assert raised.value.code == "invalid" and raised.value.data["field"] == "title"
    assert svc.get_conversation(conv.id).title == "a" * 500
