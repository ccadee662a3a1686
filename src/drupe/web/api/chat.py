"""Turns: send, regenerate, edit and continue stream answers as Server-Sent Events; stop cuts them short."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from drupe.chat import ChatService, Target, TurnEvent, attachments
from drupe.chat.approval import Decision
from drupe.chat.attachments import Part
from drupe.chat.records import parts_from_json
from drupe.chat.service import Content
from drupe.errors import DrupeError
from drupe.web.api.deps import chat_service
from drupe.web.api.inputs import MAX_ID, Id, MessageText, PathId, Text
from drupe.web.api.schemas import Decided, Stopped
from drupe.web.approvals import Approvals
from drupe.web.errors import documented
from drupe.web.streaming import Relay, Turns

router = APIRouter(prefix="/api", tags=["turns"])

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


class TargetIn(BaseModel):
    provider: Text | None = Field(default=None, description="Provider name or id; omit to find the model by its id.")
    model: Text


class PartIn(BaseModel):
    """A content part: text; an image as base64 `data` with its `media_type`, or a `url`; or a
    file by its `name`, as base64 `data` (its bytes, read as the CLI reads a file: text, code,
    PDF or image) or as `text` (a stored attachment sent again, as the messages give it)."""

    type: Literal["text", "image", "file"]
    text: MessageText = ""
    data: Text = ""
    media_type: Text = ""
    url: Text = ""
    name: Text = Field(default="", max_length=1000, description="A file's name (`file` parts).")
    size: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=MAX_ID,
        description="A file's size in bytes, with its `text` (kept as given).",
    )


async def content_of(text: str, parts: list[PartIn]) -> Content:
    """Plain text, or the parts when the message carries an image or a file. Files are read
    (a PDF's text extracted) in a worker thread, so a large one holds up no other stream."""
    if not parts:
        return text
    return await asyncio.to_thread(_parts_of, parts)


def _parts_of(parts: list[PartIn]) -> tuple[Part, ...]:
    read: list[Part] = []
    for part in parts:
        if part.type == "file" and part.data:
            read.append(attachments.read_attachment(part.name, _decoded(part)))
        elif part.type == "file":
            read.append(attachments.file_part(part.name, part.text, part.media_type, part.size))
        else:
            read.extend(parts_from_json([part.model_dump(exclude={"name", "size"}, exclude_defaults=True)]))
    return tuple(read)


def _decoded(part: PartIn) -> bytes:
    try:
        return base64.b64decode(part.data, validate=True)
    except ValueError as exc:
        raise DrupeError(
            f"The data of file {part.name!r} is not base64; send the file's bytes base64-encoded.",
            code="invalid", field="parts", name=part.name,
        ) from exc  # fmt: skip


class SendIn(BaseModel):
    content: MessageText
    parts: list[PartIn] = Field(default_factory=list, description="Text, image and file parts; overrides `content`.")
    targets: list[TargetIn] = Field(
        default_factory=list,
        description="Empty: the model(s) of the conversation's latest answers, or the default model.",
    )
    parent_id: Id | None = None


class RegenerateIn(BaseModel):
    targets: list[TargetIn] = Field(default_factory=list, description="Empty: the answer's own model.")


class EditIn(BaseModel):
    content: MessageText
    parts: list[PartIn] = Field(default_factory=list, description="Text, image and file parts; overrides `content`.")
    targets: list[TargetIn] = Field(default_factory=list, description="Empty: the default model.")


class DecisionIn(BaseModel):
    decision: Decision = Field(
        description="`run` this call, `deny` it, or `always`: run it and every later call of this tool "
        "in this conversation without asking."
    )


def turns(request: Request) -> Turns:
    return request.app.state.turns


def approvals(request: Request) -> Approvals:
    return request.app.state.approvals


def resolve(chat: ChatService, targets: list[TargetIn]) -> list[Target]:
    """Each target checked (provider enabled, model added) before anything is stored.
    Like every lookup of a turn, a few short queries made on the event loop: handing them
    to a thread cost more (thread hand-offs, the GIL) than the queries themselves."""
    if not targets:
        return chat.resolve_targets(None, [])
    resolved: list[Target] = []
    for target in targets:
        for found in chat.resolve_targets(target.provider, [target.model]):
            if found not in resolved:
                resolved.append(found)
    return resolved


async def event_stream(chat: ChatService, running: Turns, events: AsyncIterator[TurnEvent]) -> StreamingResponse:
    relay = Relay(chat, running)
    await relay.start(events)
    return StreamingResponse(relay.stream(), media_type="text/event-stream", headers=SSE_HEADERS)


TURN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The turn's events (see docs/api.md)", "content": {"text/event-stream": {}}},
    **documented(400, 404, 409, 422, 503),
}
"""Events as they come; problems found before anything is stored or streamed are plain JSON errors
(409: a provider switched off or its secrets unreadable; 503: the message could not be stored)."""


