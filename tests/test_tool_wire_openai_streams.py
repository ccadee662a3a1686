"""Tool calls read from OpenAI Chat Completions (and Azure) and OpenAI Responses answers:
streamed fragments however servers cut them, whole answers, and the flood caps."""

from __future__ import annotations

import json

import pytest

from drupe.errors import ProviderError
from drupe.protocols.base import Finish, TextDelta, ToolCall, Usage
from drupe.protocols.tool_calls import MAX_TOOL_CALL_CHARS, MAX_TOOL_CALLS, CallAssembler
from drupe.protocols.types import TYPES

chat, responses = TYPES["openai"], TYPES["openai-response"]


def feed(parser, events) -> list:
    """Run (event, data) pairs through a parser, then close it."""
    out = []
    for name, data in events:
        out += parser.feed(name, data if isinstance(data, str) else json.dumps(data))
    return out + parser.close()


# Chat Completions streams ------------------------------------------------------------


def chunk(delta: dict | None = None, finish: str | None = None) -> dict:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}]}


def calls_delta(*entries: dict) -> dict:
    return chunk({"tool_calls": list(entries)})


def head(index: int, id: str, name: str, **extra) -> dict:
    return {"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}, **extra}


def piece(index: int, arguments: str, **extra) -> dict:
    return {"index": index, "function": {"arguments": arguments}, **extra}


DONE = ("", "[DONE]")

CHAT_STREAMS = {
    "fragmented arguments": (
        [
            ("", calls_delta(head(0, "call_a", "get_time"))),
            ("", calls_delta(piece(0, '{"time'))),
            ("", calls_delta(piece(0, 'zone": "Asia/'))),
            ("", calls_delta(piece(0, 'Tokyo"}'))),
            ("", chunk(finish="tool_calls")),
            DONE,
        ],
        [ToolCall("call_a", "get_time", '{"timezone": "Asia/Tokyo"}')],
        "tool_calls",
    ),
    "two parallel calls interleaved by index, given in index order": (
        [
            ("", calls_delta(head(1, "call_b", "add"))),
            ("", calls_delta(head(0, "call_a", "get_time"))),
            ("", calls_delta(piece(1, '{"a": 1,'), piece(0, '{"timezone":'))),
            ("", calls_delta(piece(0, ' "UTC"}'))),
            ("", calls_delta(piece(1, ' "b": 2}'))),
            ("", chunk(finish="tool_calls")),
            DONE,
        ],
        [ToolCall("call_a", "get_time", '{"timezone": "UTC"}'), ToolCall("call_b", "add", '{"a": 1, "b": 2}')],
        "tool_calls",
    ),
    "whole calls in one chunk, with the finish": (
        [
            (
                "",
                {
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [
                                    {
                                        **head(0, "call_a", "get_time"),
                                        "function": {"name": "get_time", "arguments": "{}"},
                                    },
                                    {**head(1, "call_b", "add"), "function": {"name": "add", "arguments": '{"a": 1}'}},
                                ]
                            },
                            "finish_reason": "tool_calls",
                        }
                    ]
                },
            ),
            DONE,
        ],
        [ToolCall("call_a", "get_time", "{}"), ToolCall("call_b", "add", '{"a": 1}')],
        "tool_calls",
    ),
    "id, type and name repeated in every piece (older vLLM, llama.cpp)": (
        [
            ("", calls_delta(head(0, "call_a", "add"))),
            ("", calls_delta({**head(0, "call_a", "add"), "function": {"name": "add", "arguments": '{"a"'}})),
            ("", calls_delta({**head(0, "call_a", "add"), "function": {"name": "add", "arguments": ": 1}"}})),
            ("", chunk(finish="tool_calls")),
            DONE,
        ],
        [ToolCall("call_a", "add", '{"a": 1}')],
        "tool_calls",
    ),
    "every call at index 0, told apart by id (Ollama), and said to stop": (
        [
            ("", calls_delta({**head(0, "call_a", "get_time"), "function": {"name": "get_time", "arguments": "{}"}})),
            ("", calls_delta({**head(0, "call_b", "add"), "function": {"name": "add", "arguments": '{"a": 1}'}})),
            ("", chunk(finish="stop")),
            DONE,
        ],
        [ToolCall("call_a", "get_time", "{}"), ToolCall("call_b", "add", '{"a": 1}')],
        "tool_calls",
    ),
    "no index: the entry's place in the list": (
        [
            ("", calls_delta({"id": "call_a", "function": {"name": "get_time", "arguments": "{}"}})),
            ("", chunk(finish="tool_calls")),
            DONE,
        ],
        [ToolCall("call_a", "get_time", "{}")],
        "tool_calls",
    ),
    "invalid JSON arguments kept verbatim": (
        [
            ("", calls_delta(head(0, "call_a", "get_time"))),
            ("", calls_delta(piece(0, '{"timezone": "Asia/'))),
            ("", calls_delta(piece(0, "To"))),
            ("", chunk(finish="tool_calls")),
            DONE,
        ],
        [ToolCall("call_a", "get_time", '{"timezone": "Asia/To')],
        "tool_calls",
    ),
    "arguments sent as an object are written as JSON": (
        [
            ("", calls_delta({**head(0, "call_a", "add"), "function": {"name": "add", "arguments": {"a": 1}}})),
            ("", chunk(finish="tool_calls")),
            DONE,
        ],
        [ToolCall("call_a", "add", '{"a": 1}')],
        "tool_calls",
    ),
    "no finish reason but [DONE]: the calls at close()": (
        [("", calls_delta(head(0, "call_a", "add"))), ("", calls_delta(piece(0, "{}"))), DONE],
        [ToolCall("call_a", "add", "{}")],
        "tool_calls",
    ),
    "cut off mid-call: the calls at close(), and the answer cut_off": (
        [("", calls_delta(head(0, "call_a", "add"))), ("", calls_delta(piece(0, '{"a": ')))],
        [ToolCall("call_a", "add", '{"a": ')],
        "cut_off",
    ),
    "cut by the token limit: the calls as they came, the answer length": (
        [
            ("", calls_delta(head(0, "call_a", "add"))),
            ("", calls_delta(piece(0, '{"a": '))),
            ("", chunk(None, "length")),
        ],
        [ToolCall("call_a", "add", '{"a": ')],
        "length",
    ),
}


