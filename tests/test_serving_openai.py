"""Serving OpenAI Chat Completions (drupe.protocols.serving.openai_chat): requests read into a
ChatRequest, refusals naming the field, and answers written as chunks, bodies and errors —
checked against drupe's own OpenAI parser, which reads what OpenAI's API sends."""

from __future__ import annotations

import json

import pytest

from drupe.errors import DrupeError
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
from drupe.protocols.openai_chat import OpenAIChat, Parser
from drupe.protocols.serving import served_api
from drupe.protocols.serving.base import ServedError

api = served_api("openai")

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}


def read(**body):
    return api.read_request({"model": "m", "messages": [{"role": "user", "content": "Hi"}], **body})


def test_a_whole_conversation_is_read_into_drupes_messages():
    request = api.read_request({
        "model": "openai/gpt-4o",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "system", "content": [{"type": "text", "text": "Answer in English."}]},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQSkZJRg==", "detail": "low"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            ]},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "Sunny"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Sunny."}]},
        ],
        "tools": [WEATHER], "tool_choice": "auto", "temperature": 0.5, "top_p": 0.9, "max_tokens": 100,
        "stop": "END", "reasoning_effort": "low", "stream": True, "stream_options": {"include_usage": True},
    })  # fmt: skip
    chat = request.chat
    assert chat.messages == (
        Message("system", "Be brief."),
        Message("system", "Answer in English."),
        Message("user", (
            TextPart("What is this?"),
            ImagePart(data="/9j/4AAQSkZJRg==", media_type="image/jpeg"),
            ImagePart(url="https://example.com/cat.png"),
        )),
        Message("assistant", "", tool_calls=(ToolCall("call_1", "get_weather", '{"city": "Oslo"}'),)),
        Message("tool", "", tool_result=ToolResult("call_1", "get_weather", "Sunny")),
        Message("assistant", "Sunny."),
    )  # fmt: skip
    assert chat.model == "openai/gpt-4o" and chat.tools[0].name == "get_weather"
    assert chat.tools[0].parameters == WEATHER["function"]["parameters"]
    assert (chat.temperature, chat.top_p, chat.max_tokens, chat.stop) == (0.5, 0.9, 100, ("END",))
    assert (chat.reasoning_effort, chat.tool_choice, request.stream, request.include_usage) == (
        "low",
        "auto",
        True,
        True,
    )
    assert request.passthrough == {}


def test_max_completion_tokens_wins_and_usage_is_off_unless_asked():
    request = read(max_tokens=10, max_completion_tokens=20, stream=True)
    assert request.chat.max_tokens == 20 and not request.include_usage


def test_a_named_function_is_required_with_only_that_tool_offered():
    other = {"type": "function", "function": {"name": "other"}}
    request = read(tools=[WEATHER, other], tool_choice={"type": "function", "function": {"name": "other"}})
    assert request.chat.tools == (ToolSpec("other"),) and request.chat.tool_choice == "required"
    allowed = {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [WEATHER]}}
    request = read(tools=[WEATHER, other], tool_choice=allowed)
    assert [t.name for t in request.chat.tools] == ["get_weather"] and request.chat.tool_choice == "auto"


def test_fields_drupe_does_not_read_pass_through_only_to_a_provider_speaking_openai():
    request = read(seed=7, user="me", response_format={"type": "json_object"})
    assert request.passthrough == {"seed": 7, "user": "me", "response_format": {"type": "json_object"}}
    assert request.for_target("openai", "gpt-4o", api.native_types).extra_body == request.passthrough
    assert request.for_target("azure-openai", "d", api.native_types).model == "d"
    with pytest.raises(DrupeError) as caught:
        request.for_target("anthropic", "claude", api.native_types)
    assert caught.value.data["field"] == "response_format"
    plain = read(seed=7)
    assert plain.for_target("gemini", "g", api.native_types).extra_body == {}


