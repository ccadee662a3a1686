"""OpenAI Chat Completions, the format most servers speak (llama.cpp, vLLM, Ollama, Azure…)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar
from urllib.parse import urlsplit

from drupe.protocols.base import (
    ChatRequest,
    Endpoint,
    Event,
    Finish,
    ImagePart,
    Message,
    ReasoningDelta,
    RemoteModel,
    StopReason,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from drupe.protocols.contract import FormField, ProviderType
from drupe.protocols.http_errors import error_from_payload
from drupe.protocols.reasoning import openai_chat_fields
from drupe.protocols.tool_calls import CallAssembler, arguments_text, text_or_empty, with_calls
from drupe.protocols.wire import (
    StreamParser,
    WireRequest,
    count_field,
    final_body,
    image_data_url,
    load_json,
    model_items,
    stop_reason,
    text_field,
)

FINISH: dict[str, StopReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    # Compatible servers' own words: TGI (`eos_token`, `stop_sequence`), Mistral (`model_length`, `error`).
    "eos": "stop",
    "eos_token": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_length": "length",
    "error": "cut_off",
}


def _message(message: Message) -> dict:
    if message.role == "tool":
        return _result(message)
    if message.tool_calls:
        return {
            "role": "assistant",
            "content": message.text() or None,
            "tool_calls": [_call(call) for call in message.tool_calls],
        }
    if isinstance(message.content, str):
        return {"role": message.role, "content": message.content}
    parts = [
        {"type": "image_url", "image_url": {"url": image_data_url(part)}}
        if isinstance(part, ImagePart)
        else {"type": "text", "text": part.text}
        for part in message.content
    ]
    return {"role": message.role, "content": parts}


def _call(call: ToolCall) -> dict:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def _result(message: Message) -> dict:
    """A tool's result; a failed or refused call has no field of its own here, its text says so."""
    result = message.tool_result
    if result is None:  # not made by drupe's runtime: sent as it is
        return {"role": "tool", "tool_call_id": "", "content": message.text()}
    return {"role": "tool", "tool_call_id": result.call_id, "content": result.content}


def _tool(tool: ToolSpec) -> dict:
    """A function tool, without `strict` (off by default here): strict mode accepts only a
    subset of JSON Schema that most MCP tools' schemas are not written in."""
    function: dict = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.parameters
    return {"type": "function", "function": function}


def tool_fields(body: dict, request: ChatRequest, tool: Callable[[ToolSpec], dict]) -> None:
    """`tools` and `tool_choice`, only when the request offers tools (Chat and Responses)."""
    if request.tools:
        body["tools"] = [tool(spec) for spec in request.tools]
        if request.tool_choice is not None:
            body["tool_choice"] = request.tool_choice


def _add_calls(calls: CallAssembler, items: object) -> None:
    """A `tool_calls` list, streamed (fragments) or whole, into `calls`. An entry without a
    usable `index` takes its place in the list."""
    if not isinstance(items, list):
        return
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        function = item.get("function")
        function = function if isinstance(function, dict) else {}
        index = item.get("index")
        key = index if isinstance(index, int) and not isinstance(index, bool) else position
        calls.fragment(
            key,
            text_or_empty(item.get("id")),
            text_or_empty(function.get("name")),
            arguments_text(function.get("arguments")),
        )


def _reasoning(delta: dict) -> str:
    """`reasoning_content` (DeepSeek, llama.cpp, vLLM) or `reasoning` (OpenRouter, Ollama)."""
    value = delta.get("reasoning_content") or delta.get("reasoning")
    return value if isinstance(value, str) else ""


def _usage(usage: dict) -> Usage:
    return Usage(count_field(usage, "prompt_tokens"), count_field(usage, "completion_tokens"))