@pytest.mark.parametrize("case", CHAT_STREAMS, ids=str)
def test_chat_stream_tool_calls(case):
    events, calls, reason = CHAT_STREAMS[case]
    out = feed(chat.Parser(), events)
    assert [e for e in out if isinstance(e, ToolCall)] == calls
    assert out[-1] == Finish(reason)


def test_chat_stream_text_then_calls_given_at_the_finish_chunk():
    parser = chat.Parser()
    assert parser.feed("", json.dumps(chunk({"role": "assistant", "content": "Let me check."}))) == [
        TextDelta("Let me check.")
    ]
    assert parser.feed("", json.dumps(calls_delta(head(0, "call_a", "add")))) == []
    assert parser.feed("", json.dumps(calls_delta(piece(0, "{}")))) == []
    assert parser.feed("", json.dumps(chunk(finish="tool_calls"))) == [ToolCall("call_a", "add", "{}")]
    usage = {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3}}
    assert parser.feed("", json.dumps(usage)) == []
    assert parser.feed("", "[DONE]") == []
    assert parser.close() == [Usage(5, 3), Finish("tool_calls")]  # no call given twice


def test_a_call_without_an_id_gets_one():
    out = feed(chat.Parser(), [("", calls_delta({"index": 0, "function": {"name": "add", "arguments": "{}"}})), DONE])
    (call,) = [e for e in out if isinstance(e, ToolCall)]
    assert call.id.startswith("call_") and len(call.id) > 10 and call.name == "add"


def test_chat_whole_answer_with_calls():
    data = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "call_a", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
                        {"id": "call_b", "type": "function", "function": {"name": "add", "arguments": '{"a": 1'}},
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4},
    }
    assert chat.parse_response(data) == [
        ToolCall("call_a", "get_time", "{}"),
        ToolCall("call_b", "add", '{"a": 1'),
        Usage(9, 4),
        Finish("tool_calls"),
    ]


# Responses streams -------------------------------------------------------------------


def item(output_index: int, call_id: str, name: str, arguments: str, status: str) -> dict:
    return {
        "output_index": output_index,
        "item": {
            "id": f"fc_{output_index}",
            "type": "function_call",
            "status": status,
            "arguments": arguments,
            "call_id": call_id,
            "name": name,
        },
    }


