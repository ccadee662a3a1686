"""Google Gemini `generateContent`: candidates of parts, thought parts, function calls, usage metadata.

Tools (https://ai.google.dev/gemini-api/docs/function-calling): the specs are one
`functionDeclarations` tool, their schemas rewritten to the subset Gemini accepts
(`drupe.protocols.gemini_schema`); `tool_choice` is `toolConfig.functionCallingConfig.mode`.
A model turn's calls are `functionCall` parts (`args` an object: arguments that are not one are
sent wrapped, see `drupe.protocols.tool_arguments`) carrying their `thoughtSignature`, which
Gemini 3 requires back (https://ai.google.dev/gemini-api/docs/thought-signatures); a turn whose
calls have none (made by another provider) gets the placeholder that page documents for history
Gemini did not write. A round of results is one user content of `functionResponse` parts,
`{"result": text}` or, for a failure, `{"error": text}`.

Calls arrive whole, one part each, several in one chunk when parallel; without an `id` they are
numbered `call_0`, `call_1`… in the answer. `finishReason` stays `STOP` when the model calls
tools, so an answer that made calls and stopped finishes as `tool_calls`.
"""

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
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)
from drupe.protocols.contract import ProviderType
from drupe.protocols.gemini_schema import to_gemini_schema
from drupe.protocols.http_errors import error_from_payload
from drupe.protocols.reasoning import gemini_thinking_config
from drupe.protocols.tool_arguments import arguments_object, check_arguments_size, check_call_count
from drupe.protocols.tool_calls import arguments_text
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


MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
"""`tool_choice` as `functionCallingConfig.mode`."""

FOREIGN_SIGNATURE = "skip_thought_signature_validator"
"""The `thoughtSignature` Gemini's docs give for function calls it did not make itself."""


def _contents(messages: tuple[Message, ...]) -> list[dict]:
    """The turns as sent; a run of tool results is one user content."""
    out: list[dict] = []
    results_open = False
    for message in messages:
        if message.role == "system":
            continue
        if message.tool_result is not None:
            part = _response_part(message.tool_result)
            if results_open:
                out[-1]["parts"].append(part)
            else:
                out.append({"role": "user", "parts": [part]})
                results_open = True
            continue
        results_open = False
        out.append(_content(message))
    return out


def _content(message: Message) -> dict:
    role = "model" if message.role == "assistant" else "user"
    if message.tool_calls:
        parts = [_part(part) for part in _parts(message.content) if not (isinstance(part, TextPart) and not part.text)]
        calls = [_call_part(call) for call in message.tool_calls]
        if not any(call.signature for call in message.tool_calls):
            calls[0]["thoughtSignature"] = FOREIGN_SIGNATURE
        return {"role": role, "parts": parts + calls}
    if isinstance(message.content, str):
        return {"role": role, "parts": [{"text": message.content}]}
    return {"role": role, "parts": [_part(part) for part in message.content]}


def _parts(content: str | tuple[ContentPart, ...]) -> tuple[ContentPart, ...]:
    return (TextPart(content),) if isinstance(content, str) else content


def _call_part(call: ToolCall) -> dict:
    function: dict = {"name": call.name, "args": arguments_object(call.arguments)}
    if call.id:
        function["id"] = call.id
    part: dict = {"functionCall": function}
    if call.signature:
        part["thoughtSignature"] = call.signature
    return part


def _response_part(result: ToolResult) -> dict:
    function: dict = {"name": result.name, "response": {"error" if result.is_error else "result": result.content}}
    if result.call_id:
        function["id"] = result.call_id
    return {"functionResponse": function}


def _declaration(spec: ToolSpec) -> dict:
    declaration: dict = {"name": spec.name}
    if spec.description:
        declaration["description"] = spec.description
    parameters = to_gemini_schema(spec.parameters)
    if parameters is not None:
        declaration["parameters"] = parameters
    return declaration


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

    def __init__(self) -> None:
        super().__init__()
        self._calls = 0

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
            elif isinstance(function := part.get("functionCall"), dict):
                events.append(self._call(function, part.get("thoughtSignature")))
        if candidate.get("finishReason"):
            self.finish = stop_reason(candidate["finishReason"], FINISH)
        if (response.get("promptFeedback") or {}).get("blockReason"):
            self.finish = "content_filter"
        if response.get("usageMetadata"):
            self.usage = _usage(response["usageMetadata"])
        return events

    def _call(self, function: dict, signature: object) -> ToolCall:
        """A whole call; its id is Gemini's, or its place in the answer."""
        self._calls += 1
        check_call_count(self._calls)
        name = str(function.get("name") or "")
        arguments = arguments_text(function.get("args", {}))
        check_arguments_size(len(arguments), name)
        call_id = function.get("id") if isinstance(function.get("id"), str) and function["id"] else ""
        return ToolCall(
            call_id or f"call_{self._calls - 1}", name, arguments, signature if isinstance(signature, str) else ""
        )

    def close(self) -> list[Event]:
        """Gemini says `STOP` after function calls too: an answer that made some asks for tools."""
        if self._calls and self.finish == "stop":
            self.finish = "tool_calls"
        return super().close()


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
        body: dict = {"contents": _contents(request.messages)}
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
        thinking = gemini_thinking_config(request.model, request.reasoning_effort)
        if thinking is not None:
            config["thinkingConfig"] = thinking
        if config:
            body["generationConfig"] = config
        if request.tools:
            body["tools"] = [{"functionDeclarations": [_declaration(spec) for spec in request.tools]}]
            if request.tool_choice:
                body["toolConfig"] = {"functionCallingConfig": {"mode": MODES[request.tool_choice]}}
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
