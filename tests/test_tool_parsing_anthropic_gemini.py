"""Reading tool calls from Anthropic and Gemini answers: streamed fragments, parallel and whole
calls, missing ids, signatures, the stop reason, and the caps on calls and arguments."""

from __future__ import annotations

import json

import pytest

from drupe.errors import ProviderError
from drupe.protocols.base import Finish, TextDelta, ToolCall, Usage
from drupe.protocols.tool_arguments import MAX_ARGUMENT_CHARS
from drupe.protocols.tool_calls import MAX_TOOL_CALLS
from drupe.protocols.types import TYPES

anthropic, gemini = TYPES["anthropic"], TYPES["gemini"]


def feed(parser, events) -> list:
    out = []
    for name, data in events:
        out += parser.feed(name, json.dumps(data))
    return out + parser.close()


# Parsing Anthropic ----------------------------------------------------------------------


def tool_use_events(index: int, call_id: str, name: str, fragments: list[str], start_input=None) -> list:
    block = {"type": "tool_use", "id": call_id, "name": name, "input": start_input or {}}
    deltas = [{"type": "input_json_delta", "partial_json": f} for f in fragments]
    return [
        ("content_block_start", {"type": "content_block_start", "index": index, "content_block": block}),
        *[("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas],
        ("content_block_stop", {"type": "content_block_stop", "index": index}),
    ]


def test_anthropic_stream_text_then_parallel_calls_in_fragments():
    events = [
        ("message_start", {"type": "message_start", "message": {"usage": {"input_tokens": 5}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}),
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Ok"}},
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        *tool_use_events(1, "toolu_a", "get_weather", ["", '{"city"', ': "Par', 'is"}']),
        *tool_use_events(2, "toolu_b", "get_time", []),
        (
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}},
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    assert feed(anthropic.Parser(), events) == [
        TextDelta("Ok"),
        ToolCall("toolu_a", "get_weather", '{"city": "Paris"}'),
        ToolCall("toolu_b", "get_time", "{}"),
        Usage(5, 9),
        Finish("tool_calls"),
    ]


def test_anthropic_stream_a_start_input_without_deltas_and_invalid_fragments():
    events = [
        *tool_use_events(0, "toolu_a", "get_time", [], start_input={"zone": "UTC"}),
        *tool_use_events(1, "toolu_b", "get_weather", ['{"city": ', "Par"]),
    ]
    calls = [e for e in feed(anthropic.Parser(), events) if isinstance(e, ToolCall)]
    assert calls == [
        ToolCall("toolu_a", "get_time", '{"zone": "UTC"}'),
        ToolCall("toolu_b", "get_weather", '{"city": Par'),
    ]


def test_anthropic_stream_a_call_cut_before_its_stop_is_not_given():
    events = tool_use_events(0, "toolu_a", "get_time", ['{"a"'])[:-1]
    assert feed(anthropic.Parser(), events) == [Finish("cut_off")]


def test_anthropic_whole_answer_with_calls():
    data = {
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Zürich"}},
            {"type": "tool_use", "id": "toolu_b", "name": "get_time", "input": {}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }
    assert anthropic.parse_response(data) == [
        TextDelta("Checking."),
        ToolCall("toolu_a", "get_weather", '{"city": "Zürich"}'),
        ToolCall("toolu_b", "get_time", "{}"),
        Usage(3, 4),
        Finish("tool_calls"),
    ]


def test_anthropic_limits_on_calls_and_arguments():
    parser = anthropic.Parser()
    for i in range(MAX_TOOL_CALLS):
        feed_one(parser, tool_use_events(i, f"t{i}", "get_time", [])[0])
    with pytest.raises(ProviderError, match="128 tool calls") as caught:
        feed_one(parser, tool_use_events(MAX_TOOL_CALLS, "t", "get_time", [])[0])
    assert caught.value.kind == "bad_response"

    parser = anthropic.Parser()
    start, delta, _ = tool_use_events(0, "t", "get_weather", ["x" * (MAX_ARGUMENT_CHARS // 2)])
    feed_one(parser, start)
    feed_one(parser, delta)
    feed_one(parser, delta)
    with pytest.raises(ProviderError, match="tool-argument limit"):
        feed_one(
            parser, ("content_block_delta", {**delta[1], "delta": {"type": "input_json_delta", "partial_json": "x"}})
        )

    many = [{"type": "tool_use", "id": f"t{i}", "name": "n", "input": {}} for i in range(MAX_TOOL_CALLS + 1)]
    with pytest.raises(ProviderError, match="tool-call limit"):
        anthropic.parse_response({"content": many, "stop_reason": "tool_use"})


def feed_one(parser, event) -> list:
    return parser.feed(event[0], json.dumps(event[1]))


# Parsing Gemini -------------------------------------------------------------------------


def gemini_chunk(parts: list[dict], finish: str | None = None) -> tuple[str, dict]:
    candidate: dict = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return ("message", {"candidates": [candidate]})


def test_gemini_stream_parallel_whole_calls_without_ids():
    events = [
        gemini_chunk([{"text": "Checking."}]),
        gemini_chunk(
            [
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"},
                {"functionCall": {"name": "get_time"}},
            ]
        ),
        gemini_chunk([{"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}, "id": "g-7"}}]),
        gemini_chunk([{"text": ""}], "STOP"),
    ]
    assert feed(gemini.Parser(), events) == [
        TextDelta("Checking."),
        ToolCall("call_0", "get_weather", '{"city": "Paris"}', signature="c2ln"),
        ToolCall("call_1", "get_time", "{}"),
        ToolCall("g-7", "get_weather", '{"city": "Oslo"}'),
        Finish("tool_calls"),  # Gemini said STOP
    ]


@pytest.mark.parametrize(("reason", "finish"), [("STOP", "tool_calls"), ("MAX_TOKENS", "length"), (None, "cut_off")])
def test_gemini_stop_after_calls_is_tool_calls(reason, finish):
    events = [gemini_chunk([{"functionCall": {"name": "get_time", "args": {}}}], reason)]
    assert feed(gemini.Parser(), events)[-1] == Finish(finish)


def test_gemini_stop_without_calls_stays_stop():
    assert feed(gemini.Parser(), [gemini_chunk([{"text": "Hi"}], "STOP")])[-1] == Finish("stop")


def test_gemini_whole_answer_with_calls():
    data = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "s"},
                        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
                    ],
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2},
    }
    assert gemini.parse_response(data) == [
        ToolCall("call_0", "get_weather", '{"city": "Paris"}', signature="s"),
        ToolCall("call_1", "get_weather", '{"city": "Rome"}'),
        Usage(4, 2),
        Finish("tool_calls"),
    ]


def test_gemini_limits_on_calls_and_arguments():
    call = {"functionCall": {"name": "get_time", "args": {}}}
    with pytest.raises(ProviderError, match="tool-call limit"):
        feed(gemini.Parser(), [gemini_chunk([call] * (MAX_TOOL_CALLS + 1))])
    big = {"functionCall": {"name": "write", "args": {"text": "x" * MAX_ARGUMENT_CHARS}}}
    with pytest.raises(ProviderError, match=r"'write'.*tool-argument limit"):
        gemini.parse_response({"candidates": [{"content": {"parts": [big]}}]})
