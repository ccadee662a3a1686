"""Tools over HTTP on a real uvicorn server: a fake provider calls tools, the real `mcp-server-time`
answers over stdio, and the page's decisions (`POST /api/answers/{id}/tool-calls/{call_id}`)
reach the turn that waits for them while its events stream."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import httpx2

from drupe.tools.servers import McpServers
from tests.fakes.answer import FakeCall
from tests.test_web_chat import of, setup, target
from tests.test_web_render import assert_inert

TOKYO = FakeCall("time__get_current_time", '{"timezone": "Asia/Tokyo"}')
PARIS = FakeCall("time__get_current_time", '{"timezone": "Europe/Paris"}', id="call_paris")


def with_time_server(server, upstream, approval: str = "ask") -> str:
    """Provider fake1 on `upstream`, the real time server registered, and a conversation that turned it on."""
    conversation = setup(server, upstream)
    McpServers(server.app.state.store).add(
        "time", "stdio", command=sys.executable, args=["-m", "mcp_server_time", "--local-timezone", "UTC"],
        approval=approval,
    )  # fmt: skip
    turned_on = server.client.patch(f"/api/conversations/{conversation}", json={"settings": {"tools": ["time"]}})
    assert turned_on.json()["settings"]["tools"] == ["time"]
    return conversation


def decision_path(event: dict) -> str:
    return f"/api/answers/{event['answer_id']}/tool-calls/{event['call']['id']}"


def turn(server, conversation: str, *decisions: str, content: str = "What time is it?") -> list[dict]:
    """Send a message and read its events (see `stream`)."""
    body = {"content": content, "targets": [target()]}
    return stream(server, f"/api/conversations/{conversation}/messages", body, *decisions)


def stream(server, path: str, body: dict, *decisions: str) -> list[dict]:
    """POST a turn and read its events; each call that waits is answered with the next of
    `decisions`, posted from another client while the stream is open (as the page does)."""
    pending = list(decisions)
    events: list[dict] = []
    with server.client.stream("POST", path, json=body) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            events.append(event)
            if event["type"] == "tool_call" and event["call"]["status"] == "awaiting":
                decision = pending.pop(0)
                with httpx2.Client(base_url=server.url) as other:
                    decided = other.post(decision_path(event), json={"decision": decision})
                assert decided.status_code == 200, decided.text
                answer_id, call_id = event["answer_id"], event["call"]["id"]
                assert decided.json() == {"answer_id": answer_id, "call_id": call_id, "decision": decision}
    assert pending == [], "fewer calls waited than expected"
    return events


def calls(events: list[dict]) -> list[tuple[int, str, str]]:
    return [(e["step"], e["call"]["id"], e["call"]["status"]) for e in of(events, "tool_call")]


def stored_answer(server, conversation: str) -> dict:
    return server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"][-1]


def test_a_call_waits_for_run_then_its_result_and_the_final_text_are_stored(web_server, fake_upstream):
    up = fake_upstream(
        "openai", text="It is evening in Tokyo.\n\nGood night.", tool_calls=(TOKYO,),
        tool_text="Let me look.\n\nChecking Tokyo.",
    )  # fmt: skip
    server = web_server()
    conversation = with_time_server(server, up)

    events = turn(server, conversation, "run")

    assert calls(events) == [(0, "call_0", "awaiting"), (0, "call_0", "running"), (0, "call_0", "ok")]
    first = of(events, "tool_call")[0]
    assert first["call"] | {"result": ""} == {
        "id": "call_0", "name": "time__get_current_time", "arguments": '{"timezone": "Asia/Tokyo"}',
        "server": "time", "tool": "get_current_time", "status": "awaiting", "result": "", "signature": "",
        "duration_ms": None,
    }  # fmt: skip
    # The round's text was streamed (its last tail sent) before its calls; the text after them
    # starts its blocks again from 0.
    split = events.index(first)
    before, after = events[:split], events[split:]
    assert "".join(e["text"] for e in of(before, "delta")) == "Let me look.\n\nChecking Tokyo."
    assert of(before, "block")[0]["html"] == "<p>Let me look.</p>\n"
    assert of(before, "tail")[-1]["html"] == "<p>Checking Tokyo.</p>\n"
    assert "".join(e["text"] for e in of(after, "delta")) == "It is evening in Tokyo.\n\nGood night."
    assert [b["index"] for b in of(after, "block")] == [0]

    [done] = of(events, "done")
    message = done["message"]
    assert (message["status"], message["stop_reason"]) == ("complete", "stop")
    assert message["content"] == "It is evening in Tokyo.\n\nGood night."
    [step] = message["tool_steps"]
    assert step["text"] == "Let me look.\n\nChecking Tokyo."
    assert message["tool_steps_html"] == ["<p>Let me look.</p>\n<p>Checking Tokyo.</p>\n"]
    [call] = step["calls"]
    assert call["status"] == "ok" and "Asia/Tokyo" in call["result"] and call["duration_ms"] is not None
    assert "Asia/Tokyo" in json.dumps(up.requests[-1].json)  # the result went back to the model

    stored = stored_answer(server, conversation)
    assert stored["tool_steps"] == message["tool_steps"]  # and after a reload, the same
    assert stored["tool_steps_html"] == message["tool_steps_html"]
    again = server.client.post(decision_path(first), json={"decision": "run"})
    assert again.status_code == 404  # decided, and the answer is over


def test_one_call_run_and_one_denied_in_the_same_round(web_server, fake_upstream):
    up = fake_upstream("openai", text="Tokyo only.", tool_calls=(TOKYO, PARIS))
    server = web_server()
    conversation = with_time_server(server, up)

    events = turn(server, conversation, "run", "deny")

    waited = [call_id for _, call_id, status in calls(events) if status == "awaiting"]
    assert waited == ["call_0", "call_paris"]  # asked one at a time, in the order of the calls
    tokyo, paris = stored_answer(server, conversation)["tool_steps"][0]["calls"]
    assert (tokyo["status"], paris["status"]) == ("ok", "denied")
    assert "Asia/Tokyo" in tokyo["result"] and "not approve" in paris["result"]
    sent = [m for m in up.requests[-1].json["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in sent] == ["call_0", "call_paris"]
    assert "Europe/Paris" not in sent[1]["content"]  # it did not run


def test_regenerate_and_edit_ask_too_and_always_allow_is_kept_on_the_conversation(web_server, fake_upstream):
    up = fake_upstream("openai", text="Noted.", tool_calls=(TOKYO,))
    server = web_server()
    conversation = with_time_server(server, up)
    first = turn(server, conversation, "run")
    user_id, answer_id = of(first, "user")[0]["message"]["id"], of(first, "start")[0]["answer_id"]

    again = stream(server, f"/api/answers/{answer_id}/regenerate", {}, "always")

    assert [status for _, _, status in calls(again)] == ["awaiting", "running", "ok"]
    settings = server.client.get(f"/api/conversations/{conversation}").json()["settings"]
    assert settings["allowed_tools"] == ["time.get_current_time"]
    edited = stream(server, f"/api/messages/{user_id}/edit", {"content": "And now?", "targets": [target()]})
    assert [status for _, _, status in calls(edited)] == ["running", "ok"]  # no decision asked for


def test_deciding_a_call_nothing_waits_for_is_a_404(web_server):
    server = web_server()
    missing = server.client.post("/api/answers/7/tool-calls/call_0", json={"decision": "run"})
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["kind"] == "not_found" and "call_0" in error["message"] and "answer 7" in error["message"]
    assert error["data"] == {"what": "tool_call", "name": "call_0", "answer_id": 7}
    unknown = server.client.post("/api/answers/7/tool-calls/call_0", json={"decision": "maybe"})
    assert unknown.status_code == 422 and "decision" in unknown.json()["error"]["message"]
    odd_id = server.client.post("/api/answers/7/tool-calls/a/b%3Fc", json={"decision": "deny"})
    assert odd_id.status_code == 404 and odd_id.json()["error"]["data"]["name"] == "a/b?c"


def test_the_decision_route_is_documented(web_server):
    document = web_server().client.get("/api/openapi.json").json()
    operation = document["paths"]["/api/answers/{answer_id}/tool-calls/{call_id}"]["post"]
    assert {"200", "404", "422"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    assert schemas["DecisionIn"]["properties"]["decision"]["enum"] == ["run", "deny", "always"]
    assert set(schemas["StoredMessage"]["properties"]["tool_steps"]["items"].values()) == {
        "#/components/schemas/ToolStep"
    }


def test_leaving_the_page_while_a_call_waits_cancels_it(web_server, fake_upstream):
    up = fake_upstream("openai", text="never", tool_calls=(TOKYO,), tool_text="Checking.")
    server = web_server()
    conversation = with_time_server(server, up)
    body = {"content": "Time?", "targets": [target()]}
    with server.client.stream("POST", f"/api/conversations/{conversation}/messages", json=body) as response:
        for line in response.iter_lines():
            if '"status":"awaiting"' in line:
                waiting = json.loads(line[6:])
                break
    answer = wait_until_settled(server, conversation)

    assert (answer["status"], answer["stop_reason"]) == ("stopped", "cancelled")
    [call] = answer["tool_steps"][0]["calls"]
    assert call["status"] == "cancelled" and answer["tool_steps"][0]["text"] == "Checking."
    assert server.app.state.approvals.waiting() == []
    assert server.client.post(decision_path(waiting), json={"decision": "run"}).status_code == 404


def test_stop_while_a_call_waits_cancels_it(web_server, fake_upstream):
    up = fake_upstream("openai", text="never", tool_calls=(TOKYO,))
    server = web_server()
    conversation = with_time_server(server, up)
    events: list[dict] = []
    body = {"content": "Time?", "targets": [target()]}
    with server.client.stream("POST", f"/api/conversations/{conversation}/messages", json=body) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if events[-1]["type"] == "tool_call":
                    with httpx2.Client(base_url=server.url) as other:
                        other.post(f"/api/answers/{events[-1]['answer_id']}/stop")

    # The turn is cancelled: its `done` (sent for the answers it cut short) shows the call as stored.
    assert calls(events) == [(0, "call_0", "awaiting")]
    [done] = of(events, "done")
    assert (done["message"]["status"], done["message"]["stop_reason"]) == ("stopped", "cancelled")
    assert done["message"]["tool_steps"][0]["calls"][0]["status"] == "cancelled"
    assert server.app.state.approvals.waiting() == []


def wait_until_settled(server, conversation: str) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = stored_answer(server, conversation)
        if answer["status"] != "streaming":
            return answer
        time.sleep(0.05)
    raise AssertionError("the answer is still streaming")


XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ZONE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_tool_names_arguments_and_results_stay_text_and_round_text_is_sanitised(web_server, fake_upstream):
    """The API hands names, arguments and results over as they are (the page shows them with
    textContent); the one html it makes of a round, its text, is sanitised like an answer's."""
    hostile = (FakeCall(XSS_NAME, "{}"), FakeCall("time__get_current_time", json.dumps({"timezone": XSS_ZONE})))
    up = fake_upstream(
        "openai", text="Done.", tool_calls=hostile, tool_text="Look <script>alert(3)</script>\n\n" + XSS_NAME,
    )  # fmt: skip
    server = web_server()
    conversation = with_time_server(server, up, approval="always")

    events = turn(server, conversation)

    named, zoned = of(events, "done")[0]["message"]["tool_steps"][0]["calls"]
    assert (named["name"], named["status"]) == (XSS_NAME, "error") and XSS_NAME in named["result"]
    assert json.loads(zoned["arguments"]) == {"timezone": XSS_ZONE}
    assert zoned["status"] == "error" and XSS_ZONE in zoned["result"]
    message = stored_answer(server, conversation)
    htmls = [*message["tool_steps_html"], message["html"]]
    htmls += [e["html"] for e in of(events, "block") + of(events, "tail")]
    for html in htmls:
        assert_inert(html)
    assert "&lt;script&gt;" in message["tool_steps_html"][0]


def time_servers_started_here() -> list[int]:
    """Pids of this process's children running mcp-server-time."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        if int(parent) == os.getpid() and b"mcp_server_time" in command:
            found.append(int(entry.name))
    return found


def test_the_server_stops_the_mcp_servers_it_started_when_it_stops(web_server, fake_upstream):
    up = fake_upstream("openai", text="Noted.", tool_calls=(TOKYO,))
    server = web_server()
    conversation = with_time_server(server, up, approval="always")
    before = set(time_servers_started_here())
    turn(server, conversation)
    started = set(time_servers_started_here()) - before
    assert len(started) == 1  # kept running between calls

    server.stop()

    assert started.isdisjoint(time_servers_started_here())
