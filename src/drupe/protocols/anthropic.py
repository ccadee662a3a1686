"""Anthropic Messages: typed SSE events, thinking blocks, paginated model list."""

from __future__ import annotations

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
    Usage,
)
from drupe.protocols.contract import ProviderType
from drupe.protocols.http_errors import error_from_payload
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

DEFAULT_MAX_TOKENS = 4096
"""Anthropic requires `max_tokens`; this is used when the request has none."""

THINKING_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384}
"""`reasoning_effort` as an extended-thinking token budget ("none" turns thinking off)."""

FINISH: dict[str, StopReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "pause_turn": "length",  # the API paused a long turn; like a token cap, it can be continued
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _message(message: Message) -> dict:
    if isinstance(message.content, str):
        return {"role": message.role, "content": message.content}
    return {"role": message.role, "content": [_part(part) for part in message.content]}


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


class Parser(StreamParser):
    def __init__(self) -> None:
        super().__init__()
        self._input_tokens: int | None = None

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
        elif kind == "content_block_start":
            return _block_events(payload.get("content_block") or {})
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
    """A content block's initial text (usually empty, the deltas follow)."""
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
        budget = THINKING_BUDGETS.get(request.reasoning_effort or "")
        body: dict = {
            "model": request.model,
            "messages": [_message(m) for m in request.messages if m.role != "system"],
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS + (budget or 0),
            "stream": stream,
        }
        system = system_text(request.messages)
        if system:
            body["system"] = system
        if budget:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop:
            body["stop_sequences"] = list(request.stop)
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
