"""OpenAI Chat Completions as documented: `chat.completion.chunk` events, then `[DONE]`.

Tool calls as the function calling guide shows them streamed
(https://platform.openai.com/docs/guides/function-calling#streaming) and the chunk object
defines them (https://platform.openai.com/docs/api-reference/chat-streaming/streaming):
each call's first `delta.tool_calls` entry has its `index`, `id`, `type` and
`function.name` with `arguments: ""`, the next ones only `index` and a piece of
`function.arguments`; calls come one after the other by index; the last chunk has an empty
delta and `finish_reason: "tool_calls"`. A whole answer has `message.tool_calls`, `content`
null when the model said nothing before them.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from tests.fakes.answer import Answer, Frames, sse

ERROR_TYPES = {401: "invalid_request_error", 404: "invalid_request_error", 429: "requests", 500: "server_error"}
ERROR_CODES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded", 500: None}


def frames(answer: Answer, reasoning_field: str = "reasoning_content", include_usage: bool = True) -> Frames:
    def chunk(delta: dict, finish: str | None = None) -> bytes:
        return sse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 1700000000,
                "model": answer.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    content = chain(
        (chunk({reasoning_field: text}) for text in answer.reasoning_chunks),
        (chunk({"content": text}) for text in answer.text_chunks),
        (chunk({"tool_calls": [entry]}) for entry in _call_fragments(answer)),
    )
    end = [chunk({}, finish_reason(answer))]
    if include_usage:
        end.append(
            sse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 1700000000,
                    "model": answer.model,
                    "choices": [],
                    "usage": _usage(answer),
                }
            )
        )
    end.append(sse("[DONE]"))
    said = "" if answer.text_chunks or not answer.tool_calls else None
    return Frames(start=[chunk({"role": "assistant", "content": said})], content=content, end=end)


def body(answer: Answer, reasoning_field: str = "reasoning_content") -> dict:
    message: dict = {"role": "assistant", "content": answer.text}
    if answer.reasoning:
        message[reasoning_field] = answer.reasoning
    if answer.tool_calls:
        message["content"] = answer.text or None
        message["tool_calls"] = [
            {"id": call.call_id(i), "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for i, call in enumerate(answer.tool_calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1700000000,
        "model": answer.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(answer)}],
        "usage": _usage(answer),
    }


def finish_reason(answer: Answer) -> str:
    return "length" if answer.length else "tool_calls" if answer.tool_calls else "stop"


def error(status: int, message: str) -> dict:
    return {
        "error": {
            "message": message,
            "type": ERROR_TYPES.get(status, "invalid_request_error"),
            "param": None,
            "code": ERROR_CODES.get(status),
        }
    }


def models(ids: list[str]) -> dict:
    """OpenAI lists every model at once."""
    return {
        "object": "list",
        "data": [{"id": i, "object": "model", "created": 1700000000, "owned_by": "fake"} for i in ids],
    }


def _usage(answer: Answer) -> dict:
    return {
        "prompt_tokens": answer.input_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.input_tokens + answer.output_tokens,
    }


def _call_fragments(answer: Answer) -> Iterator[dict]:
    """Each call's `delta.tool_calls` entries: its head, then one per piece of its arguments."""
    for i, call in enumerate(answer.tool_calls):
        head = {"index": i, "id": call.call_id(i), "type": "function", "function": {"name": call.name, "arguments": ""}}
        yield head
        for piece in call.fragments():
            yield {"index": i, "function": {"arguments": piece}}


def tool_rounds(body: dict) -> int:
    """How many rounds of tool results the request carries: runs of `role: tool` messages."""
    rounds = 0
    previous = None
    for message in body.get("messages") or ():
        role = message.get("role") if isinstance(message, dict) else None
        if role == "tool" and previous != "tool":
            rounds += 1
        previous = role
    return rounds
