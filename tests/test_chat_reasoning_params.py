"""A conversation's reasoning level and custom parameters: stored, checked, and in the body each
fake upstream received (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from drupe.chat import ChatService, ConversationSettings, Target
from drupe.chat.params import param_from_text
from drupe.chat.records import CustomParam
from drupe.chat.tables import conversations
from drupe.errors import DrupeError
from drupe.store import open_store

pytestmark = pytest.mark.usefixtures("database_url")


def service_for(upstream, extra_body=None, model="fake-model"):
    svc = ChatService(open_store())
    options = {"extra_body": extra_body} if extra_body else {}
    base = upstream.base_url
    svc.registry.add_provider("fake", upstream.kind, base_url=base, options=options, api_version="v1")
    svc.registry.add_model("fake", model)
    return svc


def ask(svc, conversation_id, model="fake-model"):
    async def collect():
        return [event async for event in svc.send(conversation_id, "Hi", [Target("fake", model)])]

    asyncio.run(asyncio.wait_for(collect(), 30))


@pytest.mark.parametrize(
    ("kind", "reasoning", "expected"),
    [
        ("openai", "high", {"reasoning_effort": "high"}),
        ("openai", "off", {"reasoning_effort": "none"}),
        ("azure-openai", "low", {"reasoning_effort": "low"}),
        ("openai-response", "medium", {"reasoning": {"effort": "medium", "summary": "auto"}}),
        ("openai-response", "off", {"reasoning": {"effort": "none"}}),
        ("anthropic", "medium", {"thinking": {"type": "enabled", "budget_tokens": 4096}, "max_tokens": 8192}),
        ("anthropic", "off", {"max_tokens": 4096}),
        ("gemini", "low", {"generationConfig": {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": 1024}}}),
        ("gemini", "off", {"generationConfig": {"thinkingConfig": {"includeThoughts": False, "thinkingBudget": 0}}}),
    ],
)
def test_the_conversations_reasoning_reaches_each_wire(fake_upstream, kind, reasoning, expected):
    upstream = fake_upstream(kind)
    svc = service_for(upstream)
    conversation = svc.create_conversation(settings=ConversationSettings(reasoning=reasoning))
    ask(svc, conversation.id)
    body = upstream.requests[-1].json
    assert {name: body.get(name) for name in expected} == expected


@pytest.mark.parametrize("kind", ["openai", "openai-response", "anthropic", "gemini"])
def test_no_reasoning_level_sends_no_reasoning_field(fake_upstream, kind):
    upstream = fake_upstream(kind)
    svc = service_for(upstream)
    ask(svc, svc.create_conversation().id)
    body = upstream.requests[-1].json
    assert not {"reasoning_effort", "reasoning", "thinking"} & set(body)
    assert "thinkingConfig" not in body.get("generationConfig", {})


def test_custom_parameters_go_over_the_providers_extra_body(fake_upstream):
    upstream = fake_upstream("openai")
    svc = service_for(upstream, extra_body={"top_k": 20, "seed": 1, "tag": "provider", "kwargs": {"a": 1, "b": 2}})
    params = (
        {"name": "top_k", "type": "number", "value": "5"},
        {"name": "tag", "type": "text", "value": "mine"},
        {"name": "echo", "type": "boolean", "value": "true"},
        {"name": "kwargs", "type": "json", "value": '{"b": 3, "c": [1, 2]}'},
        {"name": "seed", "type": "json", "value": "null"},
    )
    conversation = svc.create_conversation(settings=ConversationSettings(params=params))  # type: ignore[arg-type]
    assert conversation.settings.params[0] == CustomParam("top_k", "number", 5)
    ask(svc, conversation.id)
    body = upstream.requests[-1].json
    assert body["top_k"] == 5 and body["tag"] == "mine" and body["echo"] is True
    assert body["kwargs"] == {"a": 1, "b": 3, "c": [1, 2]}
    assert "seed" not in body  # null removes the provider's field


def test_settings_survive_a_store_reopen_and_update_by_field(fake_upstream):
    upstream = fake_upstream("anthropic")
    svc = service_for(upstream)
    conversation = svc.create_conversation(settings=ConversationSettings(reasoning="low"))
    svc.update_settings(conversation.id, params=[param_from_text("top_k=7")])
    again = ChatService(open_store()).get_conversation(conversation.id)
    assert again.settings.reasoning == "low" and again.settings.params == (CustomParam("top_k", "number", 7),)
    svc.update_settings(conversation.id, temperature=0.5)  # the params are checked again, unchanged
    svc.update_settings(conversation.id, reasoning=None, params=[])
    cleared = svc.get_conversation(conversation.id).settings
    assert cleared.reasoning is None and cleared.params == ()
    with svc.store.engine.connect() as conn:
        row = conn.execute(sa.select(conversations.c.reasoning, conversations.c.params)).one()
    assert tuple(row) == (None, None)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"reasoning": "extreme"}, "Reasoning must be off, low, medium or high"),
        ({"params": [{"name": "x", "type": "json", "value": "{nope"}]}, "'x' is not valid JSON"),
        ({"params": [{"name": "k", "type": "number", "value": "many"}]}, "'k' must be a number, not 'many'"),
        ({"params": [{"name": "k", "type": "number", "value": True}]}, "'k' must be a number"),
        ({"params": [{"name": "  ", "type": "text", "value": "v"}]}, "needs a name"),
        ({"params": [{"name": "b", "type": "boolean", "value": "yes"}]}, "'b' must be true or false"),
        ({"params": [{"name": "t", "type": "date", "value": "1"}]}, "no type 'date'"),
        ({"params": [{"name": "a", "type": "text", "value": "1"}] * 2}, "'a' is given twice"),
        ({"params": [{"name": "t", "type": "text", "value": "a\x00b"}]}, "'t' holds a NUL character"),
    ],
)
def test_bad_settings_are_refused_with_what_to_fix(settings, message):
    svc = ChatService(open_store())
    conversation = svc.create_conversation()
    with pytest.raises(DrupeError, match=message) as error:
        svc.update_settings(conversation.id, **settings)
    assert error.value.code == "invalid"
    with pytest.raises(DrupeError, match=message):
        svc.create_conversation(settings=ConversationSettings(**settings))


@pytest.mark.parametrize(
    ("text", "param"),
    [
        ("top_k=20", CustomParam("top_k", "number", 20)),
        ("t=0.5", CustomParam("t", "number", 0.5)),
        ("flag=false", CustomParam("flag", "boolean", False)),
        ("name=hello world", CustomParam("name", "text", "hello world")),
        ('name="20"', CustomParam("name", "text", "20")),
        ('kw={"a": 1}', CustomParam("kw", "json", '{"a": 1}')),
        ("stop=[1,2]", CustomParam("stop", "json", "[1,2]")),
        ("seed=null", CustomParam("seed", "json", "null")),
        ("empty=", CustomParam("empty", "text", "")),
        ("eq=a=b", CustomParam("eq", "text", "a=b")),
    ],
)
def test_a_parameter_from_the_command_line_is_json_when_it_parses(text, param):
    assert param_from_text(text) == param


@pytest.mark.parametrize("text", ["top_k", "=5", " =5"])
def test_a_parameter_without_a_name_or_value_is_refused(text):
    with pytest.raises(DrupeError, match="NAME=VALUE"):
        param_from_text(text)
