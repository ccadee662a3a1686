"""OpenAI Responses API as documented: typed events, usage on `response.completed`; an answer
cut at its token limit ends with `response.incomplete`, status `incomplete` and
`incomplete_details.reason: "max_output_tokens"`.

Function calls as the function calling guide streams them
(https://platform.openai.com/docs/guides/function-calling#streaming) with the events of
https://platform.openai.com/docs/api-reference/responses-streaming: per call, at its own
`output_index` after the message, `response.output_item.added` (a `function_call` item with
`call_id`, `name`, `arguments: ""`, status `in_progress`), one
`response.function_call_arguments.delta` per piece, `response.function_call_arguments.done`
with the whole arguments, then `response.output_item.done` with the completed item. The
response's `output` lists the `function_call` items after the message, status `completed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain

from tests.fakes.answer import Answer, FakeCall, Frames, sse


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
    if answer.tool_calls:
        return _tool_frames(answer, start, content, index, event)
    last = 2 + answer.output_tokens
    end = [
        event(
            last, "response.output_text.done", item_id="msg_fake", output_index=index, content_index=0, text=answer.text
        ),
        event(last + 1, "response.incomplete" if answer.length else "response.completed", response=body(answer)),
    ]
    return Frames(
        start=start,
        content=content,
        end=end,
        broken=b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", \n\n',
    )


def body(answer: Answer) -> dict:
    response = _response(answer, "incomplete" if answer.length else "completed")
    if answer.length:  # cut at max_output_tokens: the response and its message are incomplete
        response["incomplete_details"] = {"reason": "max_output_tokens"}
    if answer.reasoning:
        response["output"].append(
            {"id": "rs_fake", "type": "reasoning", "summary": [{"type": "summary_text", "text": answer.reasoning}]}
        )
    if answer.text or not answer.tool_calls:
        response["output"].append(
            {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "status": "incomplete" if answer.length else "completed",
                "content": [{"type": "output_text", "text": answer.text, "annotations": []}],
            }
        )
    response["output"].extend(_call_item(call, i, "completed") for i, call in enumerate(answer.tool_calls))
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


def _tool_frames(answer: Answer, start: list[bytes], said: Iterable[bytes], index: int, event: Callable) -> Frames:
    """An answer with function calls: its text (if any) and the text's done event, then each
    call's events at the output indexes after the message's."""
    number = 2 + len(answer.reasoning_chunks) + len(answer.text_chunks)
    done: list[bytes] = []
    if answer.text_chunks:
        done.append(
            event(
                number,
                "response.output_text.done",
                item_id="msg_fake",
                output_index=index,
                content_index=0,
                text=answer.text,
            )
        )
        number += 1
    first = index + 1 if answer.text_chunks else index
    calls: list[bytes] = []
    for i, call in enumerate(answer.tool_calls):
        place, item_id = first + i, f"fc_fake_{i}"
        calls.append(
            event(number, "response.output_item.added", output_index=place, item=_call_item(call, i, "in_progress", ""))
        )
        number += 1
        for piece in call.fragments():
            calls.append(
                event(
                    number, "response.function_call_arguments.delta", item_id=item_id, output_index=place, delta=piece
                )
            )
            number += 1
        calls.append(
            event(
                number,
                "response.function_call_arguments.done",
                item_id=item_id,
                output_index=place,
                arguments=call.arguments,
            )
        )
        calls.append(
            event(number + 1, "response.output_item.done", output_index=place, item=_call_item(call, i, "completed"))
        )
        number += 2
    end = [event(number, "response.completed", response=body(answer))]
    return Frames(
        start=start,
        content=chain(said, done, calls),
        end=end,
        broken=b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", \n\n',
    )


def _call_item(call: FakeCall, position: int, status: str, arguments: str | None = None) -> dict:
    """The `function_call` output item of the call at `position` among the answer's calls."""
    return {
        "id": f"fc_fake_{position}",
        "type": "function_call",
        "status": status,
        "arguments": call.arguments if arguments is None else arguments,
        "call_id": call.call_id(position),
        "name": call.name,
    }


def tool_rounds(body: dict) -> int:
    """How many rounds of tool results the request carries: runs of `function_call_output` items."""
    items = body.get("input")
    rounds = 0
    previous = None
    for item in items if isinstance(items, list) else ():
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "function_call_output" and previous != "function_call_output":
            rounds += 1
        previous = kind
    return rounds
