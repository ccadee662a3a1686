"""OpenAI Chat Completions as documented: `chat.completion.chunk` events, then `[DONE]`."""

from __future__ import annotations

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
    )
    end = [chunk({}, "stop")]
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
    return Frames(start=[chunk({"role": "assistant", "content": ""})], content=content, end=end)


def body(answer: Answer, reasoning_field: str = "reasoning_content") -> dict:
    message = {"role": "assistant", "content": answer.text}
    if answer.reasoning:
        message[reasoning_field] = answer.reasoning
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1700000000,
        "model": answer.model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": _usage(answer),
    }


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


def tool_rounds(body: dict) -> int:
    """How many rounds of tool results the request carries (to be written with tool calls)."""
    raise NotImplementedError
