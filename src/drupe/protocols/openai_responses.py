"""OpenAI Responses API: typed streaming events, reasoning summaries, usage on completion."""

from __future__ import annotations

from drupe.errors import ProviderError
from drupe.protocols.base import (
    ChatRequest,
    ContentPart,
    Endpoint,
    Event,
    Finish,
    ImagePart,
    Message,
    ReasoningDelta,
    StopReason,
    TextDelta,
    TextPart,
    ToolCall,
    ToolSpec,
    Usage,
)
from drupe.protocols.http_errors import error_from_payload
from drupe.protocols.openai_chat import OpenAIChat, tool_fields
from drupe.protocols.reasoning import openai_responses_fields
from drupe.protocols.tool_calls import CallAssembler, arguments_text, text_or_empty, with_calls
from drupe.protocols.wire import (
    StreamParser,
    WireRequest,
    count_field,
    final_body,
    image_data_url,
    load_json,
    system_text,
)

_REASONING_DELTAS = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")


def _items(message: Message) -> list[dict]:
    """One message as input items: a message item, except a tool result (a
    `function_call_output`) and an assistant's calls (its text, if any, then one
    `function_call` per call). A failed call's result has no field of its own: its text says so."""
    if message.role == "tool":
        result = message.tool_result
        if result is None:  # not made by drupe's runtime: sent as it is
            return [{"type": "function_call_output", "call_id": "", "output": message.text()}]
        return [{"type": "function_call_output", "call_id": result.call_id, "output": result.content}]
    if message.tool_calls:
        said = [_message(message)] if message.text() else []
        return said + [_function_call(call) for call in message.tool_calls]
    return [_message(message)]


def _function_call(call: ToolCall) -> dict:
    return {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments}


def _tool(tool: ToolSpec) -> dict:
    """A function tool with `strict: false`: strict mode is the Responses API's default, and
    accepts only a subset of JSON Schema that most MCP tools' schemas are not written in."""
    spec: dict = {"type": "function", "name": tool.name}
    if tool.description:
        spec["description"] = tool.description
    spec["parameters"] = tool.parameters
    spec["strict"] = False
    return spec


def _message(message: Message) -> dict:
    text_type = "output_text" if message.role == "assistant" else "input_text"
    parts = (TextPart(message.content),) if isinstance(message.content, str) else message.content
    return {"role": message.role, "content": [_part(part, text_type) for part in parts]}


def _part(part: ContentPart, text_type: str) -> dict:
    if isinstance(part, ImagePart):
        return {"type": "input_image", "image_url": image_data_url(part)}
    return {"type": text_type, "text": part.text}


def _finish(response: dict) -> StopReason | None:
    """`completed` (with tool calls or not) or `incomplete` and why; None for any other status:
    the response never finished."""
    status = response.get("status")
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return "content_filter" if reason == "content_filter" else "length"
    if status == "completed":
        calls = any(
            isinstance(item, dict) and item.get("type") == "function_call" for item in response.get("output") or ()
        )
        return "tool_calls" if calls else "stop"
    return None


def _usage(response: dict) -> Usage | None:
    usage = response.get("usage")
    return Usage(count_field(usage, "input_tokens"), count_field(usage, "output_tokens")) if usage else None


def _failure(response: dict) -> ProviderError:
    return error_from_payload({"error": response.get("error") or {"message": "The response failed."}})


def _key(payload: dict, item: dict) -> int | str:
    """Which call an event is about: its `output_index` (every function call event has one),
    else the item's id."""
    index = payload.get("output_index")
    if isinstance(index, int) and not isinstance(index, bool):
        return index
    return text_or_empty(payload.get("item_id") or item.get("id"))


def _whole_call(calls: CallAssembler, key: int | str, item: dict) -> ToolCall | None:
    """A `function_call` output item, as the stream's `output_item.done` or a whole answer gives
    it: its arguments win over the streamed pieces, unless it has none."""
    arguments = arguments_text(item.get("arguments"))
    return calls.finish(
        key,
        arguments or None,
        text_or_empty(item.get("call_id")),
        text_or_empty(item.get("name")),
    )


