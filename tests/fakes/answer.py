"""What a fake upstream answers, independent of the wire format it is sent in."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FakeCall:
    """A tool call the fake model makes. `arguments` is the JSON text it writes (it may be
    invalid on purpose), streamed in `chunks` fragments where the wire format streams them."""

    name: str
    arguments: str = "{}"
    chunks: int = 3
    id: str = ""
    """The call's id; "" makes one from its position (`call_0`, `call_1`…)."""

    def call_id(self, index: int) -> str:
        return self.id or f"call_{index}"

    def fragments(self) -> tuple[str, ...]:
        return split_chunks(self.arguments, min(self.chunks, len(self.arguments))) if self.arguments else ("",)


@dataclass(frozen=True)
class Answer:
    """What the fake model says. With `tool_calls`, the text (maybe none) comes first, then the
    calls, and the answer's finish reason is the format's "tool use" one; with `length`, its
    "token limit" one."""

    model: str
    text_chunks: tuple[str, ...]
    reasoning_chunks: tuple[str, ...] = ()
    input_tokens: int = 0
    tool_calls: tuple[FakeCall, ...] = ()
    length: bool = False
    """It ends at the token limit: the format's own finish reason for that."""

    @property
    def text(self) -> str:
        return "".join(self.text_chunks)

    @property
    def reasoning(self) -> str:
        return "".join(self.reasoning_chunks)

    @property
    def output_tokens(self) -> int:
        """One token per streamed chunk, so rates in tests are exact."""
        return len(self.text_chunks) + len(self.reasoning_chunks) + sum(len(c.fragments()) for c in self.tool_calls)


@dataclass(frozen=True)
class Frames:
    """A stream as SSE frames: `content` yields one frame per chunk of reasoning or text.

    `content` is lazy, so a 20,000-chunk answer starts at once. `broken` is a
    frame with malformed JSON, sent in place of a content frame when the fake
    is told to.
    """

    start: list[bytes]
    content: Iterable[bytes]
    end: list[bytes]
    broken: bytes = field(default=b'data: {"unterminated": \n\n')


def split_chunks(text: str, chunks: int | None) -> tuple[str, ...]:
    """`chunks` near-equal slices of `text`, or one chunk per word (with its space) when None."""
    if not text:
        return ()
    if chunks is None:
        return tuple(re.findall(r"\s*\S+\s*?(?=\s|$)|\s+$", text)) or (text,)
    if not 0 < chunks <= len(text):
        raise ValueError(f"cannot split {len(text)} characters into {chunks} chunks")
    size, extra = divmod(len(text), chunks)
    bounds = [i * size + min(i, extra) for i in range(chunks + 1)]
    return tuple(text[a:b] for a, b in itertools.pairwise(bounds))


def sse(data: dict | str, event: str | None = None, newline: str = "\n") -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    lines = ([f"event: {event}"] if event else []) + [f"data: {payload}"]
    return (newline.join(lines) + newline * 2).encode()


def count_words(messages: list) -> int:
    """A stand-in token count for a prompt: its words, whatever the message shape."""
    return len(re.findall(r"\w+", json.dumps(messages)))
