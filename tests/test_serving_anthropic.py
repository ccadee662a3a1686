"""Serving the Anthropic Messages API (drupe.protocols.serving.anthropic): requests read into a
ChatRequest, refusals naming the field, and answers written as events, bodies and errors —
checked against drupe's own Anthropic parser, which reads what Anthropic's API sends."""

from __future__ import annotations

import json

import pytest

from drupe.errors import DrupeError, ProviderError
from drupe.protocols.anthropic import Anthropic, Parser
from drupe.protocols.base import (
    ChatResult,
    Finish,
    ImagePart,
    Message,
    Metrics,
    ReasoningDelta,
    TextDelta,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)
from drupe.protocols.contract import ServedModel
from drupe.protocols.serving import served_api
from drupe.protocols.serving.base import ServedError

api = served_api("anthropic")

WEATHER = {"name": "get_weather", "description": "Weather in a city.", "input_schema": {"type": "object"}}
USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}


def read(**body):
    return api.read_request({"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}], **body})


def test_a_whole_conversation_is_read_into_drupes_messages():
    request = api.read_request({
        "model": "claude", "max_tokens": 256,
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
            ]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Weather?", "signature": "sig"},
                {"type": "text", "text": "Checking."}, USE,
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "Sunny"}]},
                {"type": "text", "text": "And tomorrow?"},
            ]},
            {"role": "assistant", "content": [USE | {"id": "toolu_2"}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_2", "is_error": True}]},
        ],
        "tools": [WEATHER], "tool_choice": {"type": "any"}, "temperature": 0.2, "top_p": 0.5,
        "stop_sequences": ["END"], "thinking": {"type": "enabled", "budget_tokens": 5000}, "stream": True,
    })  # fmt: skip
    chat = request.chat
    assert chat.messages == (
        Message("system", "Be brief."),
        Message("user", (
            TextPart("What is this?"),
            ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
            ImagePart(url="https://example.com/cat.png"),
        )),
        Message("assistant", "Checking.", tool_calls=(ToolCall("toolu_1", "get_weather", '{"city": "Oslo"}'),)),
        Message("tool", "", tool_result=ToolResult("toolu_1", "get_weather", "Sunny")),
        Message("user", (TextPart("And tomorrow?"),)),
        Message("assistant", "", tool_calls=(ToolCall("toolu_2", "get_weather", '{"city": "Oslo"}'),)),
        Message("tool", "", tool_result=ToolResult("toolu_2", "get_weather", "", is_error=True)),
    )  # fmt: skip
    assert chat.tools == (ToolSpec("get_weather", "Weather in a city.", {"type": "object"}),)
    assert (chat.tool_choice, chat.temperature, chat.top_p, chat.max_tokens) == ("required", 0.2, 0.5, 256)
    assert (chat.stop, chat.reasoning_effort, request.stream, request.include_usage) == (("END",), "medium", True, True)


@pytest.mark.parametrize(
    ("thinking", "effort"),
    [({"type": "enabled", "budget_tokens": 1024}, "low"), ({"type": "enabled", "budget_tokens": 4096}, "medium"),
     ({"type": "enabled", "budget_tokens": 32000}, "high"), ({"type": "disabled"}, None), (None, None)],
)  # fmt: skip
def test_a_thinking_budget_becomes_an_effort(thinking, effort):
    assert read(thinking=thinking).chat.reasoning_effort == effort


def test_tool_choice_naming_a_tool_offers_only_that_one():
    request = read(tools=[WEATHER, {"name": "other"}], tool_choice={"type": "tool", "name": "other"})
    assert [t.name for t in request.chat.tools] == ["other"] and request.chat.tool_choice == "required"
    assert read(tools=[WEATHER], tool_choice={"type": "none"}).chat.tool_choice == "none"


def test_other_fields_pass_through_only_to_an_anthropic_provider():
    request = read(top_k=5, metadata={"user_id": "u"})
    assert request.for_target("anthropic", "claude", api.native_types).extra_body == {
        "top_k": 5,
        "metadata": {"user_id": "u"},
    }
    assert request.for_target("openai", "gpt", api.native_types).extra_body == {}


REFUSED = [
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
    ({"messages": [{"role": "user", "content": []}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]}, "messages[0].content[0].type"),
    (
        {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}]},
        "messages[0].content[0].source.type",
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png"}}],
                }
            ]
        },
        "messages[0].content[0].source.data",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "x"}]}]},
        "messages[0].content[0].tool_use_id",
    ),
    (
        {
            "messages": [
                {"role": "assistant", "content": [USE]},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "image", "source": {}}]}
                    ],
                },
            ]
        },
        "messages[1].content[0].content[0].type",
    ),
    (
        {
            "messages": [
                {"role": "assistant", "content": [{"type": "server_tool_use", "id": "s", "name": "web_search"}]}
            ]
        },
        "messages[0].content[0].type",
    ),
    ({"messages": [{"role": "assistant", "content": [USE | {"input": "text"}]}]}, "messages[0].content[0].input"),
    ({"system": [{"type": "image"}]}, "system[0].type"),
    ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools[0].type"),
    ({"tools": [{"name": "a b"}]}, "tools[0].name"),
    ({"tools": [{"name": "t", "input_schema": []}]}, "tools[0].input_schema"),
    ({"tools": [WEATHER], "tool_choice": {"type": "tool", "name": "nope"}}, "tool_choice.name"),
    ({"tools": [WEATHER], "tool_choice": {"type": "sometimes"}}, "tool_choice.type"),
    ({"thinking": {"type": "enabled"}}, "thinking.budget_tokens"),
    ({"thinking": {"type": "maybe"}}, "thinking.type"),
    ({"temperature": 1.5}, "temperature"),
    ({"max_tokens": -1}, "max_tokens"),
    ({"stop_sequences": "END"}, "stop_sequences"),
    ({"mcp_servers": [{"type": "url", "url": "https://x"}]}, "mcp_servers"),
]


