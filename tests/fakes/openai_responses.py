"""OpenAI Responses API as documented: typed events, usage on `response.completed`."""

from __future__ import annotations

from itertools import chain

from tests.fakes.answer import Answer, Frames, sse


def frames(answer: Answer) -> Frames:
    def event(number: int, kind: str, **fields) -> bytes:
        return sse({"type": kind, "sequence_number": number, **fields}, event=kind)

    start = [
        event(0, "response.created", response=_response(answer, "in_progress")),
        event(1, "response.in_progress", response=_response(answer, "in_progress")),
    ]
    index = 1 if answer.reasoning_chunks else 0
    content = chain(
        (
            event(
                2 + i,
                "response.reasoning_summary_text.delta",
                item_id="rs_fake",
                output_index=0,
                summary_index=0,
                delta=text,
            )
            for i, text in enumerate(answer.reasoning_chunks)
        ),
        (
            event(
                2 + len(answer.reasoning_chunks) + i,
                "response.output_text.delta",
                item_id="msg_fake",
                output_index=index,
                content_index=0,
                delta=text,
                logprobs=[],
            )
            for i, text in enumerate(answer.text_chunks)
        ),
    )
    last = 2 + answer.output_tokens
    end = [
        event(
            last, "response.output_text.done", item_id="msg_fake", output_index=index, content_index=0, text=answer.text
        ),
        event(last + 1, "response.completed", response=body(answer)),
    ]
    return Frames(
        start=start,
        content=content,
        end=end,
        broken=b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", \n\n',
    )


def body(answer: Answer) -> dict:
    response = _response(answer, "completed")
    if answer.reasoning:
        response["output"].append(
            {"id": "rs_fake", "type": "reasoning", "summary": [{"type": "summary_text", "text": answer.reasoning}]}
        )
    response["output"].append(
        {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": answer.text, "annotations": []}],
        }
    )
    response["usage"] = {
        "input_tokens": answer.input_tokens,
        "output_tokens": answer.output_tokens,
        "total_tokens": answer.input_tokens + answer.output_tokens,
    }
    return response


def _response(answer: Answer, status: str) -> dict:
    return {
        "id": "resp_fake",
        "object": "response",
        "created_at": 1700000000,
        "status": status,
        "model": answer.model,
        "output": [],
        "usage": None,
    }


def tool_rounds(body: dict) -> int:
    """How many rounds of tool results the request carries (to be written with tool calls)."""
    raise NotImplementedError
