"""Tool calling on the wire for OpenAI Chat Completions (and Azure) and OpenAI Responses:
requests with tools, calls and results, and whole rounds over real sockets against the fakes.
Reading streamed and whole answers' calls: tests/test_tool_wire_openai_streams.py."""

from __future__ import annotations

import asyncio
import json

import pytest

from drupe.protocols.base import ChatRequest, Endpoint, Message, TextDelta, ToolCall, ToolResult, ToolSpec
from drupe.protocols.client import complete_chat, fold, stream_chat
from drupe.protocols.types import TYPES
from tests.fakes import openai_chat as fake_chat
from tests.fakes import openai_responses as fake_responses
from tests.fakes.answer import FakeCall

chat, responses, azure = (TYPES[t] for t in ("openai", "openai-response", "azure-openai"))

TIME = ToolSpec(
    "get_time",
    "The current time in a time zone.",
    {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]},
)
ADD = ToolSpec("add", "", {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}})
CALLS = (
    ToolCall("call_0", "get_time", '{"timezone": "Asia/Tokyo"}'),
    ToolCall("toolu_01A09q90qw90lq917835lq9", "add", '{"a": 1, "b": 2}'),  # made on Anthropic
)
HISTORY = (
    Message("system", "Be brief."),
    Message("user", "What time is it in Tokyo, and what is 1 + 2?"),
    Message("assistant", "Let me check.", tool_calls=CALLS),
    Message("tool", "", tool_result=ToolResult("call_0", "get_time", '{"datetime": "2025-01-01T12:00:00+09:00"}')),
    Message(
        "tool",
        "",
        tool_result=ToolResult("toolu_01A09q90qw90lq917835lq9", "add", "The call was not approved.", is_error=True),
    ),
)


def build(kind, request: ChatRequest) -> dict:
    wire = kind.build_chat(Endpoint(kind.id, "http://h:1", api_version="v1"), request, "sk-1", stream=True)
    assert wire.json is not None
    return wire.json


# Requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [chat, azure, responses], ids=lambda k: k.id)
@pytest.mark.parametrize("choice", [None, "auto", "required"])
def test_no_tools_means_no_tool_fields(kind, choice):
    body = build(kind, ChatRequest("m", (Message("user", "Hi"),), tool_choice=choice))
    assert "tools" not in body and "tool_choice" not in body


@pytest.mark.parametrize("kind", [chat, azure], ids=lambda k: k.id)
@pytest.mark.parametrize("choice", [None, "auto", "none", "required"])
def test_chat_tools_and_choice(kind, choice):
    body = build(kind, ChatRequest("m", (Message("user", "Hi"),), tools=(TIME, ADD), tool_choice=choice))
    assert body["tools"] == [
        {
            "type": "function",
            "function": {"name": "get_time", "description": TIME.description, "parameters": TIME.parameters},
        },
        {"type": "function", "function": {"name": "add", "parameters": ADD.parameters}},
    ]
    assert "strict" not in json.dumps(body["tools"])
    assert body.get("tool_choice") == choice
    assert ("tool_choice" in body) == (choice is not None)


def test_responses_tools_are_flat_and_not_strict():
    body = build(responses, ChatRequest("m", (Message("user", "Hi"),), tools=(TIME, ADD), tool_choice="none"))
    assert body["tools"] == [
        {
            "type": "function",
            "name": "get_time",
            "description": TIME.description,
            "parameters": TIME.parameters,
            "strict": False,
        },
        {"type": "function", "name": "add", "parameters": ADD.parameters, "strict": False},
    ]
    assert body["tool_choice"] == "none"


@pytest.mark.parametrize("kind", [chat, azure], ids=lambda k: k.id)
def test_chat_history_with_calls_and_results(kind):
    """Ids made by another provider type pass through; a refused call's text is its content."""
    body = build(kind, ChatRequest("m", HISTORY, tools=(TIME, ADD)))
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What time is it in Tokyo, and what is 1 + 2?"},
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": '{"timezone": "Asia/Tokyo"}'},
                },
                {
                    "id": "toolu_01A09q90qw90lq917835lq9",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": '{"datetime": "2025-01-01T12:00:00+09:00"}'},
        {"role": "tool", "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "content": "The call was not approved."},
    ]


def test_chat_calls_without_text_have_null_content_and_invalid_arguments_go_back_as_written():
    calls = (ToolCall("c1", "get_time", '{"timezone": "Asia/To'),)
    body = build(chat, ChatRequest("m", (Message("user", "Hi"), Message("assistant", "", tool_calls=calls))))
    assert body["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_time", "arguments": '{"timezone": "Asia/To'}}
        ],
    }


def test_responses_history_as_input_items():
    body = build(responses, ChatRequest("m", HISTORY, tools=(TIME,)))
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "What time is it in Tokyo, and what is 1 + 2?"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Let me check."}]},
        {
            "type": "function_call",
            "call_id": "call_0",
            "name": "get_time",
            "arguments": '{"timezone": "Asia/Tokyo"}',
        },
        {
            "type": "function_call",
            "call_id": "toolu_01A09q90qw90lq917835lq9",
            "name": "add",
            "arguments": '{"a": 1, "b": 2}',
        },
        {"type": "function_call_output", "call_id": "call_0", "output": '{"datetime": "2025-01-01T12:00:00+09:00"}'},
        {
            "type": "function_call_output",
            "call_id": "toolu_01A09q90qw90lq917835lq9",
            "output": "The call was not approved.",
        },
    ]