REFUSED = [
    ({"messages": []}, "messages"),
    ({"messages": "hi"}, "messages"),
    ({"model": ""}, "model"),
    ({"model": 3}, "model"),
    ({"messages": [{"role": "user"}]}, "messages[0].content"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "messages[0].role"),
    (
        {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
        "messages[0].content[0].type",
    ),
    ({"messages": [{"role": "user", "content": ["x"]}]}, "messages[0].content[0]"),
    (
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}]},
        "messages[0].content[0].image_url.url",
    ),
    (
        {
            "messages": [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}]}
            ]
        },
        "messages[0].content[0].image_url.url",
    ),
    (
        {"messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "nope", "content": "r"}]},
        "messages[1].tool_call_id",
    ),
    (
        {"messages": [{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f"}}]}]},
        "messages[0].tool_calls[0].id",
    ),
    ({"messages": [{"role": "system", "content": [{"type": "image_url"}]}]}, "messages[0].content[0].type"),
    ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools[0].type"),
    ({"tools": [{"type": "function", "function": {"name": "has space"}}]}, "tools[0].function.name"),
    ({"tools": [WEATHER], "tool_choice": "sometimes"}, "tool_choice"),
    ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
    ({"temperature": 3}, "temperature"),
    ({"temperature": "hot"}, "temperature"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"max_completion_tokens": 1.5}, "max_completion_tokens"),
    ({"stop": [1]}, "stop[0]"),
    ({"stream": "yes"}, "stream"),
    ({"n": 2}, "n"),
    ({"logprobs": True}, "logprobs"),
    ({"modalities": ["text", "audio"]}, "modalities"),
    ({"functions": [{"name": "f"}]}, "functions"),
    ({"response_format": "json"}, "response_format"),
]


@pytest.mark.parametrize(("change", "field"), REFUSED, ids=[field for _, field in REFUSED])
def test_what_cannot_be_read_or_translated_is_refused_naming_the_field(change, field):
    with pytest.raises(DrupeError) as caught:
        read(**change)
    assert caught.value.code == "invalid" and caught.value.data["field"] == field
    assert str(caught.value).startswith(f"{field}: ")


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(DrupeError) as caught:
        api.read_request(["model"])
    assert caught.value.data["field"] == "body"


# Writing ----------------------------------------------------------------------------

EVENTS = [
    ReasoningDelta("Hmm. "),
    TextDelta("Hello "),
    TextDelta("wörld"),
    ToolCall("call_a", "get_weather", '{"city": "Oslo"}'),
    ToolCall("call_b", "get_weather", "not json"),
    Usage(12, 5),
    Finish("tool_calls"),
    Metrics(10.0, 50.0),
]


def stream_bytes(events, include_usage=True) -> bytes:
    request = read(stream=True, stream_options={"include_usage": include_usage})
    writer = api.stream_writer("route-x", request)
    return writer.start() + b"".join(writer.write(event) for event in events) + writer.end()


def data_lines(raw: bytes) -> list[str]:
    assert raw.endswith(b"\n\n")
    return [line.removeprefix("data: ") for line in raw.decode().split("\n\n") if line]


def test_a_stream_reads_back_as_the_same_events_through_drupes_openai_parser():
    parser = Parser()
    events = [event for data in data_lines(stream_bytes(EVENTS)) for event in parser.feed("", data)]
    events += parser.close()
    assert events == [*EVENTS[:5], Usage(12, 5), Finish("tool_calls")]


def test_a_stream_is_chunks_of_one_id_then_usage_then_done():
    lines = data_lines(stream_bytes(EVENTS))
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    assert {c["id"] for c in chunks} == {chunks[0]["id"]} and chunks[0]["id"].startswith("chatcmpl-")
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "route-x" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    deltas = [c["choices"][0]["delta"] for c in chunks[:-1]]
    calls = [delta["tool_calls"][0] for delta in deltas if "tool_calls" in delta]
    assert [(c["index"], c["id"], c["function"]["arguments"]) for c in calls] == [
        (0, "call_a", '{"city": "Oslo"}'),
        (1, "call_b", "not json"),
    ]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 5,
        "total_tokens": 17,
    }


def test_without_include_usage_no_usage_chunk_is_sent():
    lines = data_lines(stream_bytes(EVENTS, include_usage=False))
    assert lines[-1] == "[DONE]" and all("usage" not in json.loads(line) for line in lines[:-1])


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("stop", "stop"), ("length", "length"), ("tool_calls", "tool_calls"), ("content_filter", "content_filter"),
     ("cut_off", "length")],
)  # fmt: skip
def test_stop_reasons_in_openais_words(reason, expected):
    lines = data_lines(stream_bytes([TextDelta("x"), Finish(reason)]))
    assert json.loads(lines[-3])["choices"][0]["finish_reason"] == expected
    body = api.whole_body("m", ChatResult(text="x", finish_reason=reason))
    assert body["choices"][0]["finish_reason"] == expected


def test_an_error_mid_stream_is_an_error_chunk_and_no_done():
    writer = api.stream_writer("m", read(stream=True))
    raw = writer.start() + writer.write(TextDelta("Hel")) + writer.error(ServedError("upstream", "The provider broke."))
    lines = data_lines(raw)
    assert json.loads(lines[-1]) == {
        "error": {"message": "The provider broke.", "type": "upstream_error", "param": None, "code": "upstream"}
    }
    assert "[DONE]" not in lines


def test_a_whole_answer_is_one_chat_completion():
    result = ChatResult(
        text="", reasoning="Thinking.", input_tokens=3, output_tokens=4, finish_reason="tool_calls",
        tool_calls=(ToolCall("call_a", "get_weather", "{}"),),
    )  # fmt: skip
    body = api.whole_body("m", result)
    assert body["object"] == "chat.completion" and body["model"] == "m"
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": None,
        "reasoning_content": "Thinking.",
        "tool_calls": [{"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
    }
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    assert OpenAIChat().parse_response(body) == [
        ReasoningDelta("Thinking."), ToolCall("call_a", "get_weather", "{}"), Usage(3, 4), Finish("tool_calls"),
    ]  # fmt: skip


def test_errors_and_the_model_list_in_openais_shapes():
    error = ServedError("invalid_request", "messages[0].role: no", param="messages[0].role")
    assert api.error_body(error) == {
        "error": {"message": "messages[0].role: no", "type": "invalid_request_error", "param": "messages[0].role",
                  "code": "invalid_request"},
    }  # fmt: skip
    models = api.models_body([ServedModel("OpenAI/gpt-4o", "OpenAI"), ServedModel("fast", "route")])
    assert models == {
        "object": "list",
        "data": [
            {"id": "OpenAI/gpt-4o", "object": "model", "created": 0, "owned_by": "OpenAI"},
            {"id": "fast", "object": "model", "created": 0, "owned_by": "route"},
        ],
    }
