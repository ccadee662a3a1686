"""Tool calling on the Anthropic and Gemini wires: requests (tools, tool_choice, history with
calls and results, ids from other providers, invalid arguments), and both end to end against the
fakes over real sockets. The Gemini schema subset is tested in test_gemini_schema.py, the
parsing of calls in test_tool_parsing_anthropic_gemini.py."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from drupe.protocols import client
from drupe.protocols.base import (
    ChatRequest,
    Endpoint,
    Finish,
    Message,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)
from drupe.protocols.client import RetryPolicy, complete_chat, fold, stream_chat
from drupe.protocols.tool_arguments import arguments_object
from drupe.protocols.types import TYPES
from tests.fakes import anthropic as fake_anthropic
from tests.fakes import gemini as fake_gemini
from tests.fakes.answer import FakeCall

anthropic, gemini = TYPES["anthropic"], TYPES["gemini"]

WEATHER = ToolSpec(
    "get_weather",
    "The weather in a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CLOCK = ToolSpec("get_time")  # no description, no parameters
ASK = (Message("system", "Be brief."), Message("user", "Weather in Paris and the time?"))


def request(*messages: Message, tools=(WEATHER, CLOCK), choice=None) -> ChatRequest:
    return ChatRequest(model="m", messages=ASK + messages, tools=tools, tool_choice=choice)


def body(protocol, chat: ChatRequest) -> dict:
    return protocol.build_chat(Endpoint(protocol.id), chat, None, stream=True).json


def feed(parser, events) -> list:
    out = []
    for name, data in events:
        out += parser.feed(name, json.dumps(data))
    return out + parser.close()


def history(*calls: ToolCall, text: str = "Let me look.", results=None) -> tuple[Message, ...]:
    """An assistant turn making `calls`, then one result message per call (or `results`)."""
    results = results or [ToolResult(c.id, c.name, f"result of {c.name}") for c in calls]
    return (Message("assistant", text, tool_calls=calls), *(Message("tool", "", tool_result=r) for r in results))


# Arguments as an object ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ('{"city": "Paris"}', {"city": "Paris"}),
        ("", {}),
        ("  ", {}),
        ("null", {}),
        ('{"city": "Par', {"INVALID_JSON": '{"city": "Par'}),
        ("[1, 2]", {"INVALID_JSON": "[1, 2]"}),
        ('"Paris"', {"INVALID_JSON": '"Paris"'}),
        ("42", {"INVALID_JSON": "42"}),
    ],
)
def test_arguments_that_are_not_an_object_are_sent_wrapped(text, sent):
    assert arguments_object(text) == sent
    call = ToolCall("call_1", "get_weather", text)
    anthropic_blocks = body(anthropic, request(*history(call)))["messages"][1]["content"]
    assert anthropic_blocks[-1]["input"] == sent
    gemini_parts = body(gemini, request(*history(call)))["contents"][1]["parts"]
    assert gemini_parts[-1]["functionCall"]["args"] == sent


# Anthropic requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "sent"),
    [(None, None), ("auto", {"type": "auto"}), ("required", {"type": "any"}), ("none", {"type": "none"})],
)
def test_anthropic_tools_and_tool_choice(choice, sent):
    sent_body = body(anthropic, request(choice=choice))
    assert sent_body["tools"] == [
        {"name": "get_weather", "description": "The weather in a city.", "input_schema": WEATHER.parameters},
        {"name": "get_time", "input_schema": {"type": "object", "properties": {}}},
    ]
    assert sent_body.get("tool_choice") == sent


@pytest.mark.parametrize("protocol", [anthropic, gemini], ids=["anthropic", "gemini"])
def test_no_tools_no_tool_fields(protocol):
    sent_body = body(protocol, request(tools=(), choice="required"))
    assert not {"tools", "tool_choice", "toolConfig"} & set(sent_body)


def test_anthropic_history_with_parallel_calls_and_results():
    calls = (ToolCall("toolu_01", "get_weather", '{"city": "Paris"}'), ToolCall("toolu_02", "get_time", ""))
    results = [
        ToolResult("toolu_01", "get_weather", "Sunny, 21 °C"),
        ToolResult("toolu_02", "get_time", "Tool get_time failed: timeout", is_error=True),
    ]
    messages = body(anthropic, request(*history(*calls, results=results), Message("user", "And tomorrow?")))["messages"]
    assert messages[1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_02", "name": "get_time", "input": {}},
            ],
        },
        {
            "role": "user",  # one user message: both results first, then the user's next words
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01", "content": "Sunny, 21 °C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_02",
                    "content": "Tool get_time failed: timeout",
                    "is_error": True,
                },
                {"type": "text", "text": "And tomorrow?"},
            ],
        },
    ]


def test_anthropic_calls_without_text_and_an_empty_result():
    call = ToolCall("toolu_01", "get_time", "{}")
    messages = body(anthropic, request(*history(call, text="", results=[ToolResult("toolu_01", "get_time", "")])))
    assert messages["messages"][1:] == [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_time", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01"}]},
    ]


def test_anthropic_two_rounds_stay_two_user_messages():
    first, second = ToolCall("a", "get_time", "{}"), ToolCall("b", "get_time", "{}")
    messages = body(anthropic, request(*history(first), *history(second)))["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert [m["content"][0]["tool_use_id"] for m in messages[2::2]] == ["a", "b"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("toolu_01A09q90qw90lq917835lq9", True),  # Anthropic's own
        ("call_abc123", True),  # OpenAI chat
        ("fc_67ab", True),  # OpenAI Responses
        ("call_0", True),  # generated for a Gemini call without id
        ("functions.get_weather:0", False),  # some OpenAI-compatible servers
        ("call abc/1", False),
        ("", False),
        ("x" * 65, False),
        ("é", False),
    ],
)
def test_anthropic_ids_are_made_valid_the_same_on_call_and_result(given, kept):
    call = ToolCall(given, "get_time", "{}")
    messages = body(anthropic, request(*history(call)))["messages"]
    sent_call, sent_result = messages[1]["content"][-1]["id"], messages[2]["content"][0]["tool_use_id"]
    assert sent_call == sent_result
    assert re.fullmatch(r"[a-zA-Z0-9_-]+", sent_call) and len(sent_call) <= 64
    assert (sent_call == given) is kept


def test_anthropic_ids_differing_only_in_invalid_characters_stay_apart():
    assert anthropic_id("call:1") != anthropic_id("call.1") != anthropic_id("call_1")


def anthropic_id(given: str) -> str:
    from drupe.protocols.anthropic import tool_id

    return tool_id(given)


def test_anthropic_history_without_tools_offered_is_text():
    """Anthropic refuses tool_use blocks in a request that defines no tools."""
    call = ToolCall("toolu_01", "get_weather", '{"city": "Paris"}')
    messages = body(anthropic, request(*history(call), Message("user", "Thanks"), tools=()))["messages"]
    assert messages[1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "text", "text": '[Called tool get_weather with arguments {"city": "Paris"}]'},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "[Tool get_weather returned: result of get_weather]"},
                {"type": "text", "text": "Thanks"},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("messages", "choice", "thinking"),
    [
        ((), None, True),
        ((), "required", False),  # Anthropic takes only auto or none with thinking
        (history(ToolCall("t1", "get_time", "{}")), "auto", False),  # the round's thinking block is not kept
        (
            (
                *history(ToolCall("t1", "get_time", "{}")),
                Message("assistant", "It is noon."),
                Message("user", "Thanks"),
            ),
            None,
            True,
        ),
    ],
)
def test_anthropic_thinking_is_left_off_where_it_would_be_refused(messages, choice, thinking):
    chat = ChatRequest(model="m", messages=ASK + messages, tools=(CLOCK,), tool_choice=choice, reasoning_effort="high")
    assert ("thinking" in body(anthropic, chat)) is thinking


# Gemini requests ----------------------------------------------------------------------


@pytest.mark.parametrize(("choice", "mode"), [(None, None), ("auto", "AUTO"), ("required", "ANY"), ("none", "NONE")])
def test_gemini_tools_and_tool_choice(choice, mode):
    sent_body = body(gemini, request(choice=choice))
    assert sent_body["tools"] == [
        {
            "functionDeclarations": [
                {"name": "get_weather", "description": "The weather in a city.", "parameters": WEATHER.parameters},
                {"name": "get_time"},  # no properties: no parameters (Gemini rejects an empty object)
            ]
        }
    ]
    config = sent_body.get("toolConfig")
    assert config == ({"functionCallingConfig": {"mode": mode}} if mode else None)


def test_gemini_declarations_are_converted_to_the_subset():
    spec = ToolSpec("t", parameters={"$schema": "x", "type": "object", "additionalProperties": False, **CITY})
    declaration = body(gemini, request(tools=(spec,)))["tools"][0]["functionDeclarations"][0]
    assert declaration == {"name": "t", "parameters": {"type": "object", **CITY}}


CITY = {"properties": {"city": {"type": "string"}}, "required": ["city"]}


def test_gemini_history_with_parallel_calls_signatures_and_results():
    calls = (
        ToolCall("call_0", "get_weather", '{"city": "Paris"}', signature="c2ln"),
        ToolCall("call_1", "get_time", ""),
    )
    results = [
        ToolResult("call_0", "get_weather", "Sunny"),
        ToolResult("call_1", "get_time", "timeout", is_error=True),
    ]
    contents = body(gemini, request(*history(*calls, results=results), Message("user", "Thanks")))["contents"]
    assert contents[1:] == [
        {
            "role": "model",
            "parts": [
                {"text": "Let me look."},
                {
                    "functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_0"},
                    "thoughtSignature": "c2ln",
                },
                {"functionCall": {"name": "get_time", "args": {}, "id": "call_1"}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"result": "Sunny"}, "id": "call_0"}},
                {"functionResponse": {"name": "get_time", "response": {"error": "timeout"}, "id": "call_1"}},
            ],
        },
        {"role": "user", "parts": [{"text": "Thanks"}]},
    ]


def test_gemini_calls_made_elsewhere_get_the_documented_placeholder_signature():
    calls = (ToolCall("toolu_1", "get_time", "{}"), ToolCall("", "get_time", "{}"))
    contents = body(gemini, request(*history(*calls, text="")))["contents"]
    assert contents[1]["parts"] == [
        {
            "functionCall": {"name": "get_time", "args": {}, "id": "toolu_1"},
            "thoughtSignature": "skip_thought_signature_validator",
        },
        {"functionCall": {"name": "get_time", "args": {}}},  # no id: none sent
    ]
    assert contents[2]["parts"][1] == {
        "functionResponse": {"name": "get_time", "response": {"result": "result of get_time"}}
    }


# The fakes ---------------------------------------------------------------------------------


def test_fakes_count_rounds_of_results():
    call = ToolCall("call_0", "get_time", "{}")
    one, two = request(*history(call)), request(*history(call), *history(call))
    assert [fake_anthropic.tool_rounds(body(anthropic, r)) for r in (request(), one, two)] == [0, 1, 2]
    assert [fake_gemini.tool_rounds(body(gemini, r)) for r in (request(), one, two)] == [0, 1, 2]


# End to end over real sockets ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(client, "RETRY", RetryPolicy(max_retries=0, base_delay=0.01))


CALLS = (FakeCall("get_weather", '{"city": "Paris", "unit": "C"}', chunks=4), FakeCall("get_time", "", id="call_t"))


def endpoint(up) -> Endpoint:
    return Endpoint(type=up.kind, base_url=up.base_url, timeout=5.0)


def streamed(ep: Endpoint, chat: ChatRequest) -> list:
    async def collect():
        return [event async for event in stream_chat(ep, chat)]

    return asyncio.run(collect())


def answered_results(calls: tuple[ToolCall, ...]) -> tuple[Message, ...]:
    return history(*calls, text="Looking it up.", results=[ToolResult(c.id, c.name, f"{c.name}: done") for c in calls])


@pytest.mark.parametrize("kind", ["anthropic", "gemini"])
@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "whole"])
def test_a_round_of_parallel_calls_then_text(fake_upstream, kind, streaming):
    up = fake_upstream(kind, text="It is sunny.", tool_calls=CALLS, tool_text="Looking it up.")
    ep = endpoint(up)

    def ask(chat: ChatRequest):
        return fold(streamed(ep, chat)) if streaming else asyncio.run(complete_chat(ep, chat))

    first = ask(request())
    assert (first.text, first.finish_reason) == ("Looking it up.", "tool_calls")
    assert [(c.name, json.loads(c.arguments)) for c in first.tool_calls] == [
        ("get_weather", {"city": "Paris", "unit": "C"}),
        ("get_time", {}),
    ]
    ids = [c.id for c in first.tool_calls]
    assert ids == ["call_0", "call_t"]  # the fake's own for the first, the one it was given for the second
    if kind == "gemini":
        assert [c.signature for c in first.tool_calls] == [fake_gemini.SIGNATURE, ""]

    second = ask(request(*answered_results(first.tool_calls)))
    assert (second.text, second.finish_reason, second.tool_calls) == ("It is sunny.", "stop", ())
    sent = up.requests[-1].json
    if kind == "anthropic":
        results = sent["messages"][-1]["content"]
        assert [(b["tool_use_id"], b["content"]) for b in results] == [
            ("call_0", "get_weather: done"),
            ("call_t", "get_time: done"),
        ]
    else:
        parts = sent["contents"][-1]["parts"]
        assert [p["functionResponse"]["response"] for p in parts] == [
            {"result": "get_weather: done"},
            {"result": "get_time: done"},
        ]
        assert sent["contents"][-2]["parts"][1]["thoughtSignature"] == fake_gemini.SIGNATURE


@pytest.mark.parametrize("kind", ["anthropic", "gemini"])
def test_streamed_call_events_come_whole_before_the_finish(fake_upstream, kind):
    up = fake_upstream(kind, tool_calls=CALLS[:1], tool_rounds=None)
    events = [e for e in streamed(endpoint(up), request()) if not isinstance(e, Usage)]
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["ToolCall", "Finish", "Metrics"]
    assert events[0].arguments.replace(" ", "") == '{"city":"Paris","unit":"C"}'
    assert events[1] == Finish("tool_calls")


def test_anthropic_streams_invalid_arguments_as_written(fake_upstream):
    up = fake_upstream("anthropic", tool_calls=(FakeCall("get_weather", '{"city": Par', chunks=3),))
    result = fold(streamed(endpoint(up), request()))
    assert [c.arguments for c in result.tool_calls] == ['{"city": Par']
    # sent back on the next request wrapped, as Anthropic's docs suggest
    fold(streamed(endpoint(up), request(*answered_results(result.tool_calls))))
    assert up.requests[-1].json["messages"][-2]["content"][-1]["input"] == {"INVALID_JSON": '{"city": Par'}


def test_gemini_invalid_arguments_are_a_malformed_call(fake_upstream):
    """Gemini forms the arguments itself: it answers MALFORMED_FUNCTION_CALL, with no call."""
    up = fake_upstream("gemini", tool_calls=(FakeCall("get_weather", '{"city": Par'),))
    for result in (fold(streamed(endpoint(up), request())), asyncio.run(complete_chat(endpoint(up), request()))):
        assert (result.tool_calls, result.finish_reason) == ((), "tool_calls")


@pytest.mark.parametrize("kind", ["anthropic", "gemini"])
def test_without_tools_offered_the_fake_answers_text(fake_upstream, kind):
    up = fake_upstream(kind, text="Plain.", tool_calls=CALLS)
    result = fold(streamed(endpoint(up), request(tools=())))
    assert (result.text, result.tool_calls, result.finish_reason) == ("Plain.", (), "stop")
