"""Over HTTP: how many earlier messages an answer left out to fit the context window, and
continuing an answer cut at the token limit (`POST /api/answers/{id}/continue`)."""

from __future__ import annotations

from tests.fakes.answer import split_chunks
from tests.fakes.upstream import Fault
from tests.test_web_chat import of, setup, target


def post_turn(server, conversation, content="Hi"):
    return server.events(f"/api/conversations/{conversation}/messages", {"content": content, "targets": [target()]})


def messages_of(server, conversation):
    return server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"]


def test_done_and_history_say_how_many_messages_were_left_out(web_server, fake_upstream):
    up = fake_upstream("openai", text="y" * 384)  # 100 tokens by drupe's estimate
    server = web_server()
    conversation = setup(server, up)
    [done] = of(post_turn(server, conversation, "x" * 384), "done")
    assert done["message"]["left_out"] is None  # the window is unknown: nothing measured
    providers = server.client.get("/api/providers").json()
    provider_id = next(p["id"] for p in (providers["providers"] if isinstance(providers, dict) else providers))
    edited = server.client.patch(f"/api/providers/{provider_id}/models/fake-model", json={"context_window": 250})
    assert edited.status_code == 200, edited.text
    [done] = of(post_turn(server, conversation, "z" * 384), "done")
    assert done["message"]["left_out"] == 2
    assert [m["content"][0] for m in up.requests[-1].json["messages"]] == ["z"]
    assert [m["left_out"] for m in messages_of(server, conversation)] == [None, None, None, 2]


def test_continue_streams_into_the_same_answer(web_server, fake_upstream):
    up = fake_upstream("anthropic", text="First part, ", chunks=2, fault=Fault("length", times=1, after_chunks=1))
    server = web_server()
    conversation = setup(server, up)
    [done] = of(post_turn(server, conversation), "done")
    cut = done["message"]
    assert (cut["content"], cut["stop_reason"]) == ("First ", "length")

    up.text_chunks = split_chunks("part, and **the rest**.", None)
    events = server.events(f"/api/answers/{cut['id']}/continue")
    assert events[0]["type"] == "start" and not of(events, "user")
    assert {e["answer_id"] for e in events if "answer_id" in e} == {cut["id"]}
    assert "".join(e["text"] for e in of(events, "delta")) == "part, and **the rest**."
    [done] = of(events, "done")
    message = done["message"]
    assert (message["id"], message["status"], message["stop_reason"]) == (cut["id"], "complete", "stop")
    assert message["content"] == "First part, and **the rest**."
    assert "<strong>the rest</strong>" in message["html"] and message["html"].startswith("<p>First part")
    assert message["usage"]["output_tokens"] == cut["usage"]["output_tokens"] + 4
    assert up.requests[-1].json["messages"][-1] == {"role": "assistant", "content": "First"}
    assert [m["id"] for m in messages_of(server, conversation)] == [cut["parent_id"], cut["id"]]


def test_continued_text_reaches_the_page_sanitised(web_server, fake_upstream):
    up = fake_upstream("openai", text="Safe ", fault=Fault("length", times=1))
    server = web_server()
    conversation = setup(server, up)
    [done] = of(post_turn(server, conversation), "done")
    up.text_chunks = split_chunks('then <img src=x onerror="alert(1)"><script>alert(2)</script> end', None)
    events = server.events(f"/api/answers/{done['message']['id']}/continue")
    shown = [e["html"] for e in of(events, "block") + of(events, "tail")] + [of(events, "done")[0]["message"]["html"]]
    for html in shown:
        assert "<img" not in html and "<script" not in html  # shown as text, never run
    assert "&lt;script&gt;" in shown[-1] and shown[-1].endswith("end</p>\n")


def test_only_an_answer_cut_at_the_token_limit_can_be_continued(web_server, fake_upstream):
    up = fake_upstream("openai", text="Whole")
    server = web_server()
    conversation = setup(server, up)
    [done] = of(post_turn(server, conversation), "done")
    response = server.client.post(f"/api/answers/{done['message']['id']}/continue")
    assert response.status_code == 400
    assert "token limit" in response.json()["error"]["message"]
    assert server.client.post("/api/answers/999999/continue").status_code == 404
    assert len(up.requests) == 1
