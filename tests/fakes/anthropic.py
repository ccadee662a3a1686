"""Anthropic Messages as documented: message_start … message_stop, paginated model list.

Tool calls as documented for streaming (https://docs.anthropic.com/en/docs/build-with-claude/streaming,
"Streaming request with tool use"): after the text block, one `tool_use` content block per call,
opened with its id, name and an empty `input`, its arguments sent as `input_json_delta`
`partial_json` fragments (one per `FakeCall.fragments()`), then closed; the message ends with
`stop_reason: tool_use`. Arguments that are not valid JSON are streamed as they are (fine-grained
tool streaming documents that invalid JSON can arrive); a whole (non-streamed) answer's `input`
is always an object, so there they come wrapped as `{"INVALID_JSON": text}`, the wrapping
Anthropic's docs suggest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from tests.fakes.answer import Answer, FakeCall, Frames, sse

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def frames(answer: Answer) -> Frames:
    message = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": answer.model,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": 1},
    }
    start = [_event("message_start", message=message)]
    if answer.reasoning_chunks:
        start.append(_event("content_block_start", index=0, content_block={"type": "thinking", "thinking": ""}))
    text_index = 1 if answer.reasoning_chunks else 0
    end = [_event("content_block_stop", index=text_index)] if answer.text_chunks and not answer.tool_calls else []
    end += [
        _event(
            "message_delta",
            delta={"stop_reason": _stop_reason(answer), "stop_sequence": None},
            usage={"output_tokens": answer.output_tokens},
        ),
        _event("message_stop"),
    ]
    return Frames(
        start=start,
        content=_content(answer, text_index),
        end=end,
        broken=b'event: content_block_delta\ndata: {"type": "content_block_delta", "index\n\n',
    )


def _content(answer: Answer, text_index: int) -> Iterator[bytes]:
    """One frame per chunk; the thinking block's end and the text block's start ride with the first text chunk."""
    for text in answer.reasoning_chunks:
        yield _event("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": text})
    opening = _event("content_block_start", index=text_index, content_block={"type": "text", "text": ""})
    if answer.reasoning_chunks:
        opening = (
            _event("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "c2ln"})
            + _event("content_block_stop", index=0)
            + opening
        )
    for i, text in enumerate(answer.text_chunks):
        frame = _event("content_block_delta", index=text_index, delta={"type": "text_delta", "text": text})
        yield opening + _event("ping") + frame if i == 0 else frame
    if answer.tool_calls:
        # The block before the first call ends as its first fragment comes.
        if answer.text_chunks:
            closing = _event("content_block_stop", index=text_index)
        elif answer.reasoning_chunks:
            closing = _event("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "c2ln"})
            closing += _event("content_block_stop", index=0)
        else:
            closing = b""
        first_index = text_index + 1 if answer.text_chunks else text_index
        for i, call in enumerate(answer.tool_calls):
            yield from _call_frames(call, i, first_index + i, closing if i == 0 else b"")


def _call_frames(call: FakeCall, position: int, index: int, before: bytes) -> Iterator[bytes]:
    """One frame per fragment: the block's start rides with the first, its stop with the last."""
    block: dict = {"type": "tool_use", "id": call.call_id(position), "name": call.name, "input": {}}
    fragments = call.fragments()
    for i, fragment in enumerate(fragments):
        frame = _event("content_block_delta", index=index, delta={"type": "input_json_delta", "partial_json": fragment})
        if i == 0:
            frame = before + _event("content_block_start", index=index, content_block=block) + frame
        if i == len(fragments) - 1:
            frame += _event("content_block_stop", index=index)
        yield frame


def _event(kind: str, **fields) -> bytes:
    return sse({"type": kind, **fields}, event=kind)


def body(answer: Answer) -> dict:
    content: list[dict] = []
    if answer.reasoning:
        content.append({"type": "thinking", "thinking": answer.reasoning, "signature": "c2ln"})
    if answer.text or not answer.tool_calls:
        content.append({"type": "text", "text": answer.text})
    for i, call in enumerate(answer.tool_calls):
        content.append({"type": "tool_use", "id": call.call_id(i), "name": call.name, "input": _input(call.arguments)})
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": content,
        "stop_reason": _stop_reason(answer),
        "stop_sequence": None,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
    }


def _stop_reason(answer: Answer) -> str:
    return "max_tokens" if answer.length else "tool_use" if answer.tool_calls else "end_turn"


def error(status: int, message: str) -> dict:
    return {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}


def models(ids: list[str], after_id: str | None, limit: int) -> dict:
    """A page after `after_id`, with `has_more` and `last_id` as the next cursor."""
    start = ids.index(after_id) + 1 if after_id in ids else 0
    page = ids[start : start + limit]
    return {
        "data": [
            {"type": "model", "id": i, "display_name": i.title(), "created_at": "2025-01-01T00:00:00Z"} for i in page
        ],
        "has_more": start + limit < len(ids),
        "first_id": page[0] if page else None,
        "last_id": page[-1] if page else None,
    }


def _input(arguments: str) -> dict:
    """A call's `input` in a whole answer: always an object."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {"INVALID_JSON": arguments}
    return value if isinstance(value, dict) else {"INVALID_JSON": arguments}


def tool_rounds(body: dict) -> int:
    """How many rounds of tool results the request carries: its user messages holding `tool_result` blocks."""
    return sum(
        1
        for message in body.get("messages") or ()
        if message.get("role") == "user"
        and isinstance(message.get("content"), list)
        and any(isinstance(block, dict) and block.get("type") == "tool_result" for block in message["content"])
    )
