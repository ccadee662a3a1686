"""The gateway with a real llama.cpp server behind it: the official `openai` and `anthropic` SDKs
stream a short answer through drupe, whichever of llama.cpp's APIs drupe speaks to it (its OpenAI
chat or its Anthropic messages), and each request is in the usage log with the server's tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drupe.registry import Registry
from drupe.store import open_store

pytestmark = pytest.mark.needs_llama

ASK = [{"role": "user", "content": "Say hello."}]
PROVIDERS = {"llama": "openai", "llama-messages": "anthropic"}
"""The same server twice: drupe speaks OpenAI chat to one, Anthropic messages to the other."""


@pytest.fixture
def gw(gateway, llama_server):
    """The providers are in the store before the server starts: its first snapshot has them."""
    registry = Registry(open_store())
    for name, kind in PROVIDERS.items():
        registry.add_provider(name, kind, base_url=llama_server.base_url)
        registry.add_model(name, llama_server.model_id)
    return gateway()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_openai_sdk_streams_a_short_answer_from_llama_cpp(gw, llama_server, provider):
    model = f"{provider}/{llama_server.model_id}"
    stream = gw.openai(timeout=120).chat.completions.create(
        model=model, messages=ASK, max_tokens=8, temperature=0, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() and chunks[-1].model == model
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    usage = chunks[-1].usage
    assert usage.prompt_tokens > 0 and 0 < usage.completion_tokens <= 8
    (row,) = gw.usage(1)
    assert (row.api, row.provider, row.provider_model, row.status, row.error) == (
        "openai", provider, llama_server.model_id, 200, None,
    )  # fmt: skip
    assert (row.input_tokens, row.output_tokens) == (usage.prompt_tokens, usage.completion_tokens)
    assert 0 < row.ttft_ms <= row.duration_ms


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_anthropic_sdk_streams_a_short_answer_from_llama_cpp(gw, llama_server, provider):
    model = f"{provider}/{llama_server.model_id}"
    with gw.anthropic(timeout=120).messages.stream(
        model=model, max_tokens=8, system="Answer in a few words.", messages=ASK, extra_body={"temperature": 0}
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.strip() and final.model == model and final.stop_reason in ("end_turn", "max_tokens")
    assert final.usage.input_tokens > 0 and 0 < final.usage.output_tokens <= 8
    (row,) = gw.usage(1)
    assert (row.api, row.provider, row.status) == ("anthropic", provider, 200)
    assert (row.input_tokens, row.output_tokens) == (final.usage.input_tokens, final.usage.output_tokens)
    summary = gw.server.app.state.gateway.usage.summary(datetime.now(UTC) - timedelta(hours=1), "provider")
    assert [(s["provider"], s["requests"], s["errors"], s["output_tokens"]) for s in summary] == [
        (provider, 1, 0, final.usage.output_tokens)
    ]