@pytest.mark.parametrize(("change", "field"), REFUSED, ids=[field for _, field in REFUSED])
def test_what_cannot_be_read_or_translated_is_refused_naming_the_field(change, field):
    with pytest.raises(DrupeError) as caught:
        read(**change)
    assert caught.value.code == "invalid" and caught.value.data["field"] == field


# Writing ----------------------------------------------------------------------------

EVENTS = [
    ReasoningDelta("Hmm"),
    ReasoningDelta(", sun."),
    TextDelta("Hello "),
    TextDelta("wörld"),
    ToolCall("toolu_a", "get_weather", '{"city": "Oslo"}'),
    ToolCall("toolu_b", "get_weather", "not json"),
    Usage(12, 5),
    Finish("tool_calls"),
    Metrics(10.0, 50.0),
]


def sse(raw: bytes) -> list[tuple[str, dict]]:
    assert raw.endswith(b"\n\n")
    frames = []
    for frame in raw.decode().split("\n\n"):
        if frame:
            event, data = frame.split("\n")
            frames.append((event.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return frames


def stream_bytes(events) -> bytes:
    writer = api.stream_writer("route-x", read(stream=True))
    return writer.start() + b"".join(writer.write(event) for event in events) + writer.end()


def test_a_stream_reads_back_as_the_same_events_through_drupes_anthropic_parser():
    parser = Parser()
    events = [event for name, data in sse(stream_bytes(EVENTS)) for event in parser.feed(name, json.dumps(data))]
    events += parser.close()
    not_json = ToolCall("toolu_b", "get_weather", '{"INVALID_JSON": "not json"}')  # an object, as Anthropic needs
    assert events == [*EVENTS[:5], not_json, Usage(12, 5), Finish("tool_calls")]


def test_a_stream_has_anthropics_event_names_and_block_indexes():
    frames = sse(stream_bytes(EVENTS))
    assert [name for name, _ in frames] == [
        "message_start",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop",
    ]  # fmt: skip
    assert all(data["type"] == name for name, data in frames)
    starts = [data for name, data in frames if name == "content_block_start"]
    assert [(s["index"], s["content_block"]["type"]) for s in starts] == [
        (0, "thinking"), (1, "text"), (2, "tool_use"), (3, "tool_use"),
    ]  # fmt: skip
    assert frames[0][1]["message"]["model"] == "route-x"
    assert frames[-2][1] == {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 5, "input_tokens": 12},
    }


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"), ("content_filter", "refusal"),
     ("cut_off", "max_tokens")],
)  # fmt: skip
def test_stop_reasons_in_anthropics_words(reason, expected):
    frames = sse(stream_bytes([TextDelta("x"), Finish(reason)]))
    assert frames[-2][1]["delta"]["stop_reason"] == expected
    assert api.whole_body("m", ChatResult(text="x", finish_reason=reason))["stop_reason"] == expected


def test_an_error_mid_stream_is_an_error_event_after_the_partial_answer():
    writer = api.stream_writer("m", read(stream=True))
    raw = writer.start() + writer.write(TextDelta("Hel")) + writer.error(ServedError("upstream", "The provider broke."))
    frames = sse(raw)
    assert frames[-1] == ("error", {"type": "error", "error": {"type": "api_error", "message": "The provider broke."}})
    parser = Parser()
    with pytest.raises(ProviderError, match="The provider broke"):
        for name, data in frames:
            parser.feed(name, json.dumps(data))


def test_a_whole_answer_is_one_message():
    result = ChatResult(
        text="Sunny.", reasoning="Think.", input_tokens=3, output_tokens=4, finish_reason="tool_calls",
        tool_calls=(ToolCall("toolu_a", "get_weather", '{"city": "Oslo"}'),),
    )  # fmt: skip
    body = api.whole_body("m", result)
    assert body["type"] == "message" and body["role"] == "assistant" and body["id"].startswith("msg_")
    assert body["content"] == [
        {"type": "thinking", "thinking": "Think.", "signature": ""},
        {"type": "text", "text": "Sunny."},
        {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Oslo"}},
    ]
    assert Anthropic().parse_response(body) == [
        ReasoningDelta("Think."), TextDelta("Sunny."), ToolCall("toolu_a", "get_weather", '{"city": "Oslo"}'),
        Usage(3, 4), Finish("tool_calls"),
    ]  # fmt: skip


def test_errors_and_the_model_list_in_anthropics_shapes():
    assert api.error_body(ServedError("authentication", "No key.")) == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "No key."},
    }
    assert api.error_body(ServedError("too_large", "Big."))["error"]["type"] == "request_too_large"
    body = api.models_body([ServedModel("A/claude", "A", "Claude"), ServedModel("fast", "route")])
    assert [(m["id"], m["display_name"], m["type"]) for m in body["data"]] == [
        ("A/claude", "Claude", "model"),
        ("fast", "fast", "model"),
    ]
    assert (body["has_more"], body["first_id"], body["last_id"]) == (False, "A/claude", "fast")
