"""Anthropic Messages: typed SSE events, thinking blocks, tool use, paginated model list.

Tools (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use): each
`ToolSpec` is a `tools` entry with its schema as `input_schema`; an assistant turn's calls are
`tool_use` blocks after its text; results are `tool_result` blocks, all of one round in ONE user
message (with the user's next words after them, if any: "tool_result blocks must come first").
Calls stream as a `tool_use` block whose `input` arrives as `input_json_delta` fragments.
Arguments that are not a JSON object are sent wrapped (`drupe.protocols.tool_arguments`). Ids
must match `^[a-zA-Z0-9_-]+$`, so an id made elsewhere is rewritten by `tool_id`, the same way
on the call and on its result. Without tools offered, past calls and results go as text; with
them, extended thinking is left off where Anthropic would refuse it (`_thinking_allowed`); its
budget and `max_tokens` come from `drupe.protocols.reasoning`.
"""

from __future__ import annotations

import hashlib
import re

from drupe.protocols.base import (
    ChatRequest,
    ContentPart,
    Endpoint,
    Event,
    Finish,
    ImagePart,
    Message,
    ReasoningDelta,
    RemoteModel,
    StopReason,
    TextDelta,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)
from drupe.protocols.contract import ProviderType
from drupe.protocols.http_errors import error_from_payload
from drupe.protocols.reasoning import anthropic_fields
from drupe.protocols.tool_arguments import arguments_object, check_arguments_size, check_call_count
from drupe.protocols.tool_calls import arguments_text
from drupe.protocols.wire import (
    StreamParser,
    WireRequest,
    count_field,
    final_body,
    load_json,
    model_items,
    stop_reason,
    system_text,
    text_field,
)

API_VERSION = "2023-06-01"
"""The `anthropic-version` header every request must carry."""

