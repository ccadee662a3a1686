"""Anthropic Messages as documented: message_start … message_stop, paginated model list."""

from __future__ import annotations

from collections.abc import Iterator

from tests.fakes.answer import Answer, Frames, sse

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
    end = [_event("content_block_stop", index=text_index)] if answer.text_chunks else []
    end += [
        _event(
            "message_delta",
            delta={"stop_reason": "end_turn", "stop_sequence": None},
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


def _event(kind: str, **fields) -> bytes:
    return sse({"type": kind, **fields}, event=kind)


def body(answer: Answer) -> dict:
    content = []
    if answer.reasoning:
        content.append({"type": "thinking", "thinking": answer.reasoning, "signature": "c2ln"})
    content.append({"type": "text", "text": answer.text})
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
    }


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


def tool_rounds(body: dict) -> int:
    """How many rounds of tool results the request carries (to be written with tool calls)."""
    raise NotImplementedError
