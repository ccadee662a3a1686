"""The gateway's `/v1` API through the official `openai` and `anthropic` SDKs, streamed and not,
with tool calls, against fake providers of each type: same API and translated both ways.
Faults, keys and errors: tests/test_gateway_faults.py."""

from __future__ import annotations

import json

import anthropic
import pytest

from tests.fakes.answer import FakeCall

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
CALLS = (FakeCall("get_weather", '{"city": "Oslo"}', chunks=3, id="call_oslo"),)
ANTHROPIC_WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city.",
    "input_schema": WEATHER["function"]["parameters"],
}


def test_openai_sdk_streams_and_gets_whole_answers_from_an_openai_provider(gateway):
    gw = gateway(openai={"text": "Hello from the fake", "reasoning": "Thinking it over"})
    client = gw.openai()
    stream = client.chat.completions.create(
        model="openai/fake-model", messages=[{"role": "user", "content": "Hi"}], stream=True,
        stream_options={"include_usage": True}, temperature=0.3, max_completion_tokens=50, seed=7,
    )  # fmt: skip
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the fake"
    reasoning = [getattr(c.choices[0].delta, "reasoning_content", None) for c in chunks if c.choices]
    assert "".join(r for r in reasoning if r) == "Thinking it over"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    sent = gw.upstreams["openai"].requests[-1].json
    assert sent["model"] == "fake-model" and sent["temperature"] == 0.3 and sent["seed"] == 7  # passed through

    whole = client.chat.completions.create(model="fake-large", messages=[{"role": "user", "content": "Hi"}])
    assert whole.choices[0].message.content == "Hello from the fake" and whole.model == "fake-large"
    assert whole.usage.prompt_tokens > 0 and gw.upstreams["openai"].requests[-1].json["model"] == "fake-large"


def test_openai_sdk_tool_calls_stream_and_whole_then_the_results_go_back(gateway):
    gw = gateway(openai={"text": "It is sunny in Oslo.", "tool_calls": CALLS})
    client = gw.openai()
    question = [{"role": "user", "content": "Weather in Oslo?"}]
    stream = client.chat.completions.create(model="openai/fake-model", messages=question, tools=[WEATHER], stream=True)
    deltas = [c.choices[0].delta for c in stream if c.choices]
    calls = [call for d in deltas for call in d.tool_calls or ()]
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_oslo", "get_weather", '{"city": "Oslo"}')
    ]

    whole = client.chat.completions.create(model="openai/fake-model", messages=question, tools=[WEATHER])
    message = whole.choices[0].message
    assert whole.choices[0].finish_reason == "tool_calls" and message.tool_calls[0].id == "call_oslo"
    history = [
        *question,
        message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": "call_oslo", "content": "Sunny, 21 °C"},
    ]
    answer = client.chat.completions.create(model="openai/fake-model", messages=history, tools=[WEATHER])
    assert answer.choices[0].message.content == "It is sunny in Oslo."
    sent = gw.upstreams["openai"].requests[-1].json["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": "call_oslo", "content": "Sunny, 21 °C"}


def test_anthropic_sdk_streams_and_gets_whole_answers_with_tools_from_an_anthropic_provider(gateway):
    gw = gateway(anthropic={"text": "Sunny.", "tool_calls": CALLS, "tool_text": "Let me check. "})
    client = gw.anthropic()
    question = [{"role": "user", "content": "Weather in Oslo?"}]
    with client.messages.stream(
        model="anthropic/fake-model",
        max_tokens=100,
        messages=question,
        tools=[ANTHROPIC_WEATHER],
        extra_body={"top_k": 3},
    ) as stream:
        said = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert said == "Let me check. " and final.stop_reason == "tool_use"
    use = final.content[-1]
    assert (use.type, use.id, use.name, use.input) == ("tool_use", "call_oslo", "get_weather", {"city": "Oslo"})
    assert gw.upstreams["anthropic"].requests[-1].json["top_k"] == 3  # passed through to its own API

    history = [
        *question,
        {"role": "assistant", "content": [block.model_dump() for block in final.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Sunny, 21 °C"}]},
    ]
    answer = client.messages.create(model="fake-model", max_tokens=100, messages=history, tools=[ANTHROPIC_WEATHER])
    assert answer.content[0].text == "Sunny." and answer.stop_reason == "end_turn"
    assert answer.usage.input_tokens > 0 and answer.usage.output_tokens > 0


def test_an_openai_client_reaches_an_anthropic_provider_with_images_and_tools(gateway):
    gw = gateway(anthropic={"text": "A cat. Sunny.", "tool_calls": CALLS})
    client = gw.openai()
    content = [
        {"type": "text", "text": "What is this, and the weather?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": content}]
    stream = client.chat.completions.create(
        model="anthropic/fake-model", messages=messages, tools=[WEATHER], tool_choice="required", stream=True,
        stream_options={"include_usage": True}, stop=["END"], reasoning_effort="high", seed=7,
    )  # fmt: skip
    chunks = list(stream)
    calls = [call for c in chunks if c.choices for call in c.choices[0].delta.tool_calls or ()]
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [("get_weather", {"city": "Oslo"})]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].usage.prompt_tokens > 0
    sent = gw.upstreams["anthropic"].requests[-1].json
    assert sent["system"] == "Be brief." and sent["stop_sequences"] == ["END"] and "seed" not in sent
    assert sent["messages"][0]["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
    }
    assert sent["tools"][0]["input_schema"] == WEATHER["function"]["parameters"]
    assert sent["tool_choice"] == {"type": "any"}

    call = {"id": calls[0].id, "type": "function", "function": calls[0].function.model_dump()}
    history = [
        *messages,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "Sunny"},
    ]
    answer = client.chat.completions.create(model="anthropic/fake-model", messages=history, tools=[WEATHER])
    assert answer.choices[0].message.content == "A cat. Sunny."
    turns = gw.upstreams["anthropic"].requests[-1].json["messages"]
    assert turns[-1]["content"] == [{"type": "tool_result", "tool_use_id": calls[0].id, "content": "Sunny"}]