FINISH: dict[str, StopReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "pause_turn": "length",  # the API paused a long turn; like a token cap, it can be continued
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


TOOL_CHOICE = {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}

_TOOL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def tool_id(call_id: str) -> str:
    """A call id Anthropic accepts: kept when it already is one (`toolu_…`, OpenAI's `call_…`),
    otherwise its allowed characters and a hash of the whole id, so two ids stay two."""
    if _TOOL_ID.fullmatch(call_id):
        return call_id
    digest = hashlib.sha256(call_id.encode()).hexdigest()[:16]
    return f"{re.sub(r'[^a-zA-Z0-9_-]', '_', call_id)[:40] or 'call'}_{digest}"


def _tool(spec: ToolSpec) -> dict:
    tool: dict = {"name": spec.name}
    if spec.description:
        tool["description"] = spec.description
    tool["input_schema"] = spec.parameters if spec.parameters.get("type") else {"type": "object", **spec.parameters}
    return tool


def _messages(messages: tuple[Message, ...], tools: bool) -> list[dict]:
    """The turns as sent. A run of tool results is one user message, which the next user message
    joins; without tools offered, calls and results go as text (Anthropic refuses `tool_use`
    blocks in a request that defines no tools)."""
    out: list[dict] = []
    results_open = False
    for message in messages:
        if message.role == "system":
            continue
        if message.tool_result is not None:
            block = _result_block(message.tool_result) if tools else _text_block(_result_text(message.tool_result))
            if results_open:
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
                results_open = True
            continue
        if message.role == "user" and results_open:
            out[-1]["content"].extend(_blocks(message.content))
        elif message.tool_calls:
            calls = [_call_block(call) if tools else _text_block(_call_text(call)) for call in message.tool_calls]
            out.append({"role": "assistant", "content": _blocks(message.content) + calls})
        else:
            out.append(_message(message))
        results_open = False
    return out


def _thinking_allowed(request: ChatRequest) -> bool:
    """Whether extended thinking can be on. With thinking, Anthropic wants the last assistant turn
    to start with the thinking block that led to its `tool_use` blocks, which drupe does not keep,
    and takes only `tool_choice` auto or none: in a round of tool calls, or with tools required,
    the request goes without thinking rather than being refused."""
    if not request.tools:
        return True
    if request.tool_choice == "required":
        return False
    last = next((m for m in reversed(request.messages) if m.role == "assistant"), None)
    return last is None or not last.tool_calls


def _message(message: Message) -> dict:
    if isinstance(message.content, str):
        return {"role": message.role, "content": message.content}
    return {"role": message.role, "content": [_part(part) for part in message.content]}


def _blocks(content: str | tuple[ContentPart, ...]) -> list[dict]:
    """Content as blocks, without empty text (Anthropic rejects an empty text block)."""
    parts = (TextPart(content),) if isinstance(content, str) else content
    return [_part(part) for part in parts if not (isinstance(part, TextPart) and not part.text)]


def _text_block(text: str) -> dict:
    return {"type": "text", "text": text}


def _call_block(call: ToolCall) -> dict:
    return {"type": "tool_use", "id": tool_id(call.id), "name": call.name, "input": arguments_object(call.arguments)}


def _result_block(result: ToolResult) -> dict:
    block: dict = {"type": "tool_result", "tool_use_id": tool_id(result.call_id)}
    if result.content:
        block["content"] = result.content
    if result.is_error:
        block["is_error"] = True
    return block


def _call_text(call: ToolCall) -> str:
    return f"[Called tool {call.name} with arguments {call.arguments}]"


def _result_text(result: ToolResult) -> str:
    return f"[Tool {result.name} {'failed' if result.is_error else 'returned'}: {result.content}]"


def _part(part: ContentPart) -> dict:
    if isinstance(part, ImagePart):
        source = (
            {"type": "url", "url": part.url}
            if part.url
            else {"type": "base64", "media_type": part.media_type, "data": part.data}
        )
        return {"type": "image", "source": source}
    return {"type": "text", "text": part.text}


def _input_tokens(usage: dict) -> int | None:
    """Cached prompt tokens are counted apart from `input_tokens`; the prompt is their sum."""
    found = [usage.get(name) for name in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")]
    counts = [count for count in found if isinstance(count, int)]
    return sum(counts) if counts else None


class _OpenCall:
    """A `tool_use` block being streamed: its id, name and the `input_json_delta` fragments so far."""

    def __init__(self, block: dict) -> None:
        self.id = str(block.get("id") or "")
        self.name = str(block.get("name") or "")
        self.start = block.get("input")
        self.fragments: list[str] = []
        self.chars = 0

    def add(self, fragment: str) -> None:
        self.chars += len(fragment)
        check_arguments_size(self.chars, self.name)
        self.fragments.append(fragment)

    def call(self) -> ToolCall:
        """The whole call: the fragments joined, else the start block's `input` if it had any, else `{}`."""
        arguments = "".join(self.fragments) or (arguments_text(self.start) if self.start else "{}")
        return ToolCall(self.id, self.name, arguments)


class Parser(StreamParser):
    def __init__(self) -> None:
        super().__init__()
        self._input_tokens: int | None = None
        self._calls: dict[object, _OpenCall] = {}
        self._call_count = 0

    def feed(self, event: str, data: str) -> list[Event]:
        payload = load_json(data)
        kind = payload.get("type") or event
        if kind == "content_block_delta":
            delta = payload.get("delta") or {}
            if delta.get("type") == "text_delta" and isinstance(text := delta.get("text"), str) and text:
                return [TextDelta(text)]
            if (
                delta.get("type") == "thinking_delta"
                and isinstance(thinking := delta.get("thinking"), str)
                and thinking
            ):
                return [ReasoningDelta(thinking)]
            if (
                delta.get("type") == "input_json_delta"
                and (call := self._calls.get(payload.get("index")))
                and isinstance(fragment := delta.get("partial_json"), str)
            ):
                call.add(fragment)
        elif kind == "content_block_start":
            block = payload.get("content_block") or {}
            if block.get("type") == "tool_use":
                self._call_count += 1
                check_call_count(self._call_count)
                self._calls[payload.get("index")] = _OpenCall(block)
                return []
            return _block_events(block)
        elif kind == "content_block_stop":
            if (call := self._calls.pop(payload.get("index"), None)) is not None:
                return [call.call()]
        elif kind == "message_start":
            self._input_tokens = _input_tokens((payload.get("message") or {}).get("usage") or {})
        elif kind == "message_delta":
            usage = payload.get("usage") or {}
            self.usage = Usage(_input_tokens(usage) or self._input_tokens, count_field(usage, "output_tokens"))
            reason = (payload.get("delta") or {}).get("stop_reason")
            if reason:
                self.finish = stop_reason(reason, FINISH)
        elif kind == "message_stop":
            self.ended = True
        elif kind == "error":
            raise error_from_payload(payload)
        return []


def _block_events(block: dict) -> list[Event]:
    """A content block's initial text (usually empty, the deltas follow), or a whole block of an
    answer that was not streamed."""
    if block.get("type") == "tool_use":
        call = ToolCall(
            str(block.get("id") or ""), str(block.get("name") or ""), arguments_text(block.get("input", {}))
        )
        check_arguments_size(len(call.arguments), call.name)
        return [call]
    if block.get("type") == "text" and isinstance(text := block.get("text"), str) and text:
        return [TextDelta(text)]
    if block.get("type") == "thinking" and isinstance(thinking := block.get("thinking"), str) and thinking:
        return [ReasoningDelta(thinking)]
    return []


class Anthropic(ProviderType):
    id = "anthropic"
    label = "Anthropic"
    official_base_url = "https://api.anthropic.com"
    chat_path = "messages"
    Parser = Parser

    def auth_headers(self, endpoint: Endpoint, key: str | None) -> dict[str, str]:
        """The key in `x-api-key`, and the API version every request must name."""
        return {"anthropic-version": API_VERSION, **({"x-api-key": key} if key else {})}

    def build_chat(self, endpoint: Endpoint, request: ChatRequest, key: str | None, stream: bool) -> WireRequest:
        effort = request.reasoning_effort if _thinking_allowed(request) else None
        body: dict = {
            "model": request.model,
            "messages": _messages(request.messages, bool(request.tools)),
            **anthropic_fields(effort, request.max_tokens),
            "stream": stream,
        }
        system = system_text(request.messages)
        if system:
            body["system"] = system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        if request.tools:
            body["tools"] = [_tool(spec) for spec in request.tools]
            if request.tool_choice:
                body["tool_choice"] = TOOL_CHOICE[request.tool_choice]
        url = self.chat_url(endpoint, request.model, stream)
        return WireRequest(url, self.headers(endpoint, key), final_body(body, endpoint, request))

    def build_models(self, endpoint: Endpoint, key: str | None, cursor: str | None = None) -> WireRequest:
        """One page of models; `cursor` is the previous page's `last_id`."""
        params = {"limit": "1000"}
        if cursor:
            params["after_id"] = cursor
        return WireRequest(self.models_url(endpoint), self.headers(endpoint, key), method="GET", params=params)

    def parse_response(self, data: dict) -> list[Event]:
        if data.get("type") == "error":
            raise error_from_payload(data)
        events: list[Event] = []
        for block in data.get("content") or ():
            events.extend(_block_events(block))
        check_call_count(sum(isinstance(event, ToolCall) for event in events))
        usage = data.get("usage") or {}
        if usage:
            events.append(Usage(_input_tokens(usage), count_field(usage, "output_tokens")))
        if data.get("stop_reason"):
            events.append(Finish(stop_reason(data["stop_reason"], FINISH)))
        return events

    def parse_models(self, data: dict) -> tuple[list[RemoteModel], str | None]:
        """A page of `{"data": [...], "has_more", "last_id"}`; the cursor is `last_id` while there is more."""
        models = [
            RemoteModel(id=item["id"], name=text_field(item, "display_name"))
            for item in model_items(data, "data", "id")
        ]
        cursor = (text_field(data, "last_id") or None) if data.get("has_more") is True else None
        return models, cursor
