"""Reasoning effort on the wire: each vendor's documented field, level by level (drupe.protocols.reasoning)."""

from __future__ import annotations

import pytest

from drupe.protocols import reasoning
from drupe.protocols.base import ChatRequest, Endpoint, Message, ToolCall, ToolSpec
from drupe.protocols.types import TYPES

HI = (Message("user", "hi"),)


@pytest.mark.parametrize(
    ("effort", "fields"),
    [
        (None, {}),
        ("none", {"reasoning_effort": "none"}),
        ("low", {"reasoning_effort": "low"}),
        ("medium", {"reasoning_effort": "medium"}),
        ("high", {"reasoning_effort": "high"}),
    ],
)
def test_openai_chat_and_azure_send_reasoning_effort(effort, fields):
    assert reasoning.openai_chat_fields(effort) == fields
    for endpoint in (Endpoint("openai"), Endpoint("azure-openai", "https://r.openai.azure.com", api_version="v1")):
        body = TYPES[endpoint.type].build_chat(endpoint, ChatRequest("o3", HI, reasoning_effort=effort), "k", True).json
        assert {k: v for k, v in body.items() if k == "reasoning_effort"} == fields


@pytest.mark.parametrize(
    ("effort", "fields"),
    [
        (None, {}),
        ("none", {"reasoning": {"effort": "none"}}),
        ("low", {"reasoning": {"effort": "low", "summary": "auto"}}),
        ("medium", {"reasoning": {"effort": "medium", "summary": "auto"}}),
        ("high", {"reasoning": {"effort": "high", "summary": "auto"}}),
    ],
)
def test_openai_responses_send_reasoning_object(effort, fields):
    assert reasoning.openai_responses_fields(effort) == fields
    request = ChatRequest("o3", HI, reasoning_effort=effort)
    body = TYPES["openai-response"].build_chat(Endpoint("openai-response"), request, "k", True).json
    assert {k: v for k, v in body.items() if k == "reasoning"} == fields


@pytest.mark.parametrize(
    ("effort", "max_tokens", "fields"),
    [
        (None, None, {"max_tokens": 4096}),
        (None, 100, {"max_tokens": 100}),
        ("none", None, {"max_tokens": 4096}),
        ("none", 100, {"max_tokens": 100}),
        ("low", None, {"max_tokens": 4096 + 1024, "thinking": {"type": "enabled", "budget_tokens": 1024}}),
        ("medium", None, {"max_tokens": 4096 + 4096, "thinking": {"type": "enabled", "budget_tokens": 4096}}),
        ("high", None, {"max_tokens": 4096 + 16384, "thinking": {"type": "enabled", "budget_tokens": 16384}}),
        ("low", 500, {"max_tokens": 1524, "thinking": {"type": "enabled", "budget_tokens": 1024}}),
        ("high", 16384, {"max_tokens": 32768, "thinking": {"type": "enabled", "budget_tokens": 16384}}),
        ("medium", 32000, {"max_tokens": 32000, "thinking": {"type": "enabled", "budget_tokens": 4096}}),
    ],
)
def test_anthropic_thinking_budget_always_below_max_tokens(effort, max_tokens, fields):
    assert reasoning.anthropic_fields(effort, max_tokens) == fields
    request = ChatRequest("claude-sonnet-4-5", HI, max_tokens=max_tokens, reasoning_effort=effort)
    body = TYPES["anthropic"].build_chat(Endpoint("anthropic"), request, "k", True).json
    assert {k: v for k, v in body.items() if k in ("max_tokens", "thinking")} == fields
    if "thinking" in body:
        assert body["thinking"]["budget_tokens"] >= 1024
        assert body["max_tokens"] > body["thinking"]["budget_tokens"]


def test_anthropic_leaves_thinking_off_in_a_round_of_tool_calls():
    calls = (ToolCall("c1", "t", "{}"),)
    messages = (*HI, Message("assistant", "", tool_calls=calls))
    request = ChatRequest("m", messages, reasoning_effort="high", tools=(ToolSpec("t"),))
    assert "thinking" not in TYPES["anthropic"].build_chat(Endpoint("anthropic"), request, "k", True).json


@pytest.mark.parametrize(
    ("model", "effort", "config"),
    [
        ("gemini-2.5-flash", None, None),
        ("gemini-2.5-flash", "none", {"includeThoughts": False, "thinkingBudget": 0}),
        ("gemini-2.5-flash-lite", "none", {"includeThoughts": False, "thinkingBudget": 0}),
        ("gemini-2.5-pro", "none", {"includeThoughts": True, "thinkingBudget": 128}),
        ("gemini-2.5-flash", "low", {"includeThoughts": True, "thinkingBudget": 1024}),
        ("gemini-2.5-flash", "medium", {"includeThoughts": True, "thinkingBudget": 8192}),
        ("gemini-2.5-pro", "high", {"includeThoughts": True, "thinkingBudget": 24576}),
    ],
)
def test_gemini_thinking_budget(model, effort, config):
    assert reasoning.gemini_thinking_config(model, effort) == config
    request = ChatRequest(model, HI, reasoning_effort=effort)
    body = TYPES["gemini"].build_chat(Endpoint("gemini"), request, "k", True).json
    assert body.get("generationConfig", {}).get("thinkingConfig") == config


def test_every_effort_word_is_mapped_by_every_type():
    for effort in reasoning.EFFORTS:
        for type_id in ("openai", "openai-response", "anthropic", "gemini", "azure-openai"):
            endpoint = Endpoint(type_id, "https://r.openai.azure.com" if type_id == "azure-openai" else "")
            TYPES[type_id].build_chat(endpoint, ChatRequest("m", HI, reasoning_effort=effort), "k", True)
