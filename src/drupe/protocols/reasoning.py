"""`ChatRequest.reasoning_effort` as each vendor documents it, one pure function per wire format.

The effort words are OpenAI's (`none`, `minimal`, `low`, `medium`, `high`); None leaves the
provider's default, and no field is sent. A conversation's "off" arrives as `none`.

- OpenAI Chat Completions (and Azure OpenAI): `reasoning_effort`, as given
  (https://platform.openai.com/docs/api-reference/chat/create#chat-create-reasoning_effort).
- OpenAI Responses: `reasoning: {effort}`, with `summary: auto` so the reasoning is shown
  when there is some (https://platform.openai.com/docs/api-reference/responses/create#responses-create-reasoning).
- Anthropic: `thinking: {type: enabled, budget_tokens}`, the budget at least 1024 and below
  `max_tokens` (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking); `none`
  sends no `thinking`, which is Anthropic's "off".
- Gemini: `generationConfig.thinkingConfig.thinkingBudget`, 0 turning thinking off where the model
  allows it (https://ai.google.dev/gemini-api/docs/thinking#set-budget).
"""

from __future__ import annotations

EFFORTS = ("none", "minimal", "low", "medium", "high")
"""The words `reasoning_effort` takes."""

ANTHROPIC_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384}
"""Extended-thinking budgets in tokens; 1024 is the least Anthropic takes."""

ANTHROPIC_ANSWER_TOKENS = 4096
"""Room for the answer itself when the request names no `max_tokens` (Anthropic requires one)."""

GEMINI_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
"""Thinking budgets in tokens; 24576 is the most Gemini 2.5 Flash takes."""

GEMINI_LEAST_BUDGET = 128
"""The smallest budget of the Gemini Pro models, which cannot turn thinking off (0 is refused)."""


def openai_chat_fields(effort: str | None) -> dict:
    """`reasoning_effort`, unchanged (`none` is how gpt-5.1 and later turn reasoning off)."""
    return {} if effort is None else {"reasoning_effort": effort}


def openai_responses_fields(effort: str | None) -> dict:
    """`reasoning: {effort, summary}`; no summary asked for when reasoning is off."""
    if not effort:
        return {}
    if effort == "none":
        return {"reasoning": {"effort": "none"}}
    return {"reasoning": {"effort": effort, "summary": "auto"}}


def anthropic_fields(effort: str | None, max_tokens: int | None) -> dict:
    """`max_tokens` (always: Anthropic requires it) and `thinking` when an effort asks for it.
    With thinking, `max_tokens` covers the budget and the answer: a `max_tokens` not above the
    budget gets the budget added, so the request is not refused and the answer keeps its room."""
    budget = ANTHROPIC_BUDGETS.get(effort or "")
    if budget is None:
        return {"max_tokens": max_tokens or ANTHROPIC_ANSWER_TOKENS}
    answer = max_tokens or ANTHROPIC_ANSWER_TOKENS
    total = answer if max_tokens is not None and max_tokens > budget else answer + budget
    return {"max_tokens": total, "thinking": {"type": "enabled", "budget_tokens": budget}}


def gemini_thinking_config(model: str, effort: str | None) -> dict | None:
    """`thinkingConfig`, or None to leave the model's own. Off is a budget of 0, except on the
    Pro models, which cannot stop thinking: they get their smallest budget instead."""
    if effort not in GEMINI_BUDGETS:
        return None
    budget = GEMINI_BUDGETS[effort]
    if budget == 0 and "-pro" in model.lower():
        budget = GEMINI_LEAST_BUDGET
    return {"includeThoughts": budget > 0, "thinkingBudget": budget}