class Parser(StreamParser):
    """Text and reasoning as they come; tool calls gathered by `index` and given whole, in
    index order, when the choice finishes (or when the stream ends without a finish)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = CallAssembler()

    def feed(self, event: str, data: str) -> list[Event]:
        if not data.startswith("{") and data.strip() == "[DONE]":
            self.ended = True
            return []
        chunk = load_json(data)
        if "error" in chunk:
            raise error_from_payload(chunk)
        events: list[Event] = []
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if "reasoning_content" in delta or "reasoning" in delta:  # most chunks have neither
                reasoning = _reasoning(delta)
                if reasoning:
                    events.append(ReasoningDelta(reasoning))
            content = delta.get("content")
            if isinstance(content, str) and content:
                events.append(TextDelta(content))
            if "tool_calls" in delta:  # most chunks have none
                _add_calls(self.calls, delta["tool_calls"])
            if choice.get("finish_reason"):
                events.extend(self.calls.drain())
                self.finish = with_calls(stop_reason(choice["finish_reason"], FINISH), self.calls.given > 0)
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"])
        return events

    def close(self) -> list[Event]:
        """Calls still being gathered come first: a stream may end without a finish reason."""
        calls = self.calls.drain()
        if calls and (self.finish == "stop" or (self.finish is None and self.ended)):
            self.finish = "tool_calls"
        return [*calls, *super().close()]


class OpenAIChat(ProviderType):
    """OpenAI Chat Completions, also spoken by most compatible servers."""

    id = "openai"
    label = "OpenAI"
    official_base_url = "https://api.openai.com"
    chat_path = "chat/completions"
    form_fields: ClassVar[tuple[FormField, ...]] = ("stream_usage",)
    Parser: ClassVar[type[StreamParser]] = Parser

    def build_chat(self, endpoint: Endpoint, request: ChatRequest, key: str | None, stream: bool) -> WireRequest:
        url = self.chat_url(endpoint, request.model, stream)
        body: dict = {"model": request.model, "messages": [_message(m) for m in request.messages], "stream": stream}
        if stream and endpoint.stream_usage:
            body["stream_options"] = {"include_usage": True}
        for name, value in (
            ("temperature", request.temperature),
            ("top_p", request.top_p),
            (self.token_limit_field(endpoint, url), request.max_tokens),
        ):
            if value is not None:
                body[name] = value
        body.update(openai_chat_fields(request.reasoning_effort))
        if request.stop:
            body["stop"] = list(request.stop)
        tool_fields(body, request, _tool)
        return WireRequest(url, self.headers(endpoint, key), final_body(body, endpoint, request))

    def token_limit_field(self, endpoint: Endpoint, url: str) -> str:
        """OpenAI's own API takes `max_completion_tokens`, and its reasoning models (o-series,
        gpt-5) reject `max_tokens`; most compatible servers (vLLM, llama.cpp, Ollama…) know only
        `max_tokens`."""
        try:
            official = urlsplit(url).hostname == "api.openai.com"
        except ValueError:  # not a URL at all: the transport says so
            official = False
        return "max_completion_tokens" if official else "max_tokens"

    def build_models(self, endpoint: Endpoint, key: str | None, cursor: str | None = None) -> WireRequest:
        """OpenAI lists every model in one page, so `cursor` is never used."""
        return WireRequest(self.models_url(endpoint), self.headers(endpoint, key), method="GET")

    def parse_response(self, data: dict) -> list[Event]:
        """A non-streaming completion as the events a stream of it would give."""
        if "error" in data:
            raise error_from_payload(data)
        choice = (data.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        events: list[Event] = []
        if _reasoning(message):
            events.append(ReasoningDelta(_reasoning(message)))
        if isinstance(message.get("content"), str) and message["content"]:
            events.append(TextDelta(message["content"]))
        calls = CallAssembler()
        _add_calls(calls, message.get("tool_calls"))
        events.extend(calls.drain())
        if data.get("usage"):
            events.append(_usage(data["usage"]))
        if choice.get("finish_reason"):
            events.append(Finish(with_calls(stop_reason(choice["finish_reason"], FINISH), calls.given > 0)))
        return events

    def parse_models(self, data: dict) -> tuple[list[RemoteModel], str | None]:
        """`{"data": [{"id": ...}]}`; OpenRouter adds `context_length`."""
        models = [
            RemoteModel(
                id=item["id"],
                name=text_field(item, "name"),
                owned_by=text_field(item, "owned_by"),
                context_window=count_field(item, "context_length"),
            )
            for item in model_items(data, "data", "id")
        ]
        return models, None
