"""Serving the Anthropic Messages API (`POST /v1/messages`): the request read into drupe's
`ChatRequest`, the answer written back as its typed events or one `message`.

Read as documented (https://docs.anthropic.com/en/api/messages): `system` (a string or text
blocks), user text, images (base64 or URL sources) and `tool_result` blocks (each becomes a
`tool` message, named after the `tool_use` it answers), assistant text and `tool_use` blocks,
custom `tools`, `tool_choice` (`any` is "required"; naming a tool offers only that one),
`thinking` (its budget becomes a reasoning effort: under 4,096 tokens low, under 16,384 medium,
else high). Thinking blocks a client sends back are left out (drupe keeps no reasoning in a
history). Refused, naming the field: documents, server tools and their blocks, MCP servers,
images inside tool results. Other fields pass through to an Anthropic provider (`top_k`,
`metadata`…).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from drupe.protocols.base import (
    ChatRequest,
    ChatResult,
    ContentPart,
    Event,
    Finish,
    ImagePart,
    Message,
    ReasoningDelta,
    TextDelta,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)
from drupe.protocols.contract import ClientAPI, ServedModel
from drupe.protocols.serving import fields as f
from drupe.protocols.serving.base import ClientRequest, ServedError, ServedErrorKind, StreamWriter
from drupe.protocols.tool_arguments import arguments_object

HANDLED = frozenset({
    "model", "messages", "system", "max_tokens", "stream", "tools", "tool_choice", "temperature", "top_p",
    "stop_sequences", "thinking", "mcp_servers", "container",
})  # fmt: skip
"""Fields read here; every other field is passed through to an Anthropic provider."""

REFUSED = {
    "mcp_servers": "the MCP connector is not passed on (drupe runs its own MCP tools)",
    "container": "code execution containers are not passed on",
}

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}
"""drupe's stop reasons in this API's words; any other (a stream cut off) is `max_tokens`: the answer is not whole."""

ERROR_TYPES: dict[ServedErrorKind, str] = {
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "method_not_allowed": "invalid_request_error",
    "too_large": "request_too_large",
    "rate_limit": "rate_limit_error",
    "api_error": "api_error",
    "upstream": "api_error",
    "unavailable": "overloaded_error",
    "timeout": "timeout_error",
}

EFFORT_BUDGETS = ((16384, "high"), (4096, "medium"), (0, "low"))
"""A thinking budget as the effort of the largest level it reaches (the provider modules' budgets)."""


class AnthropicAPI(ClientAPI):
    id = "anthropic"
    label = "Anthropic Messages"
    chat_path = "messages"
    native_types: ClassVar[tuple[str, ...]] = ("anthropic",)

    def read_request(self, body: object) -> ClientRequest:
        data = f.body_object(body)
        model = f.text(f.required(data, "model"), "model", empty=False)
        for name, why in REFUSED.items():
            if data.get(name) is not None:
                raise f.invalid(name, why)
        tools, choice = _tools(data)
        system = data.get("system")
        messages = _messages(data.get("messages"))
        if system is not None:
            messages = (Message("system", _system(system)), *messages)
        chat = ChatRequest(
            model=model,
            messages=messages,
            temperature=f.number(data, "temperature", 0, 1),
            top_p=f.number(data, "top_p", 0, 1),
            max_tokens=f.count(data, "max_tokens"),
            stop=f.stops(data.get("stop_sequences"), "stop_sequences", single=False),
            reasoning_effort=_effort(data.get("thinking")),
            tools=tools,
            tool_choice=choice,
        )
        passthrough = {name: value for name, value in data.items() if name not in HANDLED}
        return ClientRequest(chat, f.flag(data, "stream"), True, passthrough)

    def stream_writer(self, model: str, request: ClientRequest) -> StreamWriter:
        return EventWriter(model)

    def whole_body(self, model: str, result: ChatResult) -> dict:
        content: list[dict] = []
        if result.reasoning:
            content.append({"type": "thinking", "thinking": result.reasoning, "signature": ""})
        if result.text or not result.tool_calls:
            content.append({"type": "text", "text": result.text})
        content += [_tool_use(call, whole=True) for call in result.tool_calls]
        return {
            "id": _new_id(),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": _stop_reason(result.finish_reason),
            "stop_sequence": None,
            "usage": {"input_tokens": result.input_tokens or 0, "output_tokens": result.output_tokens or 0},
        }

    def error_body(self, error: ServedError) -> dict:
        return {"type": "error", "error": {"type": ERROR_TYPES[error.kind], "message": error.message}}

    def models_body(self, models: list[ServedModel]) -> dict:
        data = [
            {"type": "model", "id": m.id, "display_name": m.name or m.id, "created_at": "1970-01-01T00:00:00Z"}
            for m in models
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }


class EventWriter(StreamWriter):
    """`message_start`, a `content_block_start`/`_delta`/`_stop` run per text, thinking or
    `tool_use` block (a call's input in one `input_json_delta`), then `message_delta` with the
    stop reason and usage, and `message_stop`."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.index = -1
        self.open: str | None = None  # the kind of the block being written: "text", "thinking" or None
        self.usage = Usage()
        self.reason: str | None = None

    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": _new_id(), "type": "message", "role": "assistant", "model": self.model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 0, "output_tokens": 0},
        }  # fmt: skip
        return _event("message_start", {"type": "message_start", "message": message})

    def write(self, event: Event) -> bytes:
        kind = type(event)
        if kind is TextDelta:
            return self._delta("text", b'{"type":"text_delta","text":' + _dumps(event.text) + b"}")  # type: ignore[union-attr]
        if kind is ReasoningDelta:
            return self._delta("thinking", b'{"type":"thinking_delta","thinking":' + _dumps(event.text) + b"}")  # type: ignore[union-attr]
        if kind is ToolCall:
            out = self._close()
            self.index += 1
            start = {"type": "content_block_start", "index": self.index, "content_block": _tool_use(event)}  # type: ignore[arg-type]
            arguments = json.dumps(arguments_object(event.arguments), ensure_ascii=False)  # type: ignore[union-attr]
            delta = {"type": "input_json_delta", "partial_json": arguments}
            out += _event("content_block_start", start)
            out += _event("content_block_delta", {"type": "content_block_delta", "index": self.index, "delta": delta})
            return out + _event("content_block_stop", {"type": "content_block_stop", "index": self.index})
        if kind is Usage:
            self.usage = event  # type: ignore[assignment]
        elif kind is Finish:
            self.reason = event.reason  # type: ignore[union-attr]
        return b""

    def end(self) -> bytes:
        usage: dict[str, int] = {"output_tokens": self.usage.output_tokens or 0}
        if self.usage.input_tokens is not None:
            usage["input_tokens"] = self.usage.input_tokens
        delta = {"stop_reason": _stop_reason(self.reason), "stop_sequence": None}
        out = self._close() + _event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})
        return out + _event("message_stop", {"type": "message_stop"})

    def error(self, error: ServedError) -> bytes:
        """An `error` event, as Anthropic sends one mid-stream; nothing follows it."""
        return _event("error", AnthropicAPI().error_body(error))

    def _delta(self, block: str, delta: bytes) -> bytes:
        out = b""
        if self.open != block:
            out = self._close()
            self.index += 1
            self.open = block
            opened = (
                {"type": "text", "text": ""}
                if block == "text"
                else {"type": "thinking", "thinking": "", "signature": ""}
            )
            out += _event(
                "content_block_start", {"type": "content_block_start", "index": self.index, "content_block": opened}
            )
        return out + b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%d,"delta":%s}\n\n' % (
            self.index,
            delta,
        )

    def _close(self) -> bytes:
        if self.open is None:
            return b""
        self.open = None
        return _event("content_block_stop", {"type": "content_block_stop", "index": self.index})


def _event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _dumps(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode()


def _new_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _stop_reason(reason: str | None) -> str:
    return STOP_REASONS.get(reason or "stop", "max_tokens")


def _tool_use(call: ToolCall, whole: bool = False) -> dict:
    """A `tool_use` block: its input in full for a whole answer, `{}` at a streamed block's start."""
    return {
        "type": "tool_use",
        "id": call.id,
        "name": call.name,
        "input": arguments_object(call.arguments) if whole else {},
    }


# Reading ----------------------------------------------------------------------------


def _system(value: object) -> str:
    if isinstance(value, str):
        return value
    pieces = []
    for index, item in enumerate(f.array(value, "system")):
        block = f.obj(item, f"system[{index}]")
        kind = f.text(f.required(block, "type", f"system[{index}]."), f"system[{index}].type")
        if kind != "text":
            raise f.untranslatable(f"system[{index}].type", kind, "the system prompt is text blocks")
        pieces.append(f.text(block.get("text"), f"system[{index}].text"))
    return "\n".join(pieces)


def _effort(value: object) -> str | None:
    if value is None:
        return None
    thinking = f.obj(value, "thinking")
    kind = thinking.get("type")
    if kind == "disabled":
        return None
    if kind == "adaptive":
        return "medium"
    if kind != "enabled":
        raise f.invalid("thinking.type", f"expected enabled, disabled or adaptive, not {kind!r}")
    budget = f.count(thinking, "budget_tokens")
    if budget is None:
        raise f.invalid("thinking.budget_tokens", "is required")
    return next(effort for floor, effort in EFFORT_BUDGETS if budget >= floor)


def _messages(value: object) -> tuple[Message, ...]:
    if value is None:
        raise f.invalid("messages", "is required")
    names: dict[str, str] = {}  # tool_use id → the tool's name, for the results
    messages: list[Message] = []
    for index, item in enumerate(f.array(value, "messages", empty=False)):
        field = f"messages[{index}]"
        entry = f.obj(item, field)
        role = f.text(f.required(entry, "role", f"{field}."), f"{field}.role")
        if role not in ("user", "assistant"):
            raise f.invalid(f"{field}.role", f"expected user or assistant, not {role!r}")
        content = f.required(entry, "content", f"{field}.")
        if isinstance(content, str):
            messages.append(Message("user" if role == "user" else "assistant", content))
        elif role == "user":
            messages += _user(f.array(content, f"{field}.content", empty=False), f"{field}.content", names)
        else:
            messages.append(_assistant(f.array(content, f"{field}.content"), f"{field}.content", names))
    return tuple(messages)


def _user(blocks: list, field: str, names: dict[str, str]) -> list[Message]:
    """Tool results as `tool` messages, then the rest of the turn as one user message."""
    results: list[Message] = []
    parts: list[ContentPart] = []
    for index, item in enumerate(blocks):
        where = f"{field}[{index}]"
        block = f.obj(item, where)
        kind = f.text(f.required(block, "type", f"{where}."), f"{where}.type")
        if kind == "text":
            parts.append(TextPart(f.text(block.get("text"), f"{where}.text")))
        elif kind == "image":
            parts.append(_image(block, where))
        elif kind == "tool_result":
            results.append(_result(block, where, names))
        else:
            raise f.untranslatable(f"{where}.type", kind, "drupe passes text, image and tool_result blocks")
    if parts:
        results.append(Message("user", tuple(parts)))
    return results


def _assistant(blocks: list, field: str, names: dict[str, str]) -> Message:
    said: list[str] = []
    calls: list[ToolCall] = []
    for index, item in enumerate(blocks):
        where = f"{field}[{index}]"
        block = f.obj(item, where)
        kind = f.text(f.required(block, "type", f"{where}."), f"{where}.type")
        if kind == "text":
            said.append(f.text(block.get("text"), f"{where}.text"))
        elif kind == "tool_use":
            call_id = f.text(f.required(block, "id", f"{where}."), f"{where}.id", empty=False)
            name = f.text(f.required(block, "name", f"{where}."), f"{where}.name", empty=False)
            names[call_id] = name
            calls.append(ToolCall(call_id, name, f.arguments_json(f.obj(block.get("input", {}), f"{where}.input"))))
        elif kind not in ("thinking", "redacted_thinking"):
            raise f.untranslatable(f"{where}.type", kind, "drupe passes text, tool_use and thinking blocks")
    return Message("assistant", "".join(said), tool_calls=tuple(calls))


def _result(block: dict, field: str, names: dict[str, str]) -> Message:
    call_id = f.text(f.required(block, "tool_use_id", f"{field}."), f"{field}.tool_use_id", empty=False)
    if call_id not in names:
        raise f.invalid(f"{field}.tool_use_id", "no earlier assistant message has a tool_use block with this id")
    content = block.get("content")
    if content is None or isinstance(content, str):
        text = content or ""
    else:
        pieces = []
        for index, item in enumerate(f.array(content, f"{field}.content")):
            part = f.obj(item, f"{field}.content[{index}]")
            kind = f.text(f.required(part, "type", f"{field}.content[{index}]."), f"{field}.content[{index}].type")
            if kind != "text":
                raise f.untranslatable(f"{field}.content[{index}].type", kind, "a tool result is passed on as text")
            pieces.append(f.text(part.get("text"), f"{field}.content[{index}].text"))
        text = "\n".join(pieces)
    failed = block.get("is_error", False)
    if not isinstance(failed, bool):
        raise f.invalid(f"{field}.is_error", "expected true or false")
    return Message("tool", "", tool_result=ToolResult(call_id, names[call_id], text, failed))


def _image(block: dict, field: str) -> ImagePart:
    source = f.obj(f.required(block, "source", f"{field}."), f"{field}.source")
    kind = source.get("type")
    if kind == "base64":
        media_type = f.text(f.required(source, "media_type", f"{field}.source."), f"{field}.source.media_type")
        data = f.text(f.required(source, "data", f"{field}.source."), f"{field}.source.data", empty=False)
        return ImagePart(data=data, media_type=media_type)
    if kind == "url":
        url = f.text(f.required(source, "url", f"{field}.source."), f"{field}.source.url")
        return f.image_url(url, f"{field}.source.url")
    raise f.untranslatable(f"{field}.source.type", str(kind), "images are passed as base64 or URL sources")


def _tools(data: dict) -> tuple[tuple[ToolSpec, ...], Any]:
    specs: list[ToolSpec] = []
    for index, item in enumerate(f.array(data.get("tools") or [], "tools")):
        where = f"tools[{index}]"
        tool = f.obj(item, where)
        kind = tool.get("type", "custom")
        if kind not in ("custom", None):
            raise f.untranslatable(f"{where}.type", str(kind), "server tools are not passed on; define custom tools")
        specs.append(f.tool_spec(tool, where, "input_schema"))
    choice = data.get("tool_choice")
    if choice is None:
        return tuple(specs), None
    chosen = f.obj(choice, "tool_choice")
    kind = chosen.get("type")
    if kind in ("auto", "none"):
        return tuple(specs), kind
    if kind == "any":
        return tuple(specs), "required"
    if kind == "tool":
        name = f.text(f.required(chosen, "name", "tool_choice."), "tool_choice.name")
        narrowed = tuple(spec for spec in specs if spec.name == name)
        if not narrowed:
            raise f.invalid("tool_choice.name", f"no tool named {name!r} is in `tools`")
        return narrowed, "required"
    raise f.invalid("tool_choice.type", f"expected auto, any, tool or none, not {kind!r}")
