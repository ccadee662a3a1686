"""Conversations and their messages: list, search, create, rename, settings, page through, export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from drupe.chat import ChatService, ConversationSettings
from drupe.chat.params import MAX_NAME, MAX_PARAMS
from drupe.chat.records import SearchHit
from drupe.chat.repository import TOOL_SELECTOR
from drupe.chat.service import MAX_TITLE
from drupe.errors import DrupeError
from drupe.web.api.deps import chat_service
from drupe.web.api.inputs import MAX_ID, Count, Index, PathId, Text
from drupe.web.api.schemas import (
    ConversationList,
    ConversationOut,
    Export,
    MessageList,
    MessagePage,
    MessagesRemoved,
    Removed,
    Selected,
)
from drupe.web.errors import documented
from drupe.web.streaming import message_json

router = APIRouter(prefix="/api", tags=["conversations"])

PAGE_SIZE = 50
MAX_PAGE = 500


MAX_TOOL_SELECTORS = 256
ToolSelector = Annotated[str, Field(pattern=f"^(?:{TOOL_SELECTOR.pattern})$", max_length=161)]


class ParamIn(BaseModel):
    name: Annotated[Text, Field(max_length=MAX_NAME)]
    type: Literal["number", "text", "boolean", "json"]
    value: Any = Field(
        description="number: a number (or its text); text: a string; boolean: true/false; json: the JSON text "
        "(checked to parse) or any JSON value."
    )


class SettingsIn(BaseModel):
    system_prompt: Text | None = None
    temperature: Annotated[float, Field(strict=True, ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(strict=True, ge=0, le=1)] | None = None
    max_tokens: Count | None = None
    context_count: Index | None = Field(default=None, description="Earlier messages sent; null = all.")
    tools: Annotated[list[ToolSelector], Field(max_length=MAX_TOOL_SELECTORS)] | None = Field(
        default=None, description="MCP servers (`time`) or tools (`time.get_current_time`) turned on, or `all`."
    )
    allowed_tools: Annotated[list[ToolSelector], Field(max_length=MAX_TOOL_SELECTORS)] | None = Field(
        default=None, description="Tools (`server.tool`) that run here without asking."
    )
    max_tool_steps: Annotated[int, Field(strict=True, ge=1, le=100)] | None = Field(
        default=None, description="Rounds of tool calls one answer may make; null = 10."
    )
    reasoning: Literal["off", "low", "medium", "high"] | None = Field(
        default=None, description="How hard a reasoning model thinks; null = the provider's default."
    )
    params: Annotated[list[ParamIn], Field(max_length=MAX_PARAMS)] | None = Field(
        default=None, description="Custom request body fields, over the provider's extra body fields."
    )


class ConversationIn(BaseModel):
    title: Annotated[Text, Field(max_length=MAX_TITLE)] = ""
    settings: SettingsIn | None = None


class ConversationPatch(BaseModel):
    title: Annotated[Text, Field(max_length=MAX_TITLE)] | None = None
    settings: SettingsIn | None = None


def page(chat: ChatService, conversation_id: str, limit: int = PAGE_SIZE, before: int | None = None) -> dict[str, Any]:
    """Up to `limit` messages of the current branch ending just before `before`, oldest first,
    each with where it sits among its alternatives (read for the whole page at once)."""
    rows = chat.history(conversation_id, limit=limit + 1, before_id=before)
    shown = rows[-limit:]
    positions = chat.sibling_positions(shown)
    return {"messages": [message_json(m, positions[m.id]) for m in shown], "has_more": len(rows) > limit}


@router.get("/conversations", response_model=ConversationList, responses=documented(422))
def list_conversations(
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_ID),
    chat: ChatService = Depends(chat_service),
) -> list[dict[str, Any]]:
    return [c.to_dict() for c in chat.list_conversations(limit=limit, offset=offset)]


@router.get("/search", response_model=list[SearchHit], responses=documented(422))
def search(
    q: Text, limit: int = Query(50, ge=1, le=500), chat: ChatService = Depends(chat_service)
) -> list[dict[str, Any]]:
    return [hit.to_dict() for hit in chat.search(q, limit=limit)]


@router.post("/conversations", status_code=201, response_model=ConversationOut, responses=documented(400, 422))
def create_conversation(body: ConversationIn, chat: ChatService = Depends(chat_service)) -> dict[str, Any]:
    settings = ConversationSettings(**body.settings.model_dump()) if body.settings else None
    return chat.create_conversation(title=body.title, settings=settings).to_dict()


@router.get("/conversations/{conversation_id}", response_model=ConversationOut, responses=documented(400, 404, 422))
def get_conversation(conversation_id: Text, chat: ChatService = Depends(chat_service)) -> dict[str, Any]:
    return chat.get_conversation(conversation_id).to_dict()


@router.patch("/conversations/{conversation_id}", response_model=ConversationOut, responses=documented(400, 404, 422))
def edit_conversation(
    conversation_id: Text, body: ConversationPatch, chat: ChatService = Depends(chat_service)
) -> dict[str, Any]:
    conversation = chat.get_conversation(conversation_id)
    if body.title is not None:
        conversation = chat.rename_conversation(conversation.id, body.title)
    if body.settings is not None:
        conversation = chat.update_settings(conversation.id, **body.settings.model_dump(exclude_unset=True))
    return conversation.to_dict()


@router.delete("/conversations/{conversation_id}", response_model=Removed, responses=documented(400, 404, 422))
def delete_conversation(conversation_id: Text, chat: ChatService = Depends(chat_service)) -> dict[str, str]:
    conversation = chat.get_conversation(conversation_id)
    chat.delete_conversation(conversation.id)
    return {"removed": conversation.id}


@router.get(
    "/conversations/{conversation_id}/messages", response_model=MessagePage, responses=documented(400, 404, 422)
)
def list_messages(
    conversation_id: Text,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE),
    before: int | None = Query(None, ge=1, le=MAX_ID, description="A message id: the page ends just before it."),
    chat: ChatService = Depends(chat_service),
) -> dict[str, Any]:
    conversation = chat.get_conversation(conversation_id)
    if before is not None and chat.get_message(before).conversation_id != conversation.id:
        raise DrupeError(
            f"Message {before} is not in this conversation.", code="not_found", what="message", name=before
        )
    return page(chat, conversation.id, limit, before)


class ConversationModel(BaseModel):
    provider: str = Field(description="The provider's name.")
    model: str


@router.get(
    "/conversations/{conversation_id}/models",
    response_model=list[ConversationModel],
    responses=documented(400, 404, 422),
)
def conversation_models(conversation_id: Text, chat: ChatService = Depends(chat_service)) -> list[dict[str, str]]:
    """The models of the conversation's latest turn that are still offered: who answers a message
    sent with no targets (empty: the default model). The page picks them when it opens the conversation."""
    targets = chat.conversation_targets(conversation_id)
    return [{"provider": target.provider, "model": target.model} for target in targets]


@router.delete(
    "/conversations/{conversation_id}/messages/{message_id}",
    response_model=MessagesRemoved,
    responses=documented(400, 404, 409, 422),
)
def delete_message(
    conversation_id: Text, message_id: PathId, chat: ChatService = Depends(chat_service)
) -> dict[str, Any]:
    """Delete a message and everything under it; answers with the ids removed, the conversation
    and the newest page of its current branch (which moves when it went with them).
    409: an answer under it is still streaming."""
    conversation = chat.get_conversation(conversation_id)
    removed = chat.delete_message(message_id, conversation.id)
    return {
        "removed": removed,
        "conversation": chat.get_conversation(conversation.id).to_dict(),
        **page(chat, conversation.id),
    }


EXPORTS = {"text/markdown": {"schema": {"type": "string"}}}


@router.get(
    "/conversations/{conversation_id}/export",
    responses={
        200: {"description": "A download, by `format`", "model": Export, "content": EXPORTS},
        **documented(400, 404, 422),
    },
)
def export(
    conversation_id: Text, format: Literal["markdown", "json"] = "markdown", chat: ChatService = Depends(chat_service)
) -> Response:
    import json

    conversation = chat.get_conversation(conversation_id)
    stem = f"drupe-{conversation.id[:8]}"
    if format == "json":
        body = json.dumps(chat.export_json(conversation.id), ensure_ascii=False, indent=2)
        media, name = "application/json", f"{stem}.json"
    else:
        body, media, name = chat.export_markdown(conversation.id), "text/markdown; charset=utf-8", f"{stem}.md"
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/messages/{message_id}/alternatives", response_model=MessageList, responses=documented(404, 422))
def alternatives(message_id: PathId, chat: ChatService = Depends(chat_service)) -> list[dict[str, Any]]:
    chat.get_message(message_id)
    versions = chat.alternatives(message_id)
    return [message_json(m, (index, len(versions))) for index, m in enumerate(versions)]


@router.post("/messages/{message_id}/select", response_model=Selected, responses=documented(404, 422))
def select(message_id: PathId, chat: ChatService = Depends(chat_service)) -> dict[str, Any]:
    chat.get_message(message_id)
    conversation = chat.select(message_id)
    return {"conversation": conversation.to_dict(), **page(chat, conversation.id)}