class Parser(StreamParser):
    """Text and reasoning deltas; a function call is gathered from `output_item.added` (its
    call id and name) and its `function_call_arguments.delta` events, and given whole at its
    `output_item.done` (whose item has the final arguments)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = CallAssembler()

    def feed(self, event: str, data: str) -> list[Event]:
        payload = load_json(data)
        kind = payload.get("type") or event
        if kind == "response.output_text.delta":
            return [TextDelta(delta)] if isinstance(delta := payload.get("delta"), str) and delta else []
        if kind in _REASONING_DELTAS:
            return [ReasoningDelta(delta)] if isinstance(delta := payload.get("delta"), str) and delta else []
        if kind == "response.function_call_arguments.delta":
            self.calls.add(_key(payload, {}), text_or_empty(payload.get("delta")))
        elif kind in ("response.output_item.added", "response.output_item.done"):
            item = payload.get("item")
            if isinstance(item, dict) and item.get("type") == "function_call":
                return self._item(kind, payload, item)
        elif kind in ("response.completed", "response.incomplete"):
            response = payload.get("response") or {}
            events = self._unfinished(response)
            self.usage = _usage(response)
            finish = _finish(response) or ("length" if kind == "response.incomplete" else "stop")
            self.finish = with_calls(finish, self.calls.given > 0)
            return events
        elif kind == "response.failed":
            raise _failure(payload.get("response") or {})
        elif kind == "error":
            raise error_from_payload({"error": payload})
        return []

    def _item(self, kind: str, payload: dict, item: dict) -> list[Event]:
        key = _key(payload, item)
        if kind == "response.output_item.added":
            self.calls.start(key, text_or_empty(item.get("call_id")), text_or_empty(item.get("name")))
            self.calls.add(key, arguments_text(item.get("arguments")))
            return []
        call = _whole_call(self.calls, key, item)
        return [call] if call else []

    def _unfinished(self, response: dict) -> list[Event]:
        """Calls the stream opened but never closed; or, when it streamed no call at all, those
        of the final response (a server that sends only the summary)."""
        events: list[Event] = list(self.calls.drain())
        if not events and not self.calls.given:
            for index, item in enumerate(response.get("output") or ()):
                if isinstance(item, dict) and item.get("type") == "function_call":
                    call = _whole_call(self.calls, index, item)
                    if call:
                        events.append(call)
        return events

    def close(self) -> list[Event]:
        """Calls still open come first: a stream may end without `response.completed`."""
        calls = self.calls.drain()
        if calls and (self.finish == "stop" or (self.finish is None and self.ended)):
            self.finish = "tool_calls"
        return [*calls, *super().close()]


class OpenAIResponses(OpenAIChat):
    """The Responses API; its model list is Chat Completions', so those two methods are inherited."""

    id = "openai-response"
    label = "OpenAI Responses"
    official_base_url = "https://api.openai.com"
    chat_path = "responses"
    form_fields = ()  # its streams always end with their usage: no stream_usage switch
    Parser = Parser

    def build_chat(self, endpoint: Endpoint, request: ChatRequest, key: str | None, stream: bool) -> WireRequest:
        """System messages become `instructions`; `stop` has no Responses equivalent and is not sent."""
        body: dict = {
            "model": request.model,
            "input": [item for m in request.messages if m.role != "system" for item in _items(m)],
            "stream": stream,
        }
        instructions = system_text(request.messages)
        if instructions:
            body["instructions"] = instructions
        for name, value in (
            ("temperature", request.temperature),
            ("top_p", request.top_p),
            ("max_output_tokens", request.max_tokens),
        ):
            if value is not None:
                body[name] = value
        body.update(openai_responses_fields(request.reasoning_effort))
        tool_fields(body, request, _tool)
        url = self.chat_url(endpoint, request.model, stream)
        return WireRequest(url, self.headers(endpoint, key), final_body(body, endpoint, request))

    def parse_response(self, data: dict) -> list[Event]:
        if data.get("status") == "failed" or data.get("error"):
            raise _failure(data)
        events: list[Event] = []
        calls = CallAssembler()
        for index, item in enumerate(data.get("output") or ()):
            if item.get("type") == "function_call":
                call = _whole_call(calls, index, item)
                if call:
                    events.append(call)
            elif item.get("type") == "reasoning":
                for part in (item.get("summary") or []) + (item.get("content") or []):
                    if isinstance(text := part.get("text"), str) and text:
                        events.append(ReasoningDelta(text))
            elif item.get("type") == "message":
                for part in item.get("content") or ():
                    if part.get("type") == "output_text" and isinstance(text := part.get("text"), str) and text:
                        events.append(TextDelta(text))
        usage = _usage(data)
        if usage:
            events.append(usage)
        finish = _finish(data)
        if finish:
            events.append(Finish(finish))
        return events