@router.post("/conversations/{conversation_id}/messages", response_class=StreamingResponse, responses=TURN_RESPONSES)
async def send(
    conversation_id: Text,
    body: SendIn,
    chat: ChatService = Depends(chat_service),
    running: Turns = Depends(turns),
    asking: Approvals = Depends(approvals),
) -> StreamingResponse:
    conversation = chat.get_conversation(conversation_id)
    targets = resolve(chat, body.targets) if body.targets else chat.continue_targets(conversation.id)
    content = await content_of(body.content, body.parts)
    turn = chat.send(conversation.id, content, targets, body.parent_id, approver=asking.approver())
    return await event_stream(chat, running, turn)


@router.post("/answers/{answer_id}/regenerate", response_class=StreamingResponse, responses=TURN_RESPONSES)
async def regenerate(
    answer_id: PathId,
    body: RegenerateIn | None = None,
    chat: ChatService = Depends(chat_service),
    running: Turns = Depends(turns),
    asking: Approvals = Depends(approvals),
) -> StreamingResponse:
    chat.get_message(answer_id)
    targets = resolve(chat, body.targets) if body and body.targets else None
    return await event_stream(chat, running, chat.regenerate(answer_id, targets, approver=asking.approver()))


@router.post("/answers/{answer_id}/continue", response_class=StreamingResponse, responses=TURN_RESPONSES)
async def continue_answer(
    answer_id: PathId,
    chat: ChatService = Depends(chat_service),
    running: Turns = Depends(turns),
    asking: Approvals = Depends(approvals),
) -> StreamingResponse:
    """The model of an answer cut at its token limit (`stop_reason` `length`) goes on from where it
    stopped; the new text is added to the same answer (400 for any other answer, 409 while it is
    being continued already)."""
    chat.get_message(answer_id)
    return await event_stream(chat, running, chat.continue_answer(answer_id, approver=asking.approver()))


@router.post("/messages/{message_id}/edit", response_class=StreamingResponse, responses=TURN_RESPONSES)
async def edit(
    message_id: PathId,
    body: EditIn,
    chat: ChatService = Depends(chat_service),
    running: Turns = Depends(turns),
    asking: Approvals = Depends(approvals),
) -> StreamingResponse:
    chat.get_message(message_id)
    targets = resolve(chat, body.targets)
    content = await content_of(body.content, body.parts)
    return await event_stream(chat, running, chat.edit(message_id, content, targets, approver=asking.approver()))


@router.post("/answers/{answer_id}/stop", response_model=Stopped, responses=documented(409, 422))
async def stop(answer_id: PathId, running: Turns = Depends(turns)) -> dict[str, Any]:
    return {"stopped": running.stop(answer_id)}


@router.post(
    "/answers/{answer_id}/tool-calls/{call_id:path}", response_model=Decided, responses=documented(400, 404, 422)
)
async def decide(
    answer_id: PathId, call_id: Text, body: DecisionIn, asking: Approvals = Depends(approvals)
) -> dict[str, Any]:
    """Run or deny a tool call of a streaming answer that waits for the user (its `tool_call` event
    said `awaiting`). 404: nothing waits for that call (decided already, or the answer ended)."""
    asking.decide(answer_id, call_id, body.decision)
    return {"answer_id": answer_id, "call_id": call_id, "decision": body.decision}