def ev(kind: str, **fields) -> tuple[str, dict]:
    return kind, {"type": kind, **fields}


def added(i: int, call_id: str, name: str) -> tuple[str, dict]:
    return ev("response.output_item.added", **item(i, call_id, name, "", "in_progress"))


def delta(i: int, text: str) -> tuple[str, dict]:
    return ev("response.function_call_arguments.delta", item_id=f"fc_{i}", output_index=i, delta=text)


def args_done(i: int, text: str) -> tuple[str, dict]:
    return ev("response.function_call_arguments.done", item_id=f"fc_{i}", output_index=i, arguments=text)


def item_done(i: int, call_id: str, name: str, arguments: str) -> tuple[str, dict]:
    return ev("response.output_item.done", **item(i, call_id, name, arguments, "completed"))


def completed(*output: dict, status: str = "completed") -> tuple[str, dict]:
    response = {"status": status, "output": list(output), "usage": {"input_tokens": 7, "output_tokens": 3}}
    return ev("response.completed", response=response)


def whole(i: int, call_id: str, name: str, arguments: str) -> dict:
    return item(i, call_id, name, arguments, "completed")["item"]


RESPONSES_STREAMS = {
    "fragmented arguments, given at output_item.done": (
        [
            added(0, "call_a", "get_time"),
            delta(0, '{"timezone":'),
            delta(0, ' "UTC"}'),
            args_done(0, '{"timezone": "UTC"}'),
            item_done(0, "call_a", "get_time", '{"timezone": "UTC"}'),
            completed(whole(0, "call_a", "get_time", '{"timezone": "UTC"}')),
        ],
        [ToolCall("call_a", "get_time", '{"timezone": "UTC"}')],
        "tool_calls",
    ),
    "two calls, one after the other": (
        [
            added(1, "call_a", "get_time"),
            delta(1, "{}"),
            item_done(1, "call_a", "get_time", "{}"),
            added(2, "call_b", "add"),
            delta(2, '{"a"'),
            delta(2, ": 1}"),
            item_done(2, "call_b", "add", '{"a": 1}'),
            completed(whole(1, "call_a", "get_time", "{}"), whole(2, "call_b", "add", '{"a": 1}')),
        ],
        [ToolCall("call_a", "get_time", "{}"), ToolCall("call_b", "add", '{"a": 1}')],
        "tool_calls",
    ),
    "the done item's arguments win over the pieces": (
        [added(0, "call_a", "add"), delta(0, '{"a": 1'), item_done(0, "call_a", "add", '{"a": 1}'), completed()],
        [ToolCall("call_a", "add", '{"a": 1}')],
        "tool_calls",
    ),
    "invalid JSON arguments kept verbatim": (
        [added(0, "call_a", "add"), delta(0, '{"a": '), item_done(0, "call_a", "add", '{"a": '), completed()],
        [ToolCall("call_a", "add", '{"a": ')],
        "tool_calls",
    ),
    "no output_item.done: the pieces at response.completed": (
        [added(0, "call_a", "add"), delta(0, "{}"), completed(whole(0, "call_a", "add", "{}"))],
        [ToolCall("call_a", "add", "{}")],
        "tool_calls",
    ),
    "only the final response carries the call": (
        [completed(whole(0, "call_a", "add", "{}"))],
        [ToolCall("call_a", "add", "{}")],
        "tool_calls",
    ),
    "the stream ends mid-call: the call at close(), the answer cut_off": (
        [added(0, "call_a", "add"), delta(0, '{"a"')],
        [ToolCall("call_a", "add", '{"a"')],
        "cut_off",
    ),
    "incomplete (the token limit): the calls as they came, the answer length": (
        [
            added(0, "call_a", "add"),
            delta(0, '{"a"'),
            ev(
                "response.incomplete",
                response={"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}, "output": []},
            ),
        ],
        [ToolCall("call_a", "add", '{"a"')],
        "length",
    ),
}


@pytest.mark.parametrize("case", RESPONSES_STREAMS, ids=str)
def test_responses_stream_tool_calls(case):
    events, calls, reason = RESPONSES_STREAMS[case]
    out = feed(responses.Parser(), events)
    assert [e for e in out if isinstance(e, ToolCall)] == calls
    assert out[-1] == Finish(reason)


def test_responses_call_given_at_its_output_item_done():
    parser = responses.Parser()
    text = ev("response.output_text.delta", item_id="msg", output_index=0, content_index=0, delta="Let me check.")
    steps = [text, added(1, "call_a", "add"), delta(1, "{}"), args_done(1, "{}"), item_done(1, "call_a", "add", "{}")]
    given = [parser.feed(name, json.dumps(data)) for name, data in steps]
    assert given == [[TextDelta("Let me check.")], [], [], [], [ToolCall("call_a", "add", "{}")]]
    name, data = completed({"type": "message", "content": []}, whole(1, "call_a", "add", "{}"))
    assert parser.feed(name, json.dumps(data)) == []  # not given twice
    assert parser.close() == [Usage(7, 3), Finish("tool_calls")]


def test_responses_whole_answer_with_calls():
    data = {
        "status": "completed",
        "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "Let me check."}]},
            whole(1, "call_a", "get_time", '{"timezone": "UTC"}'),
            whole(2, "toolu_01", "add", "{"),
        ],
        "usage": {"input_tokens": 7, "output_tokens": 3},
    }
    assert responses.parse_response(data) == [
        TextDelta("Let me check."),
        ToolCall("call_a", "get_time", '{"timezone": "UTC"}'),
        ToolCall("toolu_01", "add", "{"),
        Usage(7, 3),
        Finish("tool_calls"),
    ]


