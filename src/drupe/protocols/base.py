"""Plain data shared by every wire protocol: what we send, what comes back.

Nothing here knows about HTTP or the store; the protocol modules map these
types onto each provider's wire format and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from drupe.protocols.limits import DEFAULT_LIMITS, Limits


def __getattr__(name: str) -> Any:
    """`PROVIDER_TYPES` (the type IDs, in order) and `TYPE_LABELS` (ID → label), read from
    the registry each time, so a type registered later is in them (`drupe.protocols.types`)."""
    from drupe.protocols.types import TYPES

    if name == "PROVIDER_TYPES":
        return tuple(TYPES)
    if name == "TYPE_LABELS":
        return {type_id: TYPES[type_id].label for type_id in TYPES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class Endpoint:
    """Everything a protocol needs to reach one provider; built from a stored provider."""

    type: str
    base_url: str = ""
    api_keys: tuple[str, ...] = ()
    api_version: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 600.0
    proxy: str = ""
    stream_usage: bool = True
    """Send `stream_options.include_usage` (OpenAI chat); some servers reject it."""
    extra_body: dict[str, Any] = field(default_factory=dict)
    """Fields the user adds to every chat request body (`top_k`, `chat_template_kwargs`…)."""
    limits: Limits = DEFAULT_LIMITS
    """How much this provider may send (see `drupe.protocols.limits`)."""
    secrets: tuple[str, ...] = ()
    """Every secret value (keys, secret header values, URL credentials): removed from error messages."""


@dataclass(frozen=True)
class TextPart:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class ImagePart:
    """An image given either as a URL or as base64 data with its media type."""

    url: str = ""
    data: str = ""
    media_type: str = "image/png"
    type: Literal["image"] = "image"


ContentPart = TextPart | ImagePart


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: the name it calls it by (`[A-Za-z0-9_-]{1,64}` on every
    provider type), what it does, and its parameters as a JSON Schema object."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class ToolCall:
    """A call the model made, whole. Also the Event a stream gives once a call's last
    fragment has arrived (a protocol assembles fragments itself).

    `arguments` is the JSON text the model wrote, not parsed: it may be invalid, and it is sent
    back exactly as written. `id` is the provider's call id (generated when the provider gives
    none, as Gemini may). `signature` is an opaque token the provider wants back with the call
    (Gemini's `thoughtSignature`); "" when there is none."""

    id: str
    name: str
    arguments: str
    signature: str = ""
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True)
class ToolResult:
    """What a tool call gave, as sent back to the model in a `tool` message. `name` is the
    called tool's name (Gemini matches results by name); `is_error` marks a failure or a
    refusal (the text says which), so a model can try again or give up."""

    call_id: str
    name: str
    content: str
    is_error: bool = False


@dataclass(frozen=True)
class Message:
    """One message of the history sent. An assistant message may carry the `tool_calls` it made
    (its content then holds the text said before them, maybe ""); each result comes back as a
    message of role `tool` with `tool_result` set (its `content` is "")."""

    role: Role
    content: str | tuple[ContentPart, ...]
    tool_calls: tuple[ToolCall, ...] = ()
    tool_result: ToolResult | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    reasoning_effort: str | None = None
    extra_body: dict = field(default_factory=dict)
    tools: tuple[ToolSpec, ...] = ()
    """The tools the model may call; none sends no tool fields at all."""
    tool_choice: Literal["auto", "none", "required"] | None = None
    """None: the provider's default (auto when tools are given)."""


@dataclass(frozen=True)
class TextDelta:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class ReasoningDelta:
    text: str
    type: Literal["reasoning"] = "reasoning"


@dataclass(frozen=True)
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    type: Literal["usage"] = "usage"


StopReason = Literal[
    "stop",
    "length",
    "tool_calls",
    "content_filter",
    "cut_off",
    "size_limit",
    "step_limit",
    "cancelled",
    "interrupted",
    "error",
]
"""Why an answer ended, in one vocabulary for every provider type.

The protocol layer reports the first five (`Finish.reason`): the model finished (`stop`), hit
its token limit (`length`), asked for tools (`tool_calls`), was filtered (`content_filter`),
or the stream ended with no finish at all (`cut_off`). The chat layer adds the rest: drupe's
own size cap (`size_limit`), the step cap on rounds of tool calls (`step_limit`), the user stopping it (`cancelled`), the process that was receiving it
ending first (`interrupted`: a crash, kill -9 or power loss; found when drupe next opens the
database), a failure (`error`)."""


@dataclass(frozen=True)
class Finish:
    reason: str
    """A `StopReason` once normalised by the protocol module."""
    type: Literal["finish"] = "finish"


@dataclass(frozen=True)
class Metrics:
    """Measured by the client, emitted once after the stream ends."""

    time_to_first_token_ms: float | None
    tokens_per_second: float | None
    type: Literal["metrics"] = "metrics"


Event = TextDelta | ReasoningDelta | ToolCall | Usage | Finish | Metrics


@dataclass(frozen=True)
class ChatResult:
    """A whole answer: what a non-streaming call returns, or a stream folded up."""

    text: str = ""
    reasoning: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    time_to_first_token_ms: float | None = None
    tokens_per_second: float | None = None


@dataclass(frozen=True)
class RemoteModel:
    """One entry of a provider's model list."""

    id: str
    name: str = ""
    owned_by: str = ""
    context_window: int | None = None
    max_output: int | None = None
