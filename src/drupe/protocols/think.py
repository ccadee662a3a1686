"""Split `<think>…</think>` out of streamed text, however the text is chunked.

Many open models (DeepSeek-R1, Qwen3, served raw by llama.cpp, Ollama or vLLM)
put their reasoning inside the answer between think tags. The splitter is fed
text deltas one at a time and holds back only what could be the start of a tag,
so the result never depends on where chunk boundaries fall.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from drupe.protocols.base import Event, ReasoningDelta, TextDelta

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class ThinkSplitter:
    """Incremental: `feed()` each text delta, then `flush()` once at the end.

    Newlines right after either tag are dropped, as models put them there for
    layout, not meaning.
    """

    def __init__(self) -> None:
        self._in_think = False
        self._pending = ""
        self._skip_newlines = False

    def feed(self, text: str) -> list[TextDelta | ReasoningDelta]:
        if "<" not in text and not self._pending and not self._skip_newlines:
            # Nearly every chunk: no tag can start here, so it passes through whole.
            return [ReasoningDelta(text) if self._in_think else TextDelta(text)] if text else []
        out: list[TextDelta | ReasoningDelta] = []
        buffer = self._pending + text
        self._pending = ""
        while buffer:
            if self._skip_newlines:
                buffer = buffer.lstrip("\r\n")
                if not buffer:
                    break
                self._skip_newlines = False
            tag = CLOSE_TAG if self._in_think else OPEN_TAG
            index = buffer.find(tag)
            if index >= 0:
                self._emit(out, buffer[:index])
                buffer = buffer[index + len(tag) :]
                self._in_think = not self._in_think
                self._skip_newlines = True
                continue
            keep = _partial_tag_length(buffer, tag)
            self._emit(out, buffer[: len(buffer) - keep])
            self._pending = buffer[len(buffer) - keep :]
            break
        return out

    def split(self, event: Event) -> Sequence[Event]:
        """Any event of a stream: text is split, anything else first releases held-back text."""
        if isinstance(event, TextDelta):
            if "<" not in event.text and not (self._in_think or self._pending or self._skip_newlines):
                return [event]  # the usual chunk, passed on as it came
            return self.feed(event.text)
        return [*self.flush(), event]

    def flush(self) -> list[TextDelta | ReasoningDelta]:
        """Release a held-back partial tag: the stream ended, so it was plain text."""
        out: list[TextDelta | ReasoningDelta] = []
        self._emit(out, self._pending)
        self._pending = ""
        return out

    def _emit(self, out: list[TextDelta | ReasoningDelta], text: str) -> None:
        if text:
            out.append(ReasoningDelta(text) if self._in_think else TextDelta(text))


def _partial_tag_length(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper prefix of `tag` (which starts with `<`)."""
    index = text.find("<", max(0, len(text) - len(tag) + 1))
    while index != -1:
        if tag.startswith(text[index:]):
            return len(text) - index
        index = text.find("<", index + 1)
    return 0


def split_think_events(events: Iterable[Event]) -> list[Event]:
    """Run every TextDelta of a finished list of events through one splitter."""
    splitter = ThinkSplitter()
    out: list[Event] = []
    for event in events:
        out.extend(splitter.split(event))
    out.extend(splitter.flush())
    return out
