"""Tool calls put together from a stream's fragments, whatever the wire format, within bounds.

Every streamed format sends a call in pieces: a start (the call's id and the tool's name),
then its arguments as fragments of JSON text, then (in most formats) an end. `CallAssembler`
keeps one call per key (OpenAI chat's `index`, a Responses `output_index`, an Anthropic
content block's `index`) and hands each out whole as a `ToolCall`, once the format says it is
done (`finish(key)`) or when the answer ends (`drain()`, in key order).

A provider must not be able to flood drupe through tool calls, so one answer may hold at most
`MAX_TOOL_CALLS` calls and `MAX_TOOL_CALL_CHARS` characters of ids, names and arguments
together; past either, `ProviderError("bad_response")` names the limit. They are constants,
not `Endpoint.limits`, because a stream parser is made without its endpoint: no real model
comes near them (OpenAI allows 128 tools per request; a call's arguments are rarely over a
few KB), and docs/reliability.md lists them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from drupe.errors import ProviderError
from drupe.protocols.base import StopReason, ToolCall

MAX_TOOL_CALLS = 128
"""Calls in one answer: OpenAI lets a request offer at most 128 tools, and a model calls each
at most a few times in one go."""

MAX_TOOL_CALL_CHARS = 4_000_000
"""Ids, names and arguments of one answer's calls together, in characters: as much as
`Limits.answer_chars` lets an answer's text hold by default."""

Key = int | str


@dataclass
class _Pending:
    """One call being received: its fragments are joined once, when it is handed out."""

    order: int
    id: str
    name: str
    pieces: list[str] = field(default_factory=list)


class CallAssembler:
    """The calls of one answer, from their fragments.

    - `start(key, id, name)` opens a call (a format that sends a start event);
    - `add(key, fragment)` appends a piece of its arguments (opening the call if needed);
    - `fragment(key, id, name, arguments)` is OpenAI chat's merged form: a delta that may
      open a call, continue it or both (see its docstring for the servers it copes with);
    - `finish(key, arguments=None)` hands one call out (with `arguments`: the whole text the
      format sent at the end, which wins over the fragments);
    - `drain()` hands out every call not yet handed out, ordered by key, then by arrival.

    `given` counts the calls handed out so far, so a parser knows the answer asked for tools.
    """

    def __init__(self, max_calls: int = MAX_TOOL_CALLS, max_chars: int = MAX_TOOL_CALL_CHARS) -> None:
        self.max_calls = max_calls
        self.max_chars = max_chars
        self.given = 0
        self._pending: dict[Key, _Pending] = {}
        self._moved: list[tuple[Key, _Pending]] = []
        self._opened = 0
        self._chars = 0

    def start(self, key: Key, id: str, name: str) -> None:
        """A new call at `key`; one still open there is kept, to be handed out by `drain()`."""
        if key in self._pending:
            self._moved.append((key, self._pending.pop(key)))
        if self._opened >= self.max_calls:
            raise ProviderError(
                "bad_response",
                f"The provider sent more than {self.max_calls} tool calls in one answer "
                f"(drupe's limit, MAX_TOOL_CALLS).",
            )
        self._count(id, name)
        self._pending[key] = _Pending(self._opened, id, name)
        self._opened += 1

    def add(self, key: Key, fragment: str) -> None:
        if not fragment:
            return
        if key not in self._pending:
            self.start(key, "", "")
        self._count(fragment)
        self._pending[key].pieces.append(fragment)

    def fragment(self, key: Key, id: str, name: str, arguments: str) -> None:
        """One OpenAI chat `delta.tool_calls` entry. The first at a key opens the call (OpenAI
        sends id, type and name in it, arguments ""); later ones bring pieces of arguments.
        Servers differ: some send a whole call in one entry, some repeat the id or the name in
        every piece (both kept from the first), and some (Ollama) give every call of a parallel
        batch the same index, so an entry with a name and an id other than the open call's is
        a new call at that key."""
        call = self._pending.get(key)
        if call is None or (name and id and call.id and id != call.id):
            self.start(key, id, name)
        else:
            if id and not call.id:
                self._count(id)
                call.id = id
            if name and not call.name:
                self._count(name)
                call.name = name
        self.add(key, arguments)

    def finish(self, key: Key, arguments: str | None = None, id: str = "", name: str = "") -> ToolCall | None:
        """The call at `key`, whole, and no longer pending; None when no call is open there and
        the end event brings none (`id`, `name`, `arguments` fill in what the start lacked)."""
        call = self._pending.pop(key, None)
        if call is None:
            if not (id or name or arguments):
                return None
            self.start(key, id, name)
            call = self._pending.pop(key)
        if arguments is not None:
            self._chars -= sum(len(piece) for piece in call.pieces)
            self._count(arguments)
            call.pieces = [arguments]
        if id and not call.id:
            self._count(id)
            call.id = id
        if name and not call.name:
            self._count(name)
            call.name = name
        return self._whole(call)

    def drain(self) -> list[ToolCall]:
        """Every call not yet handed out, in key order (number keys before text ones)."""
        if not self._pending and not self._moved:
            return []
        calls = [*self._moved, *self._pending.items()]
        self._pending, self._moved = {}, []
        calls.sort(key=lambda item: (isinstance(item[0], str), item[0], item[1].order))
        return [self._whole(call) for _, call in calls]

    def _whole(self, call: _Pending) -> ToolCall:
        self.given += 1
        return ToolCall(id=call.id or new_call_id(), name=call.name, arguments="".join(call.pieces))

    def _count(self, *texts: str) -> None:
        self._chars += sum(len(text) for text in texts)
        if self._chars > self.max_chars:
            raise ProviderError(
                "bad_response",
                f"The provider sent more than {self.max_chars:,} characters of tool calls in one answer "
                f"(drupe's limit, MAX_TOOL_CALL_CHARS).",
            )


def new_call_id() -> str:
    """An id for a call the provider gave none (the results are matched to calls by it)."""
    return f"call_{uuid.uuid4().hex[:24]}"


def arguments_text(value: object) -> str:
    """A call's arguments as JSON text: text is kept as written (valid or not); an object, as
    some compatible servers send, is written as JSON; nothing is ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def text_or_empty(value: object) -> str:
    """An id or name field: text, or "" for anything else (null, a number)."""
    return value if isinstance(value, str) else ""


def with_calls(reason: StopReason, called: bool) -> StopReason:
    """Some servers (Ollama, older llama.cpp) say `stop` after asking for tools: an answer that
    made calls ended to have them run."""
    return "tool_calls" if called and reason == "stop" else reason
