"""A real model calling a real tool: SmolLM2-135M on llama.cpp calls `get_current_time`, the real
`mcp-server-time` answers over stdio, and the model answers with text from the result.

SmolLM2's own chat template renders no tools, so llama.cpp drops them (the first test pins that).
The other tests start a second server with `templates/chatml_function_calls.jinja`, whose call
format has no marker before the call: with `tool_choice: "required"` llama.cpp's grammar makes
the first token start a call, so the model calls every time (in trials, 10 of 10 calls valid).
The same format fails every text answer while tools are offered with `tool_choice: "auto"`, so
the round after the result is sent with `"none"` (a test pins why).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drupe.errors import DrupeError, ProviderError
from drupe.local.supervisor import LocalServer
from drupe.protocols.base import ChatRequest, Endpoint, Message, TextDelta, ToolCall, ToolResult, ToolSpec
from drupe.protocols.client import fold, stream_chat
from drupe.tools.client import call_tool, server_info
from drupe.tools.servers import McpServer

pytestmark = pytest.mark.needs_llama

TEMPLATE = Path(__file__).parent / "templates" / "chatml_function_calls.jinja"
TIME_SERVER = McpServer(id="x", name="time", transport="stdio", command=sys.executable, args=["-m", "mcp_server_time"])
ASK = "What time is it in Tokyo? Use the tool."


@pytest.fixture(scope="module")
def tool_llama(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """SmolLM2 served with the tool template; one slot, stopped when this module's tests are done."""
    server = LocalServer(
        smollm2_gguf,
        ctx=4096,
        threads=1,
        parallel=1,
        chat_template_file=TEMPLATE,
        log_path=tmp_path_factory.mktemp("llama-tools") / "server.log",
        start_timeout=120.0,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def time_tools() -> tuple[ToolSpec, ...]:
    """The tools `mcp-server-time` offers, as it describes them (get_current_time and convert_time)."""
    info = asyncio.run(server_info(TIME_SERVER))
    return tuple(ToolSpec(tool.name, tool.description, tool.input_schema) for tool in info.tools)


def endpoint(server: LocalServer) -> Endpoint:
    return Endpoint(type="openai", base_url=server.base_url, timeout=120)


def chat(server: LocalServer, request: ChatRequest) -> list:
    async def collect() -> list:
        return [event async for event in stream_chat(endpoint(server), request)]

    return asyncio.run(collect())


def test_the_default_template_drops_tools(llama_server, time_tools):
    request = ChatRequest(
        model=llama_server.model_id, messages=(Message("user", ASK),), tools=time_tools, tool_choice="required",
        max_tokens=24, temperature=0,
    )  # fmt: skip
    result = fold(chat(llama_server, request))
    assert result.tool_calls == () and result.text.strip()
    assert result.finish_reason in ("stop", "length")


def test_model_calls_the_time_tool_and_answers_from_its_result(tool_llama, time_tools):
    asked = (Message("user", ASK),)
    request = ChatRequest(
        model=tool_llama.model_id, messages=asked, tools=time_tools, tool_choice="required", max_tokens=64,
        temperature=0,
    )  # fmt: skip
    events = chat(tool_llama, request)
    [call] = [event for event in events if isinstance(event, ToolCall)]
    assert call.name == "get_current_time" and call.id
    arguments = json.loads(call.arguments)
    assert isinstance(arguments.get("timezone"), str) and arguments["timezone"].strip()
    assert fold(events).finish_reason == "tool_calls"

    result = asyncio.run(call_tool(TIME_SERVER, call.name, arguments))
    if result.is_error:  # a timezone the server does not know: it says so, and the model hears that
        assert arguments["timezone"] in result.text
    else:
        assert json.loads(result.text)["timezone"] == arguments["timezone"]

    answered = (
        *asked,
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", "", tool_result=ToolResult(call.id, call.name, result.text, result.is_error)),
    )
    follow_up = ChatRequest(
        model=tool_llama.model_id, messages=answered, tools=time_tools, tool_choice="none", max_tokens=24,
        temperature=0,
    )  # fmt: skip
    events = chat(tool_llama, follow_up)
    final = fold(events)
    assert not [event for event in events if isinstance(event, ToolCall)]
    assert final.text.strip() and any(isinstance(event, TextDelta) for event in events)
    assert final.finish_reason in ("stop", "length")


def test_with_the_tool_template_a_text_answer_under_auto_is_refused(tool_llama, time_tools):
    """Why the template is not drupe's default: offered tools with tool_choice "auto", this model
    answers in text, and llama.cpp refuses the text it cannot parse as a call."""
    request = ChatRequest(
        model=tool_llama.model_id, messages=(Message("user", "Say hello."),), tools=time_tools, tool_choice="auto",
        max_tokens=16, temperature=0,
    )  # fmt: skip
    with pytest.raises(ProviderError) as caught:
        chat(tool_llama, request)
    assert "does not match" in str(caught.value)


def test_an_unreadable_template_stops_the_start_saying_so(smollm2_gguf, tmp_path):
    missing = tmp_path / "nowhere.jinja"
    server = LocalServer(smollm2_gguf, chat_template_file=missing, log_path=tmp_path / "server.log", max_restarts=0)
    with pytest.raises(DrupeError) as caught:
        server.start()
    server.stop()
    assert f"cannot read the chat template {missing}" in str(caught.value)