def test_responses_calls_without_text_have_no_message_item():
    calls = (ToolCall("c1", "add", "{}"),)
    body = build(responses, ChatRequest("m", (Message("user", "Hi"), Message("assistant", "", tool_calls=calls))))
    assert body["input"][1:] == [{"type": "function_call", "call_id": "c1", "name": "add", "arguments": "{}"}]


# The fakes' rounds of results ----------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "rounds"),
    [
        ([], 0),
        (["user"], 0),
        (["user", "assistant", "tool", "tool"], 1),
        (["assistant", "tool", "assistant", "tool"], 2),
    ],
)
def test_fakes_count_rounds_of_results(roles, rounds):
    assert fake_chat.tool_rounds({"messages": [{"role": r} for r in roles]}) == rounds
    kinds = {"user": "message", "assistant": "function_call", "tool": "function_call_output"}
    assert fake_responses.tool_rounds({"input": [{"type": kinds[r]} for r in roles]}) == rounds


# End to end, over real sockets -----------------------------------------------------------

KINDS = ("openai", "azure-openai", "openai-response")
FAKE_CALLS = (
    FakeCall("get_time", '{"timezone": "Asia/Tokyo"}', chunks=4),
    FakeCall("add", '{"a": 1, "b": 2}', chunks=2, id="toolu_01A09q90qw90lq917835lq9"),
    FakeCall("get_time", '{"timezone": "Europe/Par', chunks=3),  # invalid JSON, as the model wrote it
)
EXPECTED = (
    ToolCall("call_0", "get_time", '{"timezone": "Asia/Tokyo"}'),
    ToolCall("toolu_01A09q90qw90lq917835lq9", "add", '{"a": 1, "b": 2}'),
    ToolCall("call_2", "get_time", '{"timezone": "Europe/Par'),
)
ASK = ChatRequest("m", (Message("user", "Time in Tokyo, and 1 + 2?"),), tools=(TIME, ADD))


def endpoint(up) -> Endpoint:
    return Endpoint(type=up.kind, base_url=up.base_url, api_keys=("sk-test",), timeout=5.0)


def streamed(ep: Endpoint, request: ChatRequest) -> list:
    async def collect():
        return [event async for event in stream_chat(ep, request)]

    return asyncio.run(collect())


def answered(request: ChatRequest, calls: tuple[ToolCall, ...]) -> ChatRequest:
    results = tuple(
        Message("tool", "", tool_result=ToolResult(call.id, call.name, f"result {i}", is_error=i == 2))
        for i, call in enumerate(calls)
    )
    history = (*request.messages, Message("assistant", "Let me check.", tool_calls=calls), *results)
    return ChatRequest(request.model, history, tools=request.tools)


@pytest.mark.parametrize("kind", KINDS)
def test_streamed_round_trip(fake_upstream, kind):
    up = fake_upstream(kind, text="It is noon; 3.", tool_calls=FAKE_CALLS, tool_text="Let me check.")
    events = streamed(endpoint(up), ASK)
    result = fold(events)
    assert [e for e in events if isinstance(e, ToolCall)] == list(EXPECTED)
    assert (result.text, result.tool_calls, result.finish_reason) == ("Let me check.", EXPECTED, "tool_calls")
    last_call = max(i for i, e in enumerate(events) if isinstance(e, ToolCall))
    assert not any(isinstance(e, TextDelta) for e in events[last_call:])  # the text came first

    follow_up = answered(ASK, result.tool_calls)
    result = fold(streamed(endpoint(up), follow_up))
    assert (result.text, result.tool_calls, result.finish_reason) == ("It is noon; 3.", (), "stop")
    sent = up.requests[-1].json
    ids = [m["tool_call_id"] for m in sent.get("messages", []) if m.get("role") == "tool"] or [
        i["call_id"] for i in sent["input"] if i.get("type") == "function_call_output"
    ]
    assert ids == [call.id for call in EXPECTED]


@pytest.mark.parametrize("kind", KINDS)
def test_whole_round_trip(fake_upstream, kind):
    up = fake_upstream(kind, text="It is noon; 3.", tool_calls=FAKE_CALLS, tool_text="Let me check.")
    result = asyncio.run(complete_chat(endpoint(up), ASK))
    assert (result.text, result.tool_calls, result.finish_reason) == ("Let me check.", EXPECTED, "tool_calls")
    assert up.requests[-1].json["stream"] is False
    result = asyncio.run(complete_chat(endpoint(up), answered(ASK, result.tool_calls)))
    assert (result.text, result.tool_calls, result.finish_reason) == ("It is noon; 3.", (), "stop")


@pytest.mark.parametrize("kind", KINDS)
def test_calls_without_text_and_a_model_that_loops(fake_upstream, kind):
    up = fake_upstream(kind, tool_calls=(FakeCall("add", "{}"),), tool_rounds=None)
    request = ASK
    for _ in range(3):
        result = fold(streamed(endpoint(up), request))
        assert (result.text, [c.name for c in result.tool_calls], result.finish_reason) == ("", ["add"], "tool_calls")
        request = answered(request, result.tool_calls)


@pytest.mark.parametrize("kind", KINDS)
def test_a_request_without_tools_gets_the_text(fake_upstream, kind):
    up = fake_upstream(kind, text="Hello there", tool_calls=FAKE_CALLS)
    result = fold(streamed(endpoint(up), ChatRequest("m", ASK.messages)))
    assert (result.text, result.tool_calls, result.finish_reason) == ("Hello there", (), "stop")
    assert "tools" not in up.requests[-1].json
