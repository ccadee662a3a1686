"""Going on with a conversation without naming a model: its own models answer (service, CLI, API)."""

import asyncio
import json

import pytest

from drupe.chat import AnswerFinished, ChatService, Target
from drupe.store import open_store
from tests.cli_helpers import run_drupe

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL


def two_providers(fake_upstream):
    """`vLLM` (models M and N) and `other` (model O): three enabled models, no default."""
    vllm = fake_upstream("openai", text="From vLLM")
    other = fake_upstream("anthropic", text="From other")
    svc = ChatService(open_store())
    svc.registry.add_provider("vLLM", "openai", base_url=vllm.base_url)
    svc.registry.add_model("vLLM", "M")
    svc.registry.add_model("vLLM", "N")
    svc.registry.add_provider("other", "anthropic", base_url=other.base_url)
    svc.registry.add_model("other", "O")
    return svc, vllm, other


def run(events):
    async def collect():
        return [event async for event in events]

    return asyncio.run(asyncio.wait_for(collect(), 30))


def test_the_cli_continues_with_the_conversations_own_model(fake_upstream):
    _, vllm, other = two_providers(fake_upstream)
    first = run_drupe("chat", "-p", "vLLM", "-m", "M", "hi", input="")
    assert first.returncode == 0, first.stderr
    result = run_drupe("chat", "-c", "--json", "more", input="")

    assert result.returncode == 0, result.stderr
    [answer] = json.loads(result.stdout)["answers"]
    assert (answer["provider"], answer["model"], answer["content"]) == ("vLLM", "M", "From vLLM")
    assert [r.json["model"] for r in vllm.requests] == ["M", "M"] and not other.requests
    assert [m["content"] for m in vllm.requests[-1].json["messages"]] == ["hi", "From vLLM", "more"]


def test_a_multi_model_turn_goes_on_with_every_model_and_a_model_given_wins(fake_upstream):
    two_providers(fake_upstream)
    first = run_drupe("chat", "-m", "vLLM/N", "-m", "other/O", "compare", input="")
    assert first.returncode == 0, first.stderr
    both = json.loads(run_drupe("chat", "-c", "--json", "again", input="").stdout)["answers"]
    assert [(a["provider"], a["model"]) for a in both] == [("vLLM", "N"), ("other", "O")]

    conversation = json.loads(run_drupe("conversations", "list", "--json").stdout)[0]["id"]
    chosen = json.loads(run_drupe("chat", "--conversation", conversation, "-m", "M", "--json", "x", input="").stdout)
    assert [(a["provider"], a["model"]) for a in chosen["answers"]] == [("vLLM", "M")]


def test_a_conversation_without_answers_needs_the_default(fake_upstream):
    svc, _, _ = two_providers(fake_upstream)
    svc.create_conversation("Empty")
    result = run_drupe("chat", "-c", "hello", input="")
    assert result.returncode == 1 and "No model chosen" in result.stderr


def test_continue_targets_follow_the_latest_turn(fake_upstream):
    svc, _, _ = two_providers(fake_upstream)
    conversation = svc.create_conversation()
    events = run(svc.send(conversation.id, "compare", [Target("vLLM", "M"), Target("other", "O")]))
    assert svc.continue_targets(conversation.id) == [Target("vLLM", "M"), Target("other", "O")]

    # A regeneration by another model is the answer shown: that model goes on, alone.
    answer_id = next(e.answer.id for e in events if isinstance(e, AnswerFinished))
    run(svc.regenerate(answer_id, [Target("vLLM", "N")]))
    assert svc.continue_targets(conversation.id) == [Target("vLLM", "N")]

    # A model no longer offered is left out; with none left, the default rules apply (here: the
    # only enabled model left).
    svc.registry.set_enabled("vLLM", False)
    assert svc.continue_targets(conversation.id) == [Target("other", "O")]


def test_the_api_goes_on_with_the_conversations_models_when_given_none(web_server, fake_upstream):
    _, vllm, _ = two_providers(fake_upstream)
    server = web_server()
    conversation = server.client.post("/api/conversations", json={}).json()["id"]
    path = f"/api/conversations/{conversation}/messages"
    server.events(path, {"content": "hi", "targets": [{"provider": "vLLM", "model": "N"}]})
    events = server.events(path, {"content": "more"})

    started = [e for e in events if e["type"] == "start"]
    assert [(e["provider"], e["model"]) for e in started] == [("vLLM", "N")]
    assert [r.json["model"] for r in vllm.requests] == ["N", "N"]
    assert server.client.get(f"/api/conversations/{conversation}/models").json() == [{"provider": "vLLM", "model": "N"}]

    empty = server.client.post("/api/conversations", json={}).json()["id"]
    assert server.client.get(f"/api/conversations/{empty}/models").json() == []
    no_model = server.client.post(f"/api/conversations/{empty}/messages", json={"content": "hi"})
    assert no_model.status_code == 400 and "No model chosen" in no_model.json()["error"]["message"]
