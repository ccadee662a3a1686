"""Turns over HTTP on a real uvicorn server: streamed events, several models, stop, XSS, paging."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

import httpx2
import pytest

from drupe.chat import Target
from tests.fakes.upstream import FakeUpstream, Fault
from tests.test_web_render import XSS, assert_inert

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL


def setup(server, *upstreams, model: str = "fake-model") -> str:
    """Providers fake1, fake2, … (one per upstream) each with `model`; returns a new conversation id."""
    for index, upstream in enumerate(upstreams, 1):
        provider = server.client.post(
            "/api/providers", json={"name": f"fake{index}", "type": upstream.kind, "base_url": upstream.base_url}
        ).json()
        server.client.post(f"/api/providers/{provider['id']}/models", json={"model_id": model})
    return server.client.post("/api/conversations", json={}).json()["id"]


def target(index: int = 1) -> dict:
    return {"provider": f"fake{index}", "model": "fake-model"}


def of(events: list[dict], kind: str, answer_id: int | None = None) -> list[dict]:
    return [e for e in events if e["type"] == kind and (answer_id is None or e.get("answer_id") == answer_id)]


TEXT = "# Title\n\nSome **bold** text.\n\n```python\ndef f():\n\n    return 1\n```\n\n- one\n- two\n\nThe end."


def test_a_turn_streams_end_to_end(web_server, fake_upstream):
    up = fake_upstream("openai", text=TEXT, reasoning="Let me think.", delay=0.002)
    server = web_server()
    conversation = setup(server, up)
    events = server.events(f"/api/conversations/{conversation}/messages", {"content": "Hi", "targets": [target()]})

    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["user", "start"] and kinds[-2:] == ["done", "end"]
    user, start, done = events[0]["message"], events[1], events[-2]
    assert (user["role"], user["content"], user["html"]) == ("user", "Hi", "Hi")
    answer_id = start["answer_id"]
    assert (start["provider"], start["model"]) == ("fake1", "fake-model")
    assert "".join(e["text"] for e in of(events, "delta")) == TEXT
    assert "".join(e["text"] for e in of(events, "reasoning")) == "Let me think."
    assert all(e["answer_id"] == answer_id for e in events if "answer_id" in e)

    blocks = of(events, "block")  # blocks finished by one delta come as one: 1 to 4 of them
    assert [b["index"] for b in blocks] == list(range(len(blocks))) and 1 <= len(blocks) <= 4
    streamed = "".join(b["html"] for b in blocks)
    assert streamed.startswith("<h1>Title</h1>\n")
    assert "<span class=" in streamed and "\n\n</code>" not in streamed  # highlighted
    assert "\n\n    <span" in streamed  # the blank line inside the code block kept
    assert of(events, "tail") and all(t["html"].startswith("<") for t in of(events, "tail"))
    shown = "".join(b["html"] for b in blocks) + "<p>The end.</p>\n"  # `done` replaces the last tail

    message = done["message"]
    assert message["status"] == "complete" and message["content"] == TEXT
    assert message["html"] == shown  # rendering per block gave the same page as rendering the whole
    assert message["reasoning_html"] == "<p>Let me think.</p>\n"
    assert message["usage"]["output_tokens"] and message["timings"]["time_to_first_token_ms"] is not None

    stored = server.client.get(f"/api/conversations/{conversation}/messages").json()
    assert [m["id"] for m in stored["messages"]] == [user["id"], answer_id]
    assert stored["messages"][1]["html"] == shown and stored["has_more"] is False


def test_turns_reuse_the_connection_to_the_provider(web_server, fake_upstream):
    up = fake_upstream("openai", text="Hello there.")
    server = web_server()
    conversation = setup(server, up)
    for content in ("one", "two", "three"):
        events = server.events(
            f"/api/conversations/{conversation}/messages", {"content": content, "targets": [target()]}
        )
        assert of(events, "done")[0]["message"]["status"] == "complete"
    assert len(up.requests) == 3
    assert up.connections == 1  # no new TCP (for https: TLS) set-up in each answer's time to first token


def test_a_provider_restarted_between_turns_gets_a_new_connection(web_server, fake_upstream):
    server = web_server()
    turn = {"content": "one", "targets": [target()]}
    with FakeUpstream("openai", text="Before.") as up:
        conversation = setup(server, up)
        done = of(server.events(f"/api/conversations/{conversation}/messages", turn), "done")[0]
        assert done["message"]["status"] == "complete"
    # stopped: the kept connection died with it
    again = fake_upstream("openai", text="After.", port=int(up.base_url.rsplit(":", 1)[1]))
    done = of(server.events(f"/api/conversations/{conversation}/messages", {**turn, "content": "two"}), "done")[0]
    assert (done["message"]["status"], done["message"]["content"]) == ("complete", "After.")
    assert again.connections == 1


def test_tails_are_throttled(web_server, fake_upstream):
    up = fake_upstream("openai", text=" ".join(["word"] * 300), delay=0.001)
    server = web_server()
    conversation = setup(server, up)
    events = server.events(f"/api/conversations/{conversation}/messages", {"content": "Hi", "targets": [target()]})
    deltas, tails = of(events, "delta"), of(events, "tail")
    assert "".join(e["text"] for e in deltas) == " ".join(["word"] * 300)
    assert 1 <= len(tails) < 300 / 5


def test_chunks_queued_together_go_out_as_one_delta(web_server, fake_upstream):
    text = " ".join(f"w{i}" for i in range(2000))
    up = fake_upstream("openai", text=text)
    server = web_server()
    conversation = setup(server, up)
    events = server.events(f"/api/conversations/{conversation}/messages", {"content": "Hi", "targets": [target()]})
    deltas = of(events, "delta")
    assert "".join(e["text"] for e in deltas) == text
    assert len(deltas) < 2000, "a fast upstream's chunks should be joined, not relayed one event each"
    [done] = of(events, "done")
    assert done["message"]["content"] == text


def test_two_models_answer_one_turn_with_interleaved_tagged_events(web_server, fake_upstream):
    first = fake_upstream("openai", text=" ".join(f"a{i}" for i in range(40)), delay=0.01)
    second = fake_upstream("anthropic", text=" ".join(f"b{i}" for i in range(40)), delay=0.01)
    server = web_server()
    conversation = setup(server, first, second)
    events = server.events(
        f"/api/conversations/{conversation}/messages", {"content": "Hi", "targets": [target(1), target(2)]}
    )
    starts = of(events, "start")
    assert [s["provider"] for s in starts] == ["fake1", "fake2"]
    ids = [s["answer_id"] for s in starts]
    order = [e["answer_id"] for e in of(events, "delta")]
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches >= 10, "the answers should arrive interleaved, not one after the other"
    for answer_id, letter in zip(ids, "ab"):
        text = "".join(e["text"] for e in of(events, "delta", answer_id))
        assert text.split() == [f"{letter}{i}" for i in range(40)]
        [done] = of(events, "done", answer_id)
        assert done["message"]["status"] == "complete" and done["message"]["content"] == text
    assert events[-1] == {"type": "end"}


def test_stop_keeps_the_partial_text(web_server, fake_upstream):
    up = fake_upstream("openai", text=" ".join(f"w{i}" for i in range(400)), delay=0.01)
    server = web_server()
    conversation = setup(server, up)
    events: list[dict] = []
    with server.client.stream(
        "POST", f"/api/conversations/{conversation}/messages", json={"content": "Hi", "targets": [target()]}
    ) as response:
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            events.append(json.loads(line[6:]))
            if events[-1]["type"] == "delta" and len(of(events, "delta")) == 5:
                answer_id = of(events, "start")[0]["answer_id"]
                with httpx2.Client(base_url=server.url) as other:
                    assert other.post(f"/api/answers/{answer_id}/stop").json() == {"stopped": [answer_id]}
    [done] = of(events, "done")
    seen = "".join(e["text"] for e in of(events, "delta"))
    partial = done["message"]["content"]
    assert done["message"]["status"] == "stopped"
    assert partial.startswith(seen) and 5 <= len(partial.split()) < 400  # `done` may hold a few unsent tokens
    assert events[-1] == {"type": "end"}

    [_, answer] = server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"]
    assert (answer["status"], answer["content"], answer["html"]) == ("stopped", partial, done["message"]["html"])
    again = server.client.post(f"/api/answers/{answer_id}/stop")
    assert again.status_code == 409 and again.json()["error"]["kind"] == "conflict"


def test_leaving_the_stream_stops_the_turn(web_server, fake_upstream):
    up = fake_upstream("openai", text=" ".join(f"w{i}" for i in range(400)), delay=0.01)
    server = web_server()
    conversation = setup(server, up)
    with server.client.stream(
        "POST", f"/api/conversations/{conversation}/messages", json={"content": "Hi", "targets": [target()]}
    ) as response:
        for line in response.iter_lines():
            if '"type":"delta"' in line:
                break
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"][-1]
        if answer["status"] != "streaming":
            break
        time.sleep(0.05)
    assert answer["status"] == "stopped"
    assert 0 < len(answer["content"].split()) < 400


def test_streamed_xss_comes_out_inert_everywhere(web_server, fake_upstream):
    up = fake_upstream("openai", text="\n\n".join(XSS) + "\n\ntail " + XSS[1], chunks=97)
    server = web_server()
    conversation = setup(server, up)
    events = server.events(
        f"/api/conversations/{conversation}/messages", {"content": XSS[0] + XSS[2], "targets": [target()]}
    )
    htmls = [e["html"] for e in of(events, "block") + of(events, "tail")]
    htmls += [e["message"]["html"] for e in of(events, "done")] + [of(events, "user")[0]["message"]["html"]]
    assert of(events, "block")
    for html in htmls:
        assert_inert(html)
    stored = server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"]
    for message in stored:
        assert_inert(message["html"])
    assert stored[0]["html"].startswith("&lt;script&gt;")


def test_a_failing_provider_ends_its_answer_with_an_error(web_server, fake_upstream):
    up = fake_upstream("openai", text="one two three four", fault=Fault("drop", after_chunks=2))
    server = web_server()
    conversation = setup(server, up)
    events = server.events(f"/api/conversations/{conversation}/messages", {"content": "Hi", "targets": [target()]})
    message = of(events, "done")[0]["message"]
    assert message["status"] == "error" and message["error_kind"] == "dropped"
    assert message["content"] == "one two"


def test_bad_turns_are_plain_json_errors_not_streams(web_server, fake_upstream):
    up = fake_upstream("openai")
    server = web_server()
    conversation = setup(server, up)
    path = f"/api/conversations/{conversation}/messages"
    unknown_model = server.client.post(path, json={"content": "Hi", "targets": [{"provider": "fake1", "model": "x"}]})
    assert unknown_model.status_code == 404 and "has no model 'x'" in unknown_model.json()["error"]["message"]
    assert unknown_model.json()["error"]["data"] == {"what": "model", "provider": "fake1", "name": "x"}
    assert "`drupe" not in unknown_model.json()["error"]["message"]  # the CLI's advice stays in the CLI
    empty = server.client.post(path, json={"content": "  ", "targets": [target()]})
    assert empty.status_code == 400 and empty.json()["error"]["message"] == "The message is empty."
    missing = server.client.post("/api/conversations/nope/messages", json={"content": "Hi", "targets": [target()]})
    assert missing.status_code == 404
    assert server.client.post("/api/answers/999/regenerate").status_code == 404
    assert server.client.get(path).json()["messages"] == []


def test_regenerate_edit_and_select(web_server, fake_upstream):
    up = fake_upstream("openai", text="answer")
    server = web_server()
    conversation = setup(server, up)
    first = server.events(f"/api/conversations/{conversation}/messages", {"content": "Q", "targets": [target()]})
    user_id, old_answer = first[0]["message"]["id"], first[1]["answer_id"]

    again = server.events(f"/api/answers/{old_answer}/regenerate")
    assert next(e["type"] for e in again) == "start"  # no new user message
    new_answer = again[0]["answer_id"]
    page = server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"]
    assert page[1]["id"] == new_answer and page[1]["siblings"] == {"index": 1, "count": 2}

    versions = server.client.get(f"/api/messages/{new_answer}/alternatives").json()
    assert [v["id"] for v in versions] == [old_answer, new_answer]
    selected = server.client.post(f"/api/messages/{old_answer}/select").json()
    assert selected["conversation"]["current_leaf_id"] == old_answer
    assert [m["id"] for m in selected["messages"]] == [user_id, old_answer]

    edited = server.events(f"/api/messages/{user_id}/edit", {"content": "Q2", "targets": [target()]})
    assert edited[0]["message"]["content"] == "Q2" and edited[0]["message"]["parent_id"] is None
    page = server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"]
    assert page[0]["content"] == "Q2" and page[0]["siblings"] == {"index": 1, "count": 2}


def test_messages_page_back_through_a_long_conversation(web_server, fake_upstream):
    up = fake_upstream("openai", text="ok")
    server = web_server()
    conversation = setup(server, up)
    chat = server.app.state.chat

    async def fill() -> None:
        for index in range(30):
            async for _ in chat.send(conversation, f"question {index}", [Target("fake1", "fake-model")]):
                pass

    asyncio.run(fill())
    path = f"/api/conversations/{conversation}/messages"
    newest = server.client.get(path, params={"limit": 25}).json()
    assert len(newest["messages"]) == 25 and newest["has_more"] is True
    assert newest["messages"][-1]["role"] == "assistant" and newest["messages"][0]["content"] == "ok"
    older = server.client.get(path, params={"limit": 25, "before": newest["messages"][0]["id"]}).json()
    assert len(older["messages"]) == 25 and older["has_more"] is True
    oldest = server.client.get(path, params={"limit": 25, "before": older["messages"][0]["id"]}).json()
    assert len(oldest["messages"]) == 10 and oldest["has_more"] is False
    ids = [m["id"] for m in oldest["messages"] + older["messages"] + newest["messages"]]
    assert ids == sorted(ids) and len(set(ids)) == 60
    assert oldest["messages"][0]["content"] == "question 0"
    assert server.client.get(path, params={"limit": 0}).status_code == 422
    assert server.client.get(path, params={"before": 99999}).status_code == 404


def test_conversations_list_search_rename_settings_delete(web_server, fake_upstream):
    up = fake_upstream("openai", text="Rayleigh scattering")
    server = web_server()
    conversation = setup(server, up)
    server.events(
        f"/api/conversations/{conversation}/messages", {"content": "Why is the sky blue?", "targets": [target()]}
    )
    listed = server.client.get("/api/conversations").json()
    assert listed[0]["id"] == conversation and listed[0]["title"] == "Why is the sky blue?"
    hits = server.client.get("/api/search", params={"q": "rayleigh"}).json()
    assert hits and hits[0]["conversation_id"] == conversation

    path = f"/api/conversations/{conversation}"
    changed = server.client.patch(path, json={"title": "Sky", "settings": {"temperature": 0.3}}).json()
    assert changed["title"] == "Sky" and changed["settings"]["temperature"] == 0.3
    reset = server.client.patch(path, json={"settings": {"temperature": None, "context_count": 4}}).json()
    assert reset["settings"]["temperature"] is None and reset["settings"]["context_count"] == 4
    bad = server.client.patch(path, json={"settings": {"temperature": 9}})
    assert bad.status_code == 422  # the documented range, checked before the store is asked
    assert bad.json()["error"]["message"] == "settings.temperature: Input should be less than or equal to 2"

    markdown = server.client.get(f"{path}/export")
    assert markdown.headers["content-type"].startswith("text/markdown") and "Rayleigh" in markdown.text
    assert server.client.get(f"{path}/export", params={"format": "json"}).json()["conversation"]["id"] == conversation
    assert server.client.delete(path).json() == {"removed": conversation}
    assert server.client.get(path).status_code == 404


@pytest.mark.parametrize("kind", ["openai-response", "gemini"])
def test_other_wire_formats_stream_too(web_server, fake_upstream, kind):
    up = fake_upstream(kind, text="Hello from the other side")
    server = web_server()
    conversation = setup(server, up)
    events = server.events(f"/api/conversations/{conversation}/messages", {"content": "Hi", "targets": [target()]})
    assert of(events, "done")[0]["message"]["content"] == "Hello from the other side"


def test_the_server_settles_answers_a_crash_left_streaming_when_it_starts(web_server):
    """Making the app writes nothing; its start-up does, before any request."""
    from datetime import datetime

    import sqlalchemy as sa

    from drupe.chat import ChatService
    from drupe.chat.tables import messages
    from drupe.store import open_store

    store = open_store()
    conversation = ChatService(store).create_conversation("Crashed")
    row = {"conversation_id": conversation.id, "reasoning": "", "created_at": datetime(2026, 1, 1)}
    with store.engine.begin() as conn:
        question = conn.execute(messages.insert().values(**row, role="user", content="Hi", status="complete"))
        answer = conn.execute(messages.insert().values(
            **row, parent_id=question.inserted_primary_key[0], role="assistant", content="part", status="streaming",
            owner="gone:1",
        )).inserted_primary_key[0]  # fmt: skip
    status = sa.select(messages.c.status).where(messages.c.id == answer)
    web_server(store=store)
    with store.engine.connect() as conn:
        assert conn.execute(status).scalar_one() == "stopped"


def test_a_huge_unfinished_paragraph_is_not_resent_many_times_a_second(web_server, fake_upstream):
    """A paragraph that never ends is re-rendered whole each time: its tail events are paced by
    their size, so what reaches the browser stays near the answer's own size."""
    text = " ".join(["word"] * 100_000)  # 500 KB, one paragraph
    up = fake_upstream("openai", text=text, chunks=400, delay=0.005)
    server = web_server()
    conversation = setup(server, up)
    events = server.events(f"/api/conversations/{conversation}/messages", {"content": "Hi", "targets": [target()]})
    sent = sum(len(e["html"]) for e in of(events, "tail"))
    assert events[-1]["type"] == "end" and "".join(e["text"] for e in of(events, "delta")) == text
    assert sent < 8 * len(text), sent
