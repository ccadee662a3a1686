"""Fitting a turn's history into the model's context window.

A history longer than the model's window makes the provider refuse the whole request. So when
the model's window is known (`models.context_window`), the oldest earlier messages are left out
of what is sent until the rest fits, with room kept for the answer (the conversation's
`max_tokens`, else the model's `max_output`). The system prompt and the newest messages (the
user's new message; when continuing an answer, that answer too) are always sent: a request that
still does not fit goes out as it is, and the provider says why.

Each stored message is left out whole, with its rounds of tool calls and their results: a
provider refuses a history where a call has no result, or a result no call. Once something is
left out, the earlier messages sent start with a user's message (an answer whose question was
left out goes too): Anthropic refuses a history that starts with the assistant.

Tokens are estimated, not counted: a tokenizer per provider would be a heavy dependency (and
for most providers not even public), and the count only has to be safe, not exact. English
prose runs at about 4 characters a token in every tokenizer drupe talks to (fewer for code and
other scripts), so `characters / 4` rounded up, plus a few tokens each message costs for its
role and separators, and a fixed cost per image (what a large image costs on OpenAI and
Anthropic, about 1,600 tokens). Text in scripts with fewer characters a token may still
overflow a nearly full window; the provider then refuses it and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drupe.protocols.base import ImagePart, Message

CHARS_PER_TOKEN = 4
"""Characters per token of the estimate (rounded up per message)."""
MESSAGE_TOKENS = 4
"""Tokens each message costs beyond its text: its role, the separators around it."""
IMAGE_TOKENS = 1600
"""Tokens counted for one image, whatever its size."""


def estimate_tokens(message: Message) -> int:
    """The tokens `message` is taken to cost (see the module's docstring for the rule)."""
    characters = len(message.text())
    images = 0 if isinstance(message.content, str) else sum(isinstance(p, ImagePart) for p in message.content)
    for call in message.tool_calls:
        characters += len(call.name) + len(call.arguments)
    if message.tool_result is not None:
        characters += len(message.tool_result.name) + len(message.tool_result.content)
    return MESSAGE_TOKENS + -(-characters // CHARS_PER_TOKEN) + images * IMAGE_TOKENS


def prompt_budget(context_window: int | None, max_output: int | None, max_tokens: int | None) -> int | None:
    """Tokens the messages sent may use: the window less the room kept for the answer (the
    conversation's `max_tokens` when set, else the model's `max_output`), None when the window
    is unknown. The room is at most half the window: some model lists give a maximum output as
    large as the window, which would leave no room for any history."""
    if not context_window:
        return None
    room = max_tokens or max_output or 0
    return context_window - min(room, context_window // 2)


@dataclass(frozen=True)
class History:
    """A turn's history before fitting: the system prompt (if any), the earlier stored messages
    oldest first (each with its rounds of tool calls, as one unit), and the messages always
    sent last (the user's new message; when continuing, the answer so far)."""

    system: tuple[Message, ...]
    earlier: tuple[tuple[Message, ...], ...]
    last: tuple[Message, ...]


@dataclass(frozen=True)
class Fitted:
    """The messages to send, and how many earlier stored messages were left out to fit
    (None when the window is unknown, so nothing was measured)."""

    messages: tuple[Message, ...]
    left_out: int | None


def fit(history: History, budget: int | None) -> Fitted:
    """Leave out the oldest earlier messages until the estimate fits `budget` tokens."""
    earlier = [unit for unit in history.earlier if unit]
    if budget is None:
        return Fitted(_joined(history.system, earlier, history.last), None)
    used = sum(estimate_tokens(m) for m in history.system + history.last)
    kept = 0
    for unit in reversed(earlier):  # the newest earlier messages are kept first
        cost = sum(estimate_tokens(m) for m in unit)
        if used + cost > budget:
            break
        used += cost
        kept += 1
    left_out = len(earlier) - kept
    while left_out and left_out < len(earlier) and earlier[left_out][0].role != "user":
        left_out += 1  # what is sent starts with a user's message, as Anthropic requires
    return Fitted(_joined(history.system, earlier[left_out:], history.last), left_out)


def _joined(
    system: tuple[Message, ...], earlier: Sequence[tuple[Message, ...]], last: tuple[Message, ...]
) -> tuple[Message, ...]:
    return system + tuple(m for unit in earlier for m in unit) + last
