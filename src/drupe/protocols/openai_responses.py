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
    Usage,
)
from drupe.protocols.http_errors import error_from_payload
from drupe.protocols.openai_chat import OpenAIChat
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


class Parser(StreamParser):
    def feed(self, event: str, data: str) -> list[Event]:
        payload = load_json(data)
        kind = payload.get("type") or event
        if kind == "response.output_text.delta":
            return [TextDelta(delta)] if isinstance(delta := payload.get("delta"), str) and delta else []
        if kind in _REASONING_DELTAS:
            return [ReasoningDelta(delta)] if isinstance(delta := payload.get("delta"), str) and delta else []
        if kind in ("response.completed", "response.incomplete"):
            response = payload.get("response") or {}
            self.usage = _usage(response)
            self.finish = _finish(response) or ("length" if kind == "response.incomplete" else "stop")
        elif kind == "response.failed":
            raise _failure(payload.get("response") or {})
        elif kind == "error":
            raise error_from_payload({"error": payload})
        return []


class OpenAIResponses(OpenAIChat):
    """The Responses API; its model list is Chat Completions', so those two methods are inherited."""

    id = "openai-response"
    label = "OpenAI Responses"
    official_base_url = "https://api.openai.com"
    chat_path = "responses"
    Parser = Parser

    def build_chat(self, endpoint: Endpoint, request: ChatRequest, key: str | None, stream: bool) -> WireRequest:
        """System messages become `instructions`; `stop` has no Responses equivalent and is not sent."""
        body: dict = {
            "model": request.model,
            "input": [_message(m) for m in request.messages if m.role != "system"],
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
        if request.reasoning_effort:
            body["reasoning"] = {"effort": request.reasoning_effort, "summary": "auto"}
        url = self.chat_url(endpoint, request.model, stream)
        return WireRequest(url, self.headers(endpoint, key), final_body(body, endpoint, request))

    def parse_response(self, data: dict) -> list[Event]:
        if data.get("status") == "failed" or data.get("error"):
            raise _failure(data)
        events: list[Event] = []
        for item in data.get("output") or ():
            if item.get("type") == "reasoning":
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
