"""The client against a real llama.cpp server, in each of the formats it speaks."""

from __future__ import annotations

import asyncio

import pytest

from drupe.protocols.base import ChatRequest, Endpoint, Message, Metrics
from drupe.protocols.client import check_key, complete_chat, fold, list_models, stream_chat

KINDS = ["openai", "openai-response", "anthropic"]


def endpoint(server, kind: str) -> Endpoint:
    return Endpoint(type=kind, base_url=server.base_url, timeout=120)


def request(server) -> ChatRequest:
    return ChatRequest(
        model=server.model_id,
        messages=(Message("system", "Answer in a few words."), Message("user", "Say hello.")),
        max_tokens=8,
        temperature=0,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_streamed_chat_reports_usage_and_metrics(llama_server, kind):
    async def collect():
        return [event async for event in stream_chat(endpoint(llama_server, kind), request(llama_server))]

    events = asyncio.run(collect())
    result = fold(events)
    assert result.text.strip()
    assert 0 < result.output_tokens <= 8 and result.input_tokens > 0
    assert result.finish_reason in ("stop", "length")
    assert isinstance(events[-1], Metrics) and events[-1].time_to_first_token_ms > 0


@pytest.mark.parametrize("kind", KINDS)
def test_whole_answer(llama_server, kind):
    result = asyncio.run(complete_chat(endpoint(llama_server, kind), request(llama_server)))
    assert result.text.strip() and 0 < result.output_tokens <= 8


@pytest.mark.parametrize("kind", KINDS)
def test_model_list_holds_the_served_model(llama_server, kind):
    models = asyncio.run(list_models(endpoint(llama_server, kind)))
    assert llama_server.model_id in [model.id for model in models]


@pytest.mark.parametrize("kind", KINDS)
def test_check_succeeds_without_a_key(llama_server, kind):
    result = asyncio.run(check_key(endpoint(llama_server, kind), llama_server.model_id, None))
    assert result.ok and result.error is None and result.latency_ms > 0


def test_an_unknown_path_is_not_found(llama_server):
    broken = Endpoint(type="openai", base_url=llama_server.base_url + "/nowhere#", timeout=30)
    result = asyncio.run(check_key(broken, llama_server.model_id, None))
    assert not result.ok and result.error.kind == "not_found" and result.error.status == 404
