"""Google Gemini `generateContent`: candidates of parts, thought parts, usage metadata."""

from __future__ import annotations

from drupe.protocols.base import (
    ChatRequest,
    ContentPart,
    Endpoint,
    Event,
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
from drupe.protocols.urls import Operation, quote_model
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

THINKING_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
"""`reasoning_effort` as a `thinkingBudget` in tokens."""

FINISH: dict[str, StopReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "LANGUAGE": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "MALFORMED_FUNCTION_CALL": "tool_calls",
    "UNEXPECTED_TOOL_CALL": "tool_calls",
    "TOO_MANY_TOOL_CALLS": "tool_calls",
}
"""Gemini's `finishReason`s (https://ai.google.dev/api/generate-content#FinishReason); the rest
(`OTHER`, `FINISH_REASON_UNSPECIFIED`, `NO_IMAGE`…) are `stop`."""


def _content(message: Message) -> dict:
    role = "model" if message.role == "assistant" else "user"
    if isinstance(message.content, str):
        return {"role": role, "parts": [{"text": message.content}]}
    return {"role": role, "parts": [_part(part) for part in message.content]}


def _part(part: ContentPart) -> dict:
    if isinstance(part, ImagePart):
        if part.url:
            return {"fileData": {"mimeType": part.media_type, "fileUri": part.url}}
        return {"inlineData": {"mimeType": part.media_type, "data": part.data}}
    return {"text": part.text}


def _usage(metadata: dict) -> Usage:
    """Thinking tokens are billed and generated like output, so they count as output."""
    counts = [metadata.get(name) for name in ("candidatesTokenCount", "thoughtsTokenCount")]
    output = [count for count in counts if isinstance(count, int)]
    return Usage(count_field(metadata, "promptTokenCount"), sum(output) if output else None)


class Parser(StreamParser):
    """Each SSE event is a whole GenerateContentResponse; usage is cumulative, the last wins."""

    def feed(self, event: str, data: str) -> list[Event]:
        return self.read(load_json(data))

    def read(self, response: dict) -> list[Event]:
        if "error" in response:
            raise error_from_payload(response)
        events: list[Event] = []
        candidate = (response.get("candidates") or [{}])[0]
        for part in (candidate.get("content") or {}).get("parts") or ():
            text = part.get("text")
            if text and isinstance(text, str):
                events.append(ReasoningDelta(text) if part.get("thought") else TextDelta(text))
        if candidate.get("finishReason"):
            self.finish = stop_reason(candidate["finishReason"], FINISH)
        if (response.get("promptFeedback") or {}).get("blockReason"):
            self.finish = "content_filter"
        if response.get("usageMetadata"):
            self.usage = _usage(response["usageMetadata"])
        return events


class Gemini(ProviderType):
    id = "gemini"
    label = "Gemini"
    official_base_url = "https://generativelanguage.googleapis.com"
    default_api_version = "v1beta"
    Parser = Parser

    def auth_headers(self, endpoint: Endpoint, key: str | None) -> dict[str, str]:
        return {"x-goog-api-key": key} if key else {}

    def operation_path(self, operation: Operation, model: str) -> str:
        """The model is part of a chat path, and streaming is another method (with SSE asked for)."""
        if operation == "models":
            return "models"
        method = "streamGenerateContent?alt=sse" if operation == "chat" else "generateContent"
        return f"models/{quote_model(model)}:{method}"

    def build_chat(self, endpoint: Endpoint, request: ChatRequest, key: str | None, stream: bool) -> WireRequest:
        body: dict = {"contents": [_content(m) for m in request.messages if m.role != "system"]}
        system = system_text(request.messages)
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        config: dict = {}
        for name, value in (
            ("temperature", request.temperature),
            ("topP", request.top_p),
            ("maxOutputTokens", request.max_tokens),
        ):
            if value is not None:
                config[name] = value
        if request.stop:
            config["stopSequences"] = list(request.stop)
        if request.reasoning_effort in THINKING_BUDGETS:
            budget = THINKING_BUDGETS[request.reasoning_effort]
            config["thinkingConfig"] = {"includeThoughts": budget > 0, "thinkingBudget": budget}
        if config:
            body["generationConfig"] = config
        url = self.chat_url(endpoint, request.model, stream)
        return WireRequest(url, self.headers(endpoint, key), final_body(body, endpoint, request))

    def build_models(self, endpoint: Endpoint, key: str | None, cursor: str | None = None) -> WireRequest:
        """One page of models; `cursor` is the previous page's `nextPageToken`."""
        params = {"pageSize": "1000"}
        if cursor:
            params["pageToken"] = cursor
        return WireRequest(self.models_url(endpoint), self.headers(endpoint, key), method="GET", params=params)

    def parse_response(self, data: dict) -> list[Event]:
        parser = Parser()
        return parser.read(data) + parser.close()

    def parse_models(self, data: dict) -> tuple[list[RemoteModel], str | None]:
        """Names come as `models/ID`; models that cannot chat (embeddings) are left out."""
        models = [
            RemoteModel(
                id=item["name"].removeprefix("models/"),
                name=text_field(item, "displayName"),
                context_window=count_field(item, "inputTokenLimit"),
                max_output=count_field(item, "outputTokenLimit"),
            )
            for item in model_items(data, "models", "name")
            if isinstance(methods := item.get("supportedGenerationMethods", ["generateContent"]), list)
            and "generateContent" in methods
        ]
        return models, text_field(data, "nextPageToken") or None
