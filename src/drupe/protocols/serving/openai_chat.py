"""Serving OpenAI Chat Completions (`POST /v1/chat/completions`): the request read into drupe's
`ChatRequest`, the answer written back as `chat.completion.chunk`s or one `chat.completion`.

Read as documented (https://platform.openai.com/docs/api-reference/chat/create): system and
developer messages (one system prompt), user text and images (an http(s) URL or a base64 data
URL), assistant text and `tool_calls`, `tool` messages (the tool's name is the one its call
gave), `tools` of type function and `tool_choice` (a named function becomes "required" with
only that tool offered: the same answer). Refused, naming the field: what would change the
answer's shape (`n` > 1, `logprobs`, audio), the legacy `functions` and `function` messages.
Other fields pass through to a provider that speaks this API (`seed`, `response_format`…).
Reasoning, which this API does not define, is written as `reasoning_content` (as DeepSeek,
vLLM and llama.cpp do).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, ClassVar

from drupe.protocols.base import (
    ChatRequest,
    ChatResult,
    ContentPart,
    Event,
    Finish,
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

HANDLED = frozenset({
    "model", "messages", "stream", "stream_options", "tools", "tool_choice", "temperature", "top_p", "max_tokens",
    "max_completion_tokens", "stop", "reasoning_effort", "n", "logprobs", "top_logprobs", "modalities",
    "functions", "function_call", "audio", "prediction",
})  # fmt: skip
"""Fields read here; every other field is passed through to a provider speaking this API."""

REFUSED = {
    "functions": "the legacy `functions` field is not supported; send `tools`",
    "function_call": "the legacy `function_call` field is not supported; send `tool_choice`",
    "audio": "drupe passes text, images and tool calls, not audio",
    "prediction": "predicted outputs are not passed on",
}

FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter"}
"""drupe's stop reasons in this API's words; any other (a stream cut off) is `length`: the answer is not whole."""

ERROR_TYPES: dict[ServedErrorKind, str] = {
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "method_not_allowed": "invalid_request_error",
    "too_large": "invalid_request_error",
    "rate_limit": "rate_limit_error",
    "api_error": "server_error",
    "upstream": "upstream_error",
    "unavailable": "server_error",
    "timeout": "timeout_error",
}


class OpenAIChatAPI(ClientAPI):
    id = "openai"
    label = "OpenAI Chat Completions"
    chat_path = "chat/completions"
    native_types: ClassVar[tuple[str, ...]] = ("openai", "azure-openai")

    def read_request(self, body: object) -> ClientRequest:
        data = f.body_object(body)
        model = f.text(f.required(data, "model"), "model", empty=False)
        _refuse(data)
        tools, choice = _tools(data)
        stream = f.flag(data, "stream")
        options = data.get("stream_options")
        include_usage = False
        if options is not None:
            include_usage = f.obj(options, "stream_options").get("include_usage") is True
        effort = data.get("reasoning_effort")
        chat = ChatRequest(
            model=model,
            messages=_messages(data.get("messages")),
            temperature=f.number(data, "temperature", 0, 2),
            top_p=f.number(data, "top_p", 0, 1),
            max_tokens=f.count(data, "max_completion_tokens") or f.count(data, "max_tokens"),
            stop=f.stops(data.get("stop"), "stop"),
            reasoning_effort=None if effort is None else f.text(effort, "reasoning_effort", empty=False),
            tools=tools,
            tool_choice=choice,
        )
        passthrough = {name: value for name, value in data.items() if name not in HANDLED}
        native_only = {}
        response_format = passthrough.get("response_format")
        if response_format is not None and f.obj(response_format, "response_format").get("type") != "text":
            native_only["response_format"] = "structured output is only passed to a provider speaking OpenAI chat"
        return ClientRequest(chat, stream, include_usage, passthrough, native_only)

    def stream_writer(self, model: str, request: ClientRequest) -> StreamWriter:
        return ChunkWriter(model, request.include_usage)

    def whole_body(self, model: str, result: ChatResult) -> dict:
        message: dict[str, Any] = {"role": "assistant", "content": result.text or (None if result.tool_calls else "")}
        if result.reasoning:
            message["reasoning_content"] = result.reasoning
        if result.tool_calls:
            message["tool_calls"] = [_call(call) for call in result.tool_calls]
        return {
            "id": _new_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": _finish(result.finish_reason), "logprobs": None}
            ],
            "usage": _usage(result.input_tokens, result.output_tokens),
        }

    def error_body(self, error: ServedError) -> dict:
        return {
            "error": {
                "message": error.message,
                "type": ERROR_TYPES[error.kind],
                "param": error.param,
                "code": error.code or error.kind,
            }
        }

    def models_body(self, models: list[ServedModel]) -> dict:
        return {
            "object": "list",
            "data": [{"id": m.id, "object": "model", "created": 0, "owned_by": m.owned_by} for m in models],
        }


class ChunkWriter(StreamWriter):
    """`chat.completion.chunk`s, one per event, each a `data:` line; the usage chunk (when
    asked for) and `data: [DONE]` at the end. The part before the delta is made once."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.include_usage = include_usage
        self.opening = f'{{"id":"{_new_id()}","object":"chat.completion.chunk","created":{int(time.time())},"model":{json.dumps(model)},"choices":'.encode()
        self.head = b"data: " + self.opening + b'[{"index":0,"delta":'
        self.calls = 0
        self.usage: Usage | None = None

    def start(self) -> bytes:
        return self.head + b'{"role":"assistant","content":""},"finish_reason":null}]}\n\n'

    def write(self, event: Event) -> bytes:
        kind = type(event)
        if kind is TextDelta:
            delta = b'{"content":' + _dumps(event.text) + b"}"  # type: ignore[union-attr]
        elif kind is ReasoningDelta:
            delta = b'{"reasoning_content":' + _dumps(event.text) + b"}"  # type: ignore[union-attr]
        elif kind is ToolCall:
            call: dict[str, Any] = {"index": self.calls, **_call(event)}  # type: ignore[arg-type]
            self.calls += 1
            delta = b'{"tool_calls":[' + json.dumps(call, ensure_ascii=False).encode() + b"]}"
        elif kind is Finish:
            reason = _finish(event.reason)  # type: ignore[union-attr]
            return self.head + b'{},"finish_reason":"' + reason.encode() + b'"}]}\n\n'
        elif kind is Usage:
            self.usage = event  # type: ignore[assignment]
            return b""
        else:
            return b""
        return self.head + delta + b',"finish_reason":null}]}\n\n'

    def end(self) -> bytes:
        done = b"data: [DONE]\n\n"
        if not self.include_usage:
            return done
        usage = self.usage or Usage()
        counts = json.dumps(_usage(usage.input_tokens, usage.output_tokens)).encode()
        return b"data: " + self.opening + b'[],"usage":' + counts + b"}\n\n" + done

    def error(self, error: ServedError) -> bytes:
        """An `error` chunk, as OpenAI sends one mid-stream; no `[DONE]` follows (the answer is not whole)."""
        return b"data: " + json.dumps(OpenAIChatAPI().error_body(error), ensure_ascii=False).encode() + b"\n\n"


