"""Fitting a history into a context window (`drupe.chat.context`): pure, table-tested."""

from __future__ import annotations

import pytest

from drupe.chat.context import (
    IMAGE_TOKENS,
    MESSAGE_TOKENS,
    History,
    estimate_tokens,
    fit,
    prompt_budget,
)
from drupe.protocols.base import ImagePart, Message, TextPart, ToolCall, ToolResult


def text(role: str, characters: int) -> Message:
    return Message(role, "x" * characters)  # type: ignore[arg-type]


def cost(characters: int) -> int:
    """What a text message of `characters` costs: 4 characters a token, rounded up."""
    return MESSAGE_TOKENS + -(-characters // 4)


@pytest.mark.parametrize(
    ("message", "tokens"),
    [
        (Message("user", ""), MESSAGE_TOKENS),
        (Message("user", "abcd"), MESSAGE_TOKENS + 1),
        (Message("user", "abcde"), MESSAGE_TOKENS + 2),  # rounded up
        (Message("user", (TextPart("abcd"), ImagePart(data="AAAA"))), MESSAGE_TOKENS + 1 + IMAGE_TOKENS),
        (Message("user", (ImagePart(url="http://x/a.png"), ImagePart(url="http://x/b.png"))), 4 + 2 * IMAGE_TOKENS),
        (Message("assistant", "", tool_calls=(ToolCall("c1", "abcd", "{}"),)), MESSAGE_TOKENS + 2),  # 6 chars
        (Message("tool", "", tool_result=ToolResult("c1", "abcd", "12345678")), MESSAGE_TOKENS + 3),
    ],
)
def test_tokens_are_estimated_from_characters_and_images(message, tokens):
    assert estimate_tokens(message) == tokens


@pytest.mark.parametrize(
    ("window", "max_output", "max_tokens", "budget"),
    [
        (None, 4096, 1000, None),  # unknown window: nothing trimmed
        (0, None, None, None),
        (8000, None, None, 8000),  # no room known for the answer
        (8000, 2000, None, 6000),  # the model's maximum output
        (8000, 2000, 500, 7500),  # the conversation's max_tokens wins
        (8000, 8000, None, 4000),  # an output as large as the window: at most half of it
        (8000, None, 100000, 4000),
    ],
)
def test_the_budget_keeps_room_for_the_answer(window, max_output, max_tokens, budget):
    assert prompt_budget(window, max_output, max_tokens) == budget


SYSTEM = (text("system", 40),)  # 14 tokens
NEW = (text("user", 40),)  # 14 tokens
OLD = tuple((text("user" if i % 2 == 0 else "assistant", 40),) for i in range(6))  # 14 tokens each
ROUND = (
    Message("assistant", "xxxx", tool_calls=(ToolCall("c1", "tool", "{}"),)),  # 10 characters: 4 + 3
    Message("tool", "", tool_result=ToolResult("c1", "tool", "x" * 20)),  # 24 characters: 4 + 6
    text("assistant", 40),  # 14
)  # one stored answer with a round of tool calls: 31 tokens


@pytest.mark.parametrize(
    ("system", "earlier", "budget", "left_out", "sent"),
    [
        (SYSTEM, OLD, None, None, 8),  # unknown window: everything, nothing counted
        (SYSTEM, OLD, 10_000, 0, 8),  # fits: nothing left out
        (SYSTEM, OLD, 28 + 14 * 6, 0, 8),  # exactly fits
        (SYSTEM, OLD, 28 + 14 * 6 - 1, 2, 6),  # one token short: the oldest goes, and its answer
        (SYSTEM, OLD, 28 + 14 * 2, 4, 4),
        (SYSTEM, OLD, 28, 6, 2),  # only the system prompt and the new message
        (SYSTEM, OLD, 5, 6, 2),  # even those do not fit: sent anyway, the provider says why
        ((), OLD, 14 + 14 * 4, 2, 5),  # no system prompt
        ((), (), 1, 0, 1),  # a first message
        # A round of tool calls is left out with its results, never split:
        ((), (*OLD[:3], ROUND), 14 + 14 + 31, 2, 5),
        ((), (*OLD[:3], ROUND), 14 + 14 + 30, 4, 1),  # the round does not fit whole: it goes, and all before it
        ((), (*OLD[:3], ROUND), 14 + 31, 4, 1),  # it fits, but its question does not: it goes too
        ((), (ROUND, *OLD[:2]), 14 + 28 + 30, 1, 3),
        ((), (OLD[0], (), OLD[2]), 14 + 14, 1, 2),  # an answer that failed before any text is neither sent nor counted
    ],
)
def test_the_oldest_messages_are_left_out_to_fit(system, earlier, budget, left_out, sent):
    fitted = fit(History(system=system, earlier=earlier, last=NEW), budget)
    assert fitted.left_out == left_out
    assert len(fitted.messages) == sent
    assert fitted.messages[: len(system)] == system  # the system prompt is always first
    assert fitted.messages[-1] == NEW[0]  # the new message always last
    kept = [unit for unit in earlier if unit][(left_out or 0) :]
    assert fitted.messages[len(system) : -1] == tuple(m for unit in kept for m in unit)  # the newest kept, in order


def test_the_messages_always_sent_last_are_all_kept():
    """Continuing an answer: the user's message and the answer so far are both kept."""
    last = (text("user", 40), text("assistant", 400))
    fitted = fit(History(system=(), earlier=OLD, last=last), 14 + 104 + 28)
    assert fitted.left_out == 4
    assert fitted.messages == (*OLD[4], *OLD[5], *last)