# Flood caps --------------------------------------------------------------------------


def test_chat_stream_refuses_more_calls_than_the_cap():
    parser = chat.Parser()
    for i in range(MAX_TOOL_CALLS):
        parser.feed("", json.dumps(calls_delta(head(i, f"call_{i}", "add"))))
    with pytest.raises(ProviderError) as caught:
        parser.feed("", json.dumps(calls_delta(head(MAX_TOOL_CALLS, "call_x", "add"))))
    assert caught.value.kind == "bad_response" and "MAX_TOOL_CALLS" in str(caught.value)
    assert str(MAX_TOOL_CALLS) in str(caught.value)


def test_chat_stream_refuses_arguments_past_the_cap():
    parser = chat.Parser()
    parser.feed("", json.dumps(calls_delta(head(0, "call_a", "add"))))
    parser.feed("", json.dumps(calls_delta(piece(0, "x" * (MAX_TOOL_CALL_CHARS - 20)))))
    with pytest.raises(ProviderError) as caught:
        parser.feed("", json.dumps(calls_delta(piece(0, "x" * 100))))
    assert caught.value.kind == "bad_response" and "MAX_TOOL_CALL_CHARS" in str(caught.value)


def test_whole_answers_are_capped_too():
    many = [
        {"id": f"c{i}", "type": "function", "function": {"name": "add", "arguments": "{}"}}
        for i in range(MAX_TOOL_CALLS + 1)
    ]
    data = {"choices": [{"message": {"role": "assistant", "tool_calls": many}, "finish_reason": "tool_calls"}]}
    with pytest.raises(ProviderError, match="MAX_TOOL_CALLS"):
        chat.parse_response(data)
    output = [whole(i, f"c{i}", "add", "{}") for i in range(MAX_TOOL_CALLS + 1)]
    with pytest.raises(ProviderError, match="MAX_TOOL_CALLS"):
        responses.parse_response({"status": "completed", "output": output})


def test_responses_stream_refuses_more_calls_than_the_cap():
    parser = responses.Parser()
    for i in range(MAX_TOOL_CALLS):
        for name, data in (added(i, f"c{i}", "add"), item_done(i, f"c{i}", "add", "{}")):
            parser.feed(name, json.dumps(data))
    with pytest.raises(ProviderError, match="MAX_TOOL_CALLS"):
        name, data = added(MAX_TOOL_CALLS, "c", "add")
        parser.feed(name, json.dumps(data))


def test_final_arguments_replace_the_pieces_in_the_count():
    """The whole arguments sent at the end are counted once, not on top of their pieces."""
    calls = CallAssembler(max_chars=30)
    calls.start(0, "c", "add")  # 4 characters
    calls.add(0, "x" * 20)
    assert calls.finish(0, "y" * 20) == ToolCall("c", "add", "y" * 20)