def _dumps(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode()


def _new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def _finish(reason: str | None) -> str:
    return FINISH.get(reason or "stop", "length")


def _call(call: ToolCall) -> dict:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def _usage(input_tokens: int | None, output_tokens: int | None) -> dict:
    """Counts the provider did not give are 0: clients add these up."""
    prompt, completion = input_tokens or 0, output_tokens or 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


# Reading ----------------------------------------------------------------------------


def _refuse(data: dict) -> None:
    for name, why in REFUSED.items():
        if data.get(name) is not None:
            raise f.invalid(name, why)
    n = data.get("n")
    if n is not None and n != 1:
        raise f.invalid("n", "drupe returns one choice: n must be 1")
    if data.get("logprobs") not in (None, False) or data.get("top_logprobs") is not None:
        raise f.invalid("logprobs" if data.get("logprobs") else "top_logprobs", "log probabilities are not passed on")
    modalities = data.get("modalities")
    if modalities is not None and any(m != "text" for m in f.array(modalities, "modalities")):
        raise f.invalid("modalities", "drupe answers with text only")


def _messages(value: object) -> tuple[Message, ...]:
    if value is None:
        raise f.invalid("messages", "is required")
    names: dict[str, str] = {}  # call id → the tool's name, for the results
    messages: list[Message] = []
    for index, item in enumerate(f.array(value, "messages", empty=False)):
        field = f"messages[{index}]"
        entry = f.obj(item, field)
        role = f.text(f.required(entry, "role", f"{field}."), f"{field}.role")
        if role in ("system", "developer"):
            messages.append(Message("system", _plain(entry.get("content"), f"{field}.content")))
        elif role == "user":
            messages.append(Message("user", _user_content(f.required(entry, "content", f"{field}."), field)))
        elif role == "assistant":
            messages.append(_assistant(entry, field, names))
        elif role == "tool":
            call_id = f.text(f.required(entry, "tool_call_id", f"{field}."), f"{field}.tool_call_id", empty=False)
            if call_id not in names:
                raise f.invalid(f"{field}.tool_call_id", "no earlier assistant message has a tool call with this id")
            result = ToolResult(call_id, names[call_id], _plain(entry.get("content"), f"{field}.content"))
            messages.append(Message("tool", "", tool_result=result))
        elif role == "function":
            raise f.untranslatable(
                f"{field}.role", role, "the legacy function role is not supported; send tool messages"
            )
        else:
            raise f.invalid(f"{field}.role", f"expected system, developer, user, assistant or tool, not {role!r}")
    return tuple(messages)


def _assistant(entry: dict, field: str, names: dict[str, str]) -> Message:
    content = entry.get("content")
    said = "" if content is None else _plain(content, f"{field}.content", ("text", "refusal"))
    if entry.get("function_call") is not None:
        raise f.invalid(f"{field}.function_call", "the legacy `function_call` is not supported; send `tool_calls`")
    calls: list[ToolCall] = []
    for position, item in enumerate(f.array(entry.get("tool_calls") or [], f"{field}.tool_calls")):
        where = f"{field}.tool_calls[{position}]"
        call = f.obj(item, where)
        kind = call.get("type", "function")
        if kind != "function":
            raise f.untranslatable(f"{where}.type", str(kind), "only function tool calls are passed on")
        function = f.obj(f.required(call, "function", f"{where}."), f"{where}.function")
        call_id = f.text(f.required(call, "id", f"{where}."), f"{where}.id", empty=False)
        name = f.text(f.required(function, "name", f"{where}.function."), f"{where}.function.name", empty=False)
        arguments = function.get("arguments")
        arguments = "{}" if arguments is None else f.text(arguments, f"{where}.function.arguments")
        names[call_id] = name
        calls.append(ToolCall(call_id, name, arguments))
    return Message("assistant", said, tool_calls=tuple(calls))


def _plain(content: object, field: str, kinds: tuple[str, ...] = ("text",)) -> str:
    """Content that must be text: a string, or an array of text parts (joined by newlines)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    pieces = []
    for index, item in enumerate(f.array(content, field)):
        part = f.obj(item, f"{field}[{index}]")
        kind = f.text(f.required(part, "type", f"{field}[{index}]."), f"{field}[{index}].type")
        if kind not in kinds:
            raise f.untranslatable(f"{field}[{index}].type", kind, f"only {' and '.join(kinds)} parts are passed here")
        pieces.append(f.text(part.get(kind), f"{field}[{index}].{kind}"))
    return "\n".join(pieces)


def _user_content(content: object, field: str) -> str | tuple[ContentPart, ...]:
    if isinstance(content, str):
        return content
    parts: list[ContentPart] = []
    for index, item in enumerate(f.array(content, f"{field}.content")):
        where = f"{field}.content[{index}]"
        part = f.obj(item, where)
        kind = f.text(f.required(part, "type", f"{where}."), f"{where}.type")
        if kind == "text":
            parts.append(TextPart(f.text(part.get("text"), f"{where}.text")))
        elif kind == "image_url":
            image = f.obj(f.required(part, "image_url", f"{where}."), f"{where}.image_url")
            url = f.text(f.required(image, "url", f"{where}.image_url."), f"{where}.image_url.url")
            parts.append(f.image_url(url, f"{where}.image_url.url"))
        else:
            raise f.untranslatable(f"{where}.type", kind, "drupe passes text and image parts")
    return tuple(parts)


def _tools(data: dict) -> tuple[tuple[ToolSpec, ...], Any]:
    """`tools` and `tool_choice`; a choice naming tools narrows the tools to them."""
    specs: list[ToolSpec] = []
    for index, item in enumerate(f.array(data.get("tools") or [], "tools")):
        where = f"tools[{index}]"
        tool = f.obj(item, where)
        kind = tool.get("type", "function")
        if kind != "function":
            raise f.untranslatable(f"{where}.type", str(kind), "only function tools are passed on")
        function = f.obj(f.required(tool, "function", f"{where}."), f"{where}.function")
        specs.append(f.tool_spec(function, f"{where}.function", "parameters"))
    choice = data.get("tool_choice")
    if choice is None:
        return tuple(specs), None
    if isinstance(choice, str):
        if choice not in ("auto", "none", "required"):
            raise f.invalid("tool_choice", f"expected auto, none, required or a function, not {choice!r}")
        return tuple(specs), choice
    chosen = f.obj(choice, "tool_choice")
    if chosen.get("type") == "function":
        function = f.obj(f.required(chosen, "function", "tool_choice."), "tool_choice.function")
        wanted = {f.text(f.required(function, "name", "tool_choice.function."), "tool_choice.function.name")}
        mode = "required"
    elif chosen.get("type") == "allowed_tools":
        allowed = f.obj(f.required(chosen, "allowed_tools", "tool_choice."), "tool_choice.allowed_tools")
        mode = f.text(allowed.get("mode", "auto"), "tool_choice.allowed_tools.mode")
        if mode not in ("auto", "required"):
            raise f.invalid("tool_choice.allowed_tools.mode", f"expected auto or required, not {mode!r}")
        listed = f.array(allowed.get("tools") or [], "tool_choice.allowed_tools.tools")
        wanted = {_allowed_name(item, f"tool_choice.allowed_tools.tools[{i}]") for i, item in enumerate(listed)}
    else:
        raise f.invalid("tool_choice.type", f"expected function or allowed_tools, not {chosen.get('type')!r}")
    narrowed = tuple(spec for spec in specs if spec.name in wanted)
    if len(narrowed) != len(wanted):
        raise f.invalid("tool_choice", "names a function that is not in `tools`")
    return narrowed, mode


def _allowed_name(item: object, field: str) -> str:
    """A tool named in `allowed_tools`: `{"type": "function", "function": {"name"}}` (or `{"name"}`)."""
    entry = f.obj(item, field)
    if "function" in entry:
        entry, field = f.obj(entry["function"], f"{field}.function"), f"{field}.function"
    return f.text(f.required(entry, "name", f"{field}."), f"{field}.name")