def test_an_anthropic_client_reaches_an_openai_provider_with_thinking_and_tools(gateway):
    gw = gateway(openai={"text": "Sunny.", "reasoning": "Hmm.", "tool_calls": CALLS})
    client = gw.anthropic()
    question = [{"role": "user", "content": "Weather in Oslo?"}]
    with client.messages.stream(
        model="openai/fake-large", max_tokens=2000, system="Be brief.", messages=question, tools=[ANTHROPIC_WEATHER],
        thinking={"type": "enabled", "budget_tokens": 1024}, stop_sequences=["END"], extra_body={"top_k": 3},
    ) as stream:  # fmt: skip
        final = stream.get_final_message()
    use = final.content[-1]
    assert (use.name, use.input, final.stop_reason) == ("get_weather", {"city": "Oslo"}, "tool_use")
    sent = gw.upstreams["openai"].requests[-1].json
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert (sent["reasoning_effort"], sent["max_tokens"], sent["stop"]) == ("low", 2000, ["END"])
    assert sent["tools"][0]["function"]["name"] == "get_weather" and "top_k" not in sent

    history = [
        *question,
        {"role": "assistant", "content": [block.model_dump() for block in final.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Sunny", "is_error": False}],
        },
    ]
    answer = client.messages.create(
        model="openai/fake-large", max_tokens=100, messages=history, tools=[ANTHROPIC_WEATHER]
    )
    assert [b.type for b in answer.content] == ["thinking", "text"] and answer.content[1].text == "Sunny."
    assert answer.content[0].thinking == "Hmm."
    turns = gw.upstreams["openai"].requests[-1].json["messages"]
    assert turns[-2]["tool_calls"][0]["id"] == use.id
    assert turns[-1] == {"role": "tool", "tool_call_id": use.id, "content": "Sunny"}


def test_the_model_list_has_every_enabled_model_and_the_routes_in_each_sdks_shape(gateway):
    gw = gateway(openai={}, anthropic={}, routes={"fast": ["anthropic/fake-model", "openai/fake-model"]})
    from drupe.registry import Registry

    Registry(gw.store).add_provider("off", "openai", base_url="http://127.0.0.1:9", enabled=False)
    Registry(gw.store).add_model("off", "hidden-model")
    expected = ["anthropic/fake-model", "anthropic/fake-large", "openai/fake-model", "openai/fake-large", "fast"]
    assert sorted(m.id for m in gw.openai().models.list()) == sorted(expected)
    assert {m.owned_by for m in gw.openai().models.list()} == {"anthropic", "openai", "route"}
    listed = gw.anthropic().models.list()
    assert sorted(m.id for m in listed.data) == sorted(expected) and listed.has_more is False
    assert gw.openai().models.retrieve("fast").owned_by == "route"

    narrow = gw.key("narrow", models=["openai/*"])
    assert sorted(m.id for m in gw.openai(narrow).models.list()) == ["openai/fake-large", "openai/fake-model"]


def test_a_bare_model_id_offered_by_two_providers_is_refused_listing_them(gateway):
    gw = gateway(openai={}, anthropic={})
    with pytest.raises(anthropic.BadRequestError) as caught:
        gw.anthropic().messages.create(model="fake-model", max_tokens=10, messages=[{"role": "user", "content": "Hi"}])
    assert "anthropic/fake-model" in str(caught.value) and "openai/fake-model" in str(caught.value)


def test_every_chat_request_is_recorded_without_its_content(gateway):
    gw = gateway(openai={"text": "Hello there"}, routes={"fast": ["openai/fake-model"]})
    gw.openai().chat.completions.create(model="fast", messages=[{"role": "user", "content": "Secret words"}])
    with gw.anthropic().messages.stream(
        model="openai/fake-large", max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        stream.until_done()
    first, second = gw.usage(2)
    assert (first.api, first.model, first.route, first.provider, first.provider_model) == (
        "openai", "fast", "fast", "openai", "fake-model",
    )  # fmt: skip
    assert (second.api, second.model, second.route, second.provider_model) == (
        "anthropic",
        "openai/fake-large",
        None,
        "fake-large",
    )
    for row in (first, second):
        assert row.key_name == "tests" and row.status == 200 and row.error is None and row.content is None
        assert row.input_tokens > 0 and row.output_tokens == 2 and row.duration_ms > 0
    assert second.ttft_ms is not None and 0 < second.ttft_ms <= second.duration_ms


def test_with_log_gateway_content_the_request_and_answer_are_kept(gateway):
    gw = gateway(openai={"text": "Hello there"}, server={"log_gateway_content": True})
    gw.openai().chat.completions.create(model="openai/fake-model", messages=[{"role": "user", "content": "Hi you"}])
    (row,) = gw.usage(1)
    assert row.content["request"]["messages"] == [{"role": "user", "content": "Hi you"}]
    assert row.content["response"]["text"] == "Hello there"
