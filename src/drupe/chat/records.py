"""What the chat service hands out: plain dataclasses, free of SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, Literal, NamedTuple

from drupe.chat.attachments import FilePart, Part, for_model
from drupe.plain import plain
from drupe.protocols.base import ContentPart, ImagePart, TextPart

Status = Literal["complete", "streaming", "stopped", "error"]
FINAL_STATUSES: tuple[str, ...] = ("complete", "stopped", "error")


class Target(NamedTuple):
    """One model to answer a turn: the provider's name (or id) and the model id it expects."""

    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


ToolCallStatus = Literal["awaiting", "running", "ok", "error", "denied", "cancelled"]
"""Where a tool call is: waiting for the user's approval, running, or how it ended: it ran
(`ok`), it or its server failed or its arguments were refused (`error`), the user (or the lack of
a terminal to ask on) refused it (`denied`), the user stopped the answer while it ran
(`cancelled`). Only the last four are stored as a step's final state."""


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call of an answer, as stored and shown. `name` is the name the model called
    (`time__get_current_time`); `server` and `tool` say what it is in MCP terms ("" when the
    model called a tool it was not offered). `arguments` is the JSON text the model wrote;
    `result` what went back to the model (the tool's text, or why it did not run)."""

    id: str
    name: str
    arguments: str
    server: str = ""
    tool: str = ""
    status: ToolCallStatus = "awaiting"
    result: str = ""
    signature: str = ""
    """The provider's opaque token for this call (see `drupe.protocols.base.ToolCall`)."""
    duration_ms: float | None = None

    @property
    def title(self) -> str:
        """How a person reads the call: `time.get_current_time`."""
        return f"{self.server}.{self.tool}" if self.server else self.name


@dataclass(frozen=True)
class ToolStep:
    """One round of an answer that called tools: what the model said before its calls
    (text, reasoning) and the calls with their results. The answer's final text, after the
    last round, is the message's `content`."""

    text: str
    calls: tuple[ToolCallRecord, ...]
    reasoning: str = ""


Reasoning = Literal["off", "low", "medium", "high"]
"""How hard a reasoning model thinks before it answers; `None` leaves the provider's default."""

REASONING_EFFORTS: dict[str, str] = {"off": "none", "low": "low", "medium": "medium", "high": "high"}
"""A conversation's reasoning level as `ChatRequest.reasoning_effort` (see `drupe.protocols.reasoning`)."""

ParamType = Literal["number", "text", "boolean", "json"]
PARAM_TYPES: tuple[str, ...] = ("number", "text", "boolean", "json")


@dataclass(frozen=True)
class CustomParam:
    """A field added to every request body of a conversation, over the provider's own extra
    fields. `value` is a number, a string, a bool, or for `json` the JSON text as written
    (checked to parse; sent parsed). See `drupe.chat.params`."""

    name: str
    type: ParamType
    value: Any


@dataclass(frozen=True)
class ConversationSettings:
    """Per-conversation request settings. `None` leaves the provider's default in place;
    `context_count` is how many earlier messages are sent (`None` = all)."""

    system_prompt: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    context_count: int | None = None
    tools: tuple[str, ...] = ()
    """The MCP servers (`time`) or single tools (`time.get_current_time`) the model may call,
    or `("all",)` for every enabled server; () for none."""
    allowed_tools: tuple[str, ...] = ()
    """Tools (`server.tool`) the user chose to "always allow" here: they run without asking."""
    max_tool_steps: int | None = None
    """Rounds of tool calls one answer may make (None: `DEFAULT_MAX_TOOL_STEPS`)."""
    reasoning: Reasoning | None = None
    params: tuple[CustomParam, ...] = ()
    """Custom request body fields, in order (a later one of the same name never exists: names are unique)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    settings: ConversationSettings
    current_leaf_id: int | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


@dataclass(frozen=True)
class MessageRecord:
    """One stored message. `content` is the text typed; `parts` also holds the images and files
    attached (`drupe.chat.attachments`) when there are any."""

    id: int
    conversation_id: str
    parent_id: int | None
    role: str
    content: str
    status: Status
    created_at: datetime
    parts: tuple[Part, ...] = ()
    reasoning: str = ""
    provider_id: str | None = None
    provider: str | None = None
    model: str | None = None
    error: str | None = None
    error_kind: str | None = None
    stop_reason: str | None = None
    """Why an answer ended (a `drupe.protocols.base.StopReason`); None for user messages and
    for answers stored before drupe kept it."""
    input_tokens: int | None = None
    output_tokens: int | None = None
    time_to_first_token_ms: float | None = None
    tokens_per_second: float | None = None
    tool_steps: tuple[ToolStep, ...] = ()
    """The rounds of tool calls before `content` (see `ToolStep`); () for most answers."""
    left_out: int | None = None
    """How many earlier messages were left out of the answer's request to fit the model's context
    window (see `drupe.chat.context`); None when the window is unknown, and for user messages."""

    @property
    def message_content(self) -> str | tuple[ContentPart, ...]:
        """The content as the protocol layer takes it: plain text unless something is attached,
        each attached file as a text block (`drupe.chat.attachments.as_text_part`)."""
        return for_model(self.parts) if self.parts else self.content

    def to_dict(self) -> dict[str, Any]:
        """The one shape a message takes outside the core (JSON export, CLI, web API): its fields,
        but for `provider_id` (internal), with the token counts under `usage` and the speeds under `timings`."""
        data = plain(self)
        del data["provider_id"]
        data["usage"] = {name: data.pop(name) for name in USAGE}
        data["timings"] = {name: data.pop(name) for name in TIMINGS}
        return data


@dataclass(frozen=True)
class SearchHit:
    conversation_id: str
    conversation_title: str
    message_id: int
    role: str
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


USAGE = ("input_tokens", "output_tokens")
TIMINGS = ("time_to_first_token_ms", "tokens_per_second")
"""The `MessageRecord` fields `to_dict` groups under `usage` and `timings`."""


def part_to_json(part: Part) -> dict[str, Any]:
    return plain(part)


def parts_from_json(items: list[dict[str, Any]] | None) -> tuple[Part, ...]:
    parts: list[Part] = []
    for item in items or ():
        if item.get("type") == "image":
            media_type = item.get("media_type", "image/png")
            parts.append(ImagePart(url=item.get("url", ""), data=item.get("data", ""), media_type=media_type))
        elif item.get("type") == "file":
            media_type = item.get("media_type", "text/plain")
            parts.append(FilePart(item.get("name", ""), item.get("text", ""), media_type, item.get("size", 0)))
        else:
            parts.append(TextPart(text=item.get("text", "")))
    return tuple(parts)


DEFAULT_MAX_TOOL_STEPS = 10
"""Rounds of tool calls one answer may make unless the conversation says otherwise."""


def steps_to_json(steps: tuple[ToolStep, ...] | list[ToolStep]) -> list[dict[str, Any]] | None:
    return [plain(step) for step in steps] if steps else None


def steps_from_json(items: list[dict[str, Any]] | None) -> tuple[ToolStep, ...]:
    names = {f.name for f in fields(ToolCallRecord)}
    return tuple(
        ToolStep(
            text=item.get("text", ""),
            reasoning=item.get("reasoning", ""),
            calls=tuple(
                ToolCallRecord(**{k: v for k, v in call.items() if k in names}) for call in item.get("calls", ())
            ),
        )
        for item in items or ()
    )


def conversation_from_row(row: Any) -> Conversation:
    return Conversation(
        id=row.id,
        title=row.title,
        settings=ConversationSettings(
            system_prompt=row.system_prompt,
            temperature=row.temperature,
            top_p=row.top_p,
            max_tokens=row.max_tokens,
            context_count=row.context_count,
            tools=tuple(row.tools or ()),
            allowed_tools=tuple(row.allowed_tools or ()),
            max_tool_steps=row.max_tool_steps,
            reasoning=row.reasoning,
            params=tuple(CustomParam(**item) for item in row.params or ()),
        ),
        current_leaf_id=row.current_leaf_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def message_from_row(row: Any) -> MessageRecord:
    return MessageRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        parent_id=row.parent_id,
        role=row.role,
        content=row.content,
        parts=parts_from_json(row.parts),
        status=row.status,
        created_at=row.created_at,
        reasoning=row.reasoning,
        provider_id=row.provider_id,
        provider=row.provider,
        model=row.model,
        error=row.error,
        error_kind=row.error_kind,
        stop_reason=row.stop_reason,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        time_to_first_token_ms=row.time_to_first_token_ms,
        tokens_per_second=row.tokens_per_second,
        tool_steps=steps_from_json(row.tool_steps),
        left_out=row.left_out,
    )
