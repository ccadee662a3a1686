"""Turns over HTTP: why each answer stopped, answers the store refused, text no database can take."""

from __future__ import annotations

import itertools
import json
import threading
import time

from drupe.store import open_store
from drupe.web.streaming import _utf8, sse
from tests.fakes.upstream import Fault
from tests.test_chat_persistence import hold_write_lock
from tests.test_web_chat import of, setup, target


def post_turn(server, conversation, content="Hi"):
    return server.events(f"/api/conversations/{conversation}/messages", {"content": content, "targets": [target()]})


def test_done_and_history_carry_the_stop_reason(web_server, fake_upstream):
    up = fake_upstream("openai", text="one two three four", fault=Fault("cut_off", after_chunks=2))
    server = web_server()
    conversation = setup(server, up)
    [done] = of(post_turn(server, conversation), "done")
    assert (done["message"]["status"], done["message"]["stop_reason"]) == ("stopped", "cut_off")
    assert done["message"]["content"] == "one two"

    up.fault = None
    [done] = of(post_turn(server, conversation, "again"), "done")
    assert (done["message"]["status"], done["message"]["stop_reason"]) == ("complete", "stop")
    stored = server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"]
    assert [m["stop_reason"] for m in stored] == [None, "cut_off", None, "stop"]


def test_the_size_cap_set_through_the_api_stops_an_endless_answer(web_server, fake_upstream):
    up = fake_upstream("openai", text="again and again ", fault=Fault("endless"))
    server = web_server()
    provider = server.client.post(
        "/api/providers",
        json={
            "name": "fake1",
            "type": "openai",
            "base_url": up.base_url,
            "options": {"limits": {"answer_chars": 2000}},
        },
    ).json()
    server.client.post(f"/api/providers/{provider['id']}/models", json={"model_id": "fake-model"})
    conversation = server.client.post("/api/conversations", json={}).json()["id"]
    events = post_turn(server, conversation)
    [done] = of(events, "done")
    assert (done["message"]["status"], done["message"]["stop_reason"]) == ("stopped", "size_limit")
    assert len(done["message"]["content"]) == 2000 == len("".join(e["text"] for e in of(events, "delta")))


def test_a_lone_surrogate_from_the_provider_reaches_the_page_replaced(web_server, fake_upstream):
    up = fake_upstream("openai", text="broken \udc80 byte, then more")
    server = web_server()
    conversation = setup(server, up)
    events = post_turn(server, conversation)
    assert "".join(e["text"] for e in of(events, "delta")) == "broken \ufffd byte, then more"
    [done] = of(events, "done")
    assert (done["message"]["status"], done["message"]["content"]) == ("complete", "broken \ufffd byte, then more")
    assert events[-1] == {"type": "end"}


def test_nul_in_the_message_is_removed_and_said(web_server, fake_upstream):
    up = fake_upstream("openai", text="ok")
    server = web_server()
    conversation = setup(server, up)
    [user] = of(post_turn(server, conversation, "a\x00b\x00c"), "user")
    assert (user["message"]["content"], user["message"]["cleaned"]) == ("abc", 2)
    assert up.requests[-1].json["messages"][-1]["content"] == "abc"


def test_an_answer_the_store_refuses_is_sent_with_its_text_and_the_reason(web_server, fake_upstream):
    up = fake_upstream("openai", text="Worth keeping")
    server = web_server()
    conversation = setup(server, up)
    with open_store().engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE UPDATE OF status ON messages WHEN new.status != 'streaming' "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    [done] = of(post_turn(server, conversation), "done")
    assert (done["message"]["status"], done["message"]["content"]) == ("complete", "Worth keeping")
    assert done["message"]["save_error"] == {"kind": "storage", "message": "database or disk is full"}

    with open_store().engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse")
    post_turn(server, conversation, "next")  # the server stores it with its next turn
    alternatives = server.client.get(f"/api/messages/{done['answer_id']}/alternatives").json()
    [answer] = [m for m in alternatives if m["id"] == done["answer_id"]]
    assert (answer["status"], answer["content"]) == ("complete", "Worth keeping")


def test_sse_chunks_encode_even_a_lone_surrogate():
    """Text from the chat service is already clean; anything else still reaches the page."""
    chunk = sse({"type": "error", "error": {"kind": "invalid", "message": "No conversation '\udc80'."}})
    assert _utf8(chunk) == chunk.replace("\udc80", "\ufffd").encode()


def test_a_locked_database_does_not_freeze_the_server(web_server, fake_upstream):
    """Another process holds SQLite's write lock for 3 s while three answers stream."""
    text = " ".join(f"w{i}" for i in range(120))
    ups = [fake_upstream("openai", text=text, delay=0.03) for _ in range(3)]
    server = web_server()
    conversation = setup(server, *ups)
    url = str(open_store().engine.url)
    body = {"content": "Go", "targets": [target(1), target(2), target(3)]}
    times: list[float] = []
    events: list[dict] = []
    holder = None
    with server.client.stream("POST", f"/api/conversations/{conversation}/messages", json=body) as response:
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            events.append(json.loads(line[6:]))
            if events[-1]["type"] == "delta":
                times.append(time.monotonic())
                if holder is None:
                    holder = hold_write_lock(url, 3.0, threading.Event())
                    locked_at = time.monotonic()
    holder.join()
    gaps = [b - a for a, b in itertools.pairwise(times) if locked_at <= a < locked_at + 3.0]
    assert len(gaps) > 20 and max(gaps) < 0.5, f"the server froze for {max(gaps):.2f} s while the database was locked"
    done = of(events, "done")
    assert [(d["message"]["status"], d["message"]["content"]) for d in done] == [("complete", text)] * 3
