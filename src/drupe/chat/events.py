"""What `ChatService.send` (and `regenerate`, `edit`) yield while a turn runs.

Events of several answers arrive interleaved in one stream; `answer_id` tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from drupe.chat.records import MessageRecord, ToolCallRecord
from drupe.protocols.base import ReasoningDelta, TextDelta


@dataclass(frozen=True)
class UserSaved:
    """The user's message is committed; no provider has been called yet. `cleaned` counts the
    characters no database can store (NUL, lone surrogates) that were removed or replaced."""

    message: MessageRecord
    cleaned: int = 0


@dataclass(frozen=True)
class AnswerStarted:
    """An answer row exists with status `streaming`."""

    answer_id: int
    provider: str
    model: str


@dataclass(frozen=True)
class AnswerDelta:
    answer_id: int
    event: TextDelta | ReasoningDelta


@dataclass(frozen=True)
class AnswerFinished:
    """The answer at the end: status `complete`, `stopped` or `error` (with `error` text), and
    `stop_reason`. `save_error` is set when it could not be stored even after retries: `answer`
    then holds the text from memory, and the service tries to store it again later."""

    answer: MessageRecord
    save_error: str | None = None


@dataclass(frozen=True)
class ToolCallUpdate:
    """A tool call of an answer changed: `awaiting` (the approver is being asked), `running`, or
    how it ended (`ok`, `error`, `denied`, `cancelled`, with `result`). `step` counts the answer's
    rounds of calls from 0: the text deltas of an answer that come after a round's calls belong
    to the next round (or to the final text)."""

    answer_id: int
    step: int
    call: ToolCallRecord


@dataclass(frozen=True)
class TitleChanged:
    """The conversation got a title from the title model, after its first turn's answers were
    all stored (the last event of that turn; none when titles are off or the model failed)."""

    conversation_id: str
    title: str


TurnEvent = UserSaved | AnswerStarted | AnswerDelta | ToolCallUpdate | AnswerFinished | TitleChanged
