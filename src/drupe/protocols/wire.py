"""What every protocol shares to build a request and read a body."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice

from drupe.errors import ProviderError
from drupe.protocols.base import ChatRequest, Endpoint, Event, Finish, ImagePart, Message, StopReason, Usage

MAX_MODELS = 10_000
"""Entries read from a model list: real providers list hundreds; more is a server gone wrong."""

MODEL_ID_CHARS = 512
"""No real model ID is longer (a llama.cpp file path is the longest seen); a longer one is left out."""


@dataclass(frozen=True)
class WireRequest:
    """One HTTP call, ready to send: pure data, so it can be tested without a network."""

    url: str
    headers: dict[str, str]
    json: dict | None = None
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)


def final_body(body: dict, endpoint: Endpoint, request: ChatRequest) -> dict:
    """The body as sent: the provider's extra fields over ours, then the request's over both."""
    return merge_extra(merge_extra(body, endpoint.extra_body), request.extra_body)


def merge_extra(body: dict, extra: dict) -> dict:
    """Merge `extra_body` into a request body, last: nested dicts merge, `None` removes a key."""
    merged = dict(body)
    for key, value in extra.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_extra(merged[key], value)
        else:
            merged[key] = value
    return merged


def system_text(messages: tuple[Message, ...]) -> str:
    """All system messages as one prompt, for APIs that take it apart from the turns."""
    return "\n\n".join(m.text() for m in messages if m.role == "system")


def image_data_url(part: ImagePart) -> str:
    return part.url or f"data:{part.media_type};base64,{part.data}"


def load_json(data: str) -> dict:
    """Parse one JSON payload of a stream or body; a malformed one is a bad response."""
    try:
        value = json.loads(data)
    except ValueError:
        raise ProviderError("bad_response", f"Malformed JSON from the provider: {data[:200]}") from None
    if not isinstance(value, dict):
        raise ProviderError("bad_response", f"Expected a JSON object from the provider, got: {data[:200]}")
    return value


def stop_reason(reason: object, table: dict[str, StopReason]) -> StopReason:
    """A provider's finish reason in drupe's vocabulary. A reason the table does not know
    still means the provider ended the answer itself, so it is `stop`."""
    return table.get(reason, "stop") if isinstance(reason, str) else "stop"


def model_items(data: dict, key: str, id_field: str) -> list[dict]:
    """A model-list page's entries with a usable ID (text, 1 to MODEL_ID_CHARS characters),
    at most MAX_MODELS: a provider's list is shown and matched against, so it is kept small."""
    items = data.get(key)
    if not isinstance(items, list):
        return []
    usable = (
        item
        for item in items
        if isinstance(item, dict) and isinstance(item.get(id_field), str) and 0 < len(item[id_field]) <= MODEL_ID_CHARS
    )
    return list(islice(usable, MAX_MODELS))


def text_field(item: dict, name: str) -> str:
    """A text field of a provider's object, or "" when it is not text; at most MODEL_ID_CHARS."""
    value = item.get(name)
    return value[:MODEL_ID_CHARS] if isinstance(value, str) else ""


def count_field(item: dict, name: str) -> int | None:
    """A whole-number field of a provider's object (a token count), or None."""
    value = item.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class StreamParser:
    """Turns one provider's SSE events into our Events; each protocol subclasses it.

    `feed()` takes each event's name and data as they arrive; `close()` is
    called once when the stream ends and gives the Usage seen and exactly one Finish.
    A subclass sets `finish` (a StopReason) from the provider's finish reason, and `ended`
    when the provider's end-of-stream marker came (OpenAI `[DONE]`, Anthropic `message_stop`).
    """

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.finish: StopReason | None = None
        self.ended = False

    def feed(self, event: str, data: str) -> list[Event]:
        raise NotImplementedError

    def close(self) -> list[Event]:
        """Usage, then the Finish: `cut_off` when the stream stopped with neither a finish
        reason nor the end marker (a server or proxy that closed it early, cleanly)."""
        events: list[Event] = []
        if self.usage is not None:
            events.append(self.usage)
        events.append(Finish(self.finish or ("stop" if self.ended else "cut_off")))
        return events
