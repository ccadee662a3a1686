"""Every provider type behind the gateway, through both official SDKs: a streamed answer and a
tool call arrive in the client's own format whatever the provider speaks (issue 16: "behind the
gateway: the fake upstreams of every type")."""

from __future__ import annotations

import json

import pytest

from tests.fakes.answer import FakeCall
from tests.fakes.upstream import KINDS

CALLS = (FakeCall("get_weather", '{"city": "Oslo"}', chunks=3),)
PARAMETERS = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
OPENAI_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather.", "parameters": PARAMETERS},
}
ANTHROPIC_TOOL = {"name": "get_weather", "description": "Weather.", "input_schema": PARAMETERS}
QUESTION = [{"role": "user", "content": "Weather in Oslo?"}]


@pytest.mark.parametrize("kind", KINDS)
def test_an_openai_client_gets_text_and_tool_calls_from_every_provider_type(gateway, kind):
    gw = gateway(up={"kind": kind, "text": "Sunny in Oslo.", "tool_calls": CALLS})
    client = gw.openai()

    plain = client.chat.completions.create(model="up/fake-model", messages=QUESTION, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in plain if c.choices) == "Sunny in Oslo."

    stream = client.chat.completions.create(model="up/fake-model", messages=QUESTION, tools=[OPENAI_TOOL], stream=True)
    chunks = [c for c in stream if c.choices]
    calls = [call for c in chunks for call in c.choices[0].delta.tool_calls or ()]
    named = [call for call in calls if call.function and call.function.name]
    assert [call.function.name for call in named] == ["get_weather"]
    arguments = "".join(call.function.arguments or "" for call in calls if call.function)
    assert json.loads(arguments) == {"city": "Oslo"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("kind", KINDS)
def test_an_anthropic_client_gets_text_and_tool_use_from_every_provider_type(gateway, kind):
    gw = gateway(up={"kind": kind, "text": "Sunny in Oslo.", "tool_calls": CALLS})
    client = gw.anthropic()

    with client.messages.stream(model="up/fake-model", max_tokens=256, messages=QUESTION) as stream:
        assert "".join(stream.text_stream) == "Sunny in Oslo."

    with client.messages.stream(
        model="up/fake-model", max_tokens=256, messages=QUESTION, tools=[ANTHROPIC_TOOL]
    ) as stream:
        message = stream.get_final_message()
    [use] = [block for block in message.content if block.type == "tool_use"]
    assert (use.name, use.input) == ("get_weather", {"city": "Oslo"})
    assert message.stop_reason == "tool_use"
