"""Tools in chat, end to end over real sockets: a fake provider of each type calls tools, the real
`mcp-server-time` answers over stdio, the user approves or denies, and everything is stored."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from drupe.chat import AnswerFinished, ChatService, Target
from drupe.chat.events import ToolCallUpdate
from drupe.store import open_store
from drupe.tools.servers import McpServers
from tests.fakes.answer import FakeCall
from tests.fakes.upstream import KINDS, Fault

TOKYO = FakeCall("time__get_current_time", '{"timezone": "Asia/Tokyo"}')
PARIS = FakeCall("time__get_current_time", '{"timezone": "Europe/Paris"}', id="call_paris")


def make_service(*upstreams, time_approval="ask"):
    svc = ChatService(open_store())
    for index, upstream in enumerate(upstreams, 1):
        svc.registry.add_provider(f"fake{index}", upstream.kind, base_url=upstream.base_url)
        svc.registry.add_model(f"fake{index}", "fake-model")
    McpServers(svc.store).add(
        "time", "stdio", command=sys.executable, args=["-m", "mcp_server_time", "--local-timezone", "UTC"],
        approval=time_approval,
    )  # fmt: skip
    return svc


class Answers:
    """An approver that answers from a list and remembers what it was asked."""

    def __init__(self, *decisions: str) -> None:
        self.decisions = list(decisions)
        self.asked: list[str] = []

    async def __call__(self, answer_id, call):
        assert call.status == "awaiting"
        self.asked.append(f"{call.title} {call.arguments}")
        return self.decisions.pop(0)


def run(svc, conversation_id, text, approver=None, provider="fake1"):
    async def collect():
        try:
            events = svc.send(conversation_id, text, [Target(provider, "fake-model")], approver=approver)
            return [event async for event in events]
        finally:
            await svc.aclose()

    return asyncio.run(asyncio.wait_for(collect(), 60))


def finished(events):
    [answer] = [e.answer for e in events if isinstance(e, AnswerFinished)]
    return answer


def updates(events):
    return [(e.step, e.call.status) for e in events if isinstance(e, ToolCallUpdate)]


def sent_results(request_json: dict) -> str:
    """The request body as text: where the tool results went back, whatever the format."""
    return json.dumps(request_json)


@pytest.mark.parametrize("kind", KINDS)
def test_an_approved_call_runs_and_the_model_answers_with_its_result(fake_upstream, kind):
    up = fake_upstream(kind, text="It is evening in Tokyo.", tool_calls=(TOKYO,), tool_text="Let me look.")
    svc = make_service(up)
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"])
    approver = Answers("run")

    events = run(svc, conv.id, "What time is it in Tokyo?", approver)

    answer = finished(events)
    assert approver.asked == ['time.get_current_time {"timezone": "Asia/Tokyo"}']
    assert updates(events) == [(0, "awaiting"), (0, "running"), (0, "ok")]
    assert (answer.status, answer.stop_reason, answer.content) == ("complete", "stop", "It is evening in Tokyo.")
    [step] = answer.tool_steps
    assert step.text == "Let me look."
    [call] = step.calls
    assert (call.server, call.tool, call.status) == ("time", "get_current_time", "ok")
    assert "Asia/Tokyo" in call.result and call.duration_ms is not None
    assert "Asia/Tokyo" in sent_results(up.requests[-1].json or {})  # the result went back to the model
    assert svc.get_message(answer.id).tool_steps == answer.tool_steps  # stored, read back the same


def test_without_an_approver_nothing_runs_and_the_model_is_told(fake_upstream):
    up = fake_upstream("openai", text="I could not check the time.", tool_calls=(TOKYO,))
    svc = make_service(up)
    conv = svc.update_settings(svc.create_conversation().id, tools=["all"])

    answer = finished(run(svc, conv.id, "Time in Tokyo?"))

    [call] = answer.tool_steps[0].calls
    assert call.status == "denied" and "approval" in call.result
    tool_message = up.requests[-1].json["messages"][-1]
    assert tool_message["role"] == "tool" and "did not run" in tool_message["content"]


def test_a_denied_call_and_an_approved_one_in_parallel_keep_the_order_of_the_calls(fake_upstream):
    up = fake_upstream("openai", text="Done.", tool_calls=(TOKYO, PARIS))
    svc = make_service(up)
    conv = svc.update_settings(svc.create_conversation().id, tools=["time.get_current_time"])

    answer = finished(run(svc, conv.id, "Tokyo and Paris?", Answers("deny", "run")))

    tokyo, paris = answer.tool_steps[0].calls
    assert (tokyo.status, paris.status) == ("denied", "ok")
    assert "Europe/Paris" in paris.result
    results = [m for m in up.requests[-1].json["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in results] == ["call_0", "call_paris"]


def test_always_allow_is_kept_on_the_conversation(fake_upstream):
    up = fake_upstream("anthropic", text="Noted.", tool_calls=(TOKYO,), tool_rounds=2)
    later = fake_upstream("openai", text="Again.", tool_calls=(TOKYO,), tool_rounds=3)  # one more round
    svc = make_service(up, later)
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"])
    approver = Answers("always")

    first = run(svc, conv.id, "Time?", approver)
    assert svc.get_conversation(conv.id).settings.allowed_tools == ("time.get_current_time",)
    second = run(svc, conv.id, "And now?", approver, provider="fake2")

    assert approver.asked == ['time.get_current_time {"timezone": "Asia/Tokyo"}']  # asked once only
    assert updates(first) == [(0, "awaiting"), (0, "running"), (0, "ok"), (1, "running"), (1, "ok")]
    assert updates(second) == [(0, "running"), (0, "ok")]


def test_a_server_set_to_always_runs_its_tools_without_asking(fake_upstream):
    up = fake_upstream("gemini", text="Fine.", tool_calls=(TOKYO,))
    svc = make_service(up, time_approval="always")
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"])

    answer = finished(run(svc, conv.id, "Time?", Answers()))

    assert answer.tool_steps[0].calls[0].status == "ok"


def test_bad_arguments_and_unknown_tools_go_back_to_the_model_as_errors(fake_upstream):
    bad = FakeCall("time__get_current_time", '{"timezone": ')
    unknown = FakeCall("time__launch_rockets", "{}")
    up = fake_upstream("openai", text="Sorry.", tool_calls=(bad, unknown))
    svc = make_service(up, time_approval="always")
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"])

    answer = finished(run(svc, conv.id, "Time?"))

    invalid, missing = answer.tool_steps[0].calls
    assert invalid.status == "error" and "JSON" in invalid.result
    assert missing.status == "error" and "time__get_current_time" in missing.result
    assert answer.status == "complete" and answer.content == "Sorry."


def test_a_looping_model_stops_at_the_step_cap(fake_upstream):
    up = fake_upstream("openai-response", text="never", tool_calls=(TOKYO,), tool_rounds=None)
    svc = make_service(up, time_approval="always")
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"], max_tool_steps=2)

    answer = finished(run(svc, conv.id, "Loop"))

    assert (answer.status, answer.stop_reason) == ("stopped", "step_limit")
    assert [call.status for step in answer.tool_steps for call in step.calls] == ["ok", "ok", "error"]
    assert "cap of 2" in answer.tool_steps[-1].calls[0].result
    assert len(up.requests) == 3


def test_the_next_turn_sends_the_calls_back_also_to_another_provider_type(fake_upstream):
    first = fake_upstream("anthropic", text="It is 9.", tool_calls=(TOKYO,))
    second = fake_upstream("openai", text="You asked about Tokyo.")
    svc = make_service(first, second, time_approval="always")
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"])
    run(svc, conv.id, "Time in Tokyo?")

    run(svc, conv.id, "What did I ask?", provider="fake2")

    sent = second.requests[-1].json["messages"]
    roles = [m["role"] for m in sent]
    assert roles == ["user", "assistant", "tool", "assistant", "user"]
    call = sent[1]["tool_calls"][0]
    assert call["function"]["name"] == "time__get_current_time"
    assert sent[2]["tool_call_id"] == call["id"] and "Asia/Tokyo" in sent[2]["content"]


def test_a_provider_refusing_tools_is_told_apart(fake_upstream):
    up = fake_upstream("openai", text="x", tool_calls=(TOKYO,), fault=Fault("no_tools"))
    svc = make_service(up)
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"])

    answer = finished(run(svc, conv.id, "Time?"))

    assert (answer.status, answer.error_kind) == ("error", "tools_refused")


def test_another_refusal_with_tools_on_keeps_its_own_kind(fake_upstream):
    up = fake_upstream("openai", text="x", tool_calls=(TOKYO,), fault=Fault("echo"))  # a 400 about headers
    svc = make_service(up)
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"])

    answer = finished(run(svc, conv.id, "Time?"))

    assert answer.status == "error" and answer.error_kind not in ("tools_refused", None)


def test_an_mcp_server_that_cannot_start_fails_the_answer_not_the_conversation(fake_upstream):
    up = fake_upstream("openai", text="x", tool_calls=(TOKYO,))
    svc = make_service(up)
    McpServers(svc.store).add("broken", "stdio", command="/nonexistent/mcp-server")
    conv = svc.update_settings(svc.create_conversation().id, tools=["broken"])

    events = run(svc, conv.id, "Time?")

    answer = finished(events)
    assert (answer.status, answer.error_kind) == ("error", "mcp")
    assert "broken" in answer.error
    assert [m.role for m in svc.history(conv.id)] == ["user", "assistant"]
    assert up.requests == []  # the provider was never called


def test_stopping_while_a_tool_waits_for_approval_keeps_the_call_as_cancelled(fake_upstream):
    up = fake_upstream("openai", text="x", tool_calls=(TOKYO,), tool_text="Checking.")
    svc = make_service(up)
    conv = svc.update_settings(svc.create_conversation().id, tools=["time"])
    asked = asyncio.Event()

    async def never(answer_id, call):
        asked.set()
        await asyncio.sleep(60)

    async def main():
        events = svc.send(conv.id, "Time?", [Target("fake1", "fake-model")], approver=never)
        task = asyncio.ensure_future(_drain(events))
        await asyncio.wait_for(asked.wait(), 30)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await svc.aclose()

    asyncio.run(main())

    [answer] = [m for m in svc.history(conv.id) if m.role == "assistant"]
    assert (answer.status, answer.stop_reason) == ("stopped", "cancelled")
    [call] = answer.tool_steps[0].calls
    assert call.status == "cancelled" and answer.tool_steps[0].text == "Checking."


async def _drain(events):
    async for _ in events:
        pass
