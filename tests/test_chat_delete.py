"""Deleting one message and what hangs under it: the service (SQLite and PostgreSQL), the CLI and the API."""

import asyncio
import json

import pytest

from drupe.chat import AnswerFinished, ChatService, Target
from drupe.chat.tables import messages
from drupe.errors import DrupeError
from drupe.store import open_store
from tests.cli_helpers import run_drupe

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL

TARGET = [Target("fake", "fake-model")]


def make_service(fake_upstream, text="first"):
    up = fake_upstream("openai", text=text)
    svc = ChatService(open_store())
    svc.registry.add_provider("fake", "openai", base_url=up.base_url)
    svc.registry.add_model("fake", "fake-model")
    return svc, up


def answer(svc, events):
    async def collect():
        return [event async for event in events]

    [done] = [e.answer for e in asyncio.run(asyncio.wait_for(collect(), 30)) if isinstance(e, AnswerFinished)]
    return done


def contents(svc, conversation_id):
    return [m.content for m in svc.history(conversation_id)]


def test_deleting_an_answer_takes_its_follow_ups_and_shows_its_alternative(fake_upstream):
    svc, up = make_service(fake_upstream)
    conv = svc.create_conversation()
    first = answer(svc, svc.send(conv.id, "Q", TARGET))
    follow = answer(svc, svc.send(conv.id, "follow-up", TARGET))
    up.text_chunks = ("second",)
    second = answer(svc, svc.regenerate(first.id))
    svc.select(first.id)
    other = svc.create_conversation()
    kept = answer(svc, svc.send(other.id, "elsewhere", TARGET))

    removed = svc.delete_message(first.id)

    assert removed[0] == first.id and set(removed) == {first.id, follow.parent_id, follow.id}
    assert contents(svc, conv.id) == ["Q", "second"]  # the branch moved to the remaining alternative
    assert svc.get_conversation(conv.id).current_leaf_id == second.id
    assert [m.id for m in svc.alternatives(second.id)] == [second.id]
    assert contents(svc, other.id) == ["elsewhere", "second"] and svc.get_message(kept.id)
    with pytest.raises(DrupeError) as gone:
        svc.get_message(follow.id)
    assert gone.value.code == "not_found"
    assert svc.search("follow") == []  # the search index forgot them too (SQLite's FTS5)


def test_deleting_the_last_turn_moves_the_branch_to_the_answer_before(fake_upstream):
    svc, _ = make_service(fake_upstream)
    conv = svc.create_conversation()
    first = answer(svc, svc.send(conv.id, "Q", TARGET))
    follow = answer(svc, svc.send(conv.id, "follow-up", TARGET))

    assert svc.delete_message(follow.parent_id, conv.id[:6]) == [follow.parent_id, follow.id]
    assert contents(svc, conv.id) == ["Q", "first"] and svc.get_conversation(conv.id).current_leaf_id == first.id

    svc.delete_message(first.parent_id)  # the first message: the conversation is empty, and kept
    assert svc.history(conv.id) == [] and svc.get_conversation(conv.id).current_leaf_id is None
    assert answer(svc, svc.send(conv.id, "again", TARGET)).content == "first"


def test_a_message_off_the_current_branch_goes_without_moving_it(fake_upstream):
    svc, up = make_service(fake_upstream)
    conv = svc.create_conversation()
    first = answer(svc, svc.send(conv.id, "Q", TARGET))
    up.text_chunks = ("second",)
    second = answer(svc, svc.regenerate(first.id))

    svc.delete_message(first.id)
    assert svc.get_conversation(conv.id).current_leaf_id == second.id and contents(svc, conv.id) == ["Q", "second"]


def test_refused_for_another_conversation_and_while_streaming(fake_upstream):
    svc, _ = make_service(fake_upstream)
    conv = svc.create_conversation()
    other = svc.create_conversation()
    first = answer(svc, svc.send(conv.id, "Q", TARGET))
    with pytest.raises(DrupeError) as wrong:
        svc.delete_message(first.id, other.id)
    assert wrong.value.code == "not_found" and contents(svc, conv.id) == ["Q", "first"]

    with svc.store.engine.begin() as conn:
        conn.execute(messages.update().where(messages.c.id == first.id).values(status="streaming", owner=None))
    with pytest.raises(DrupeError) as busy:
        svc.repository.delete_subtree(svc.get_message(first.parent_id), first.id)
    assert busy.value.code == "conflict" and contents(svc, conv.id) == ["Q", "first"]


def test_the_cli_deletes_a_message_when_confirmed(fake_upstream):
    svc, _ = make_service(fake_upstream)
    conv = svc.create_conversation()
    first = answer(svc, svc.send(conv.id, "Q", TARGET))
    follow = answer(svc, svc.send(conv.id, "follow-up", TARGET))

    kept = run_drupe("conversations", "delete-message", conv.id[:8], str(follow.parent_id), input="n\n")
    assert kept.returncode == 1 and "pass --yes to confirm" in kept.stderr and len(svc.history(conv.id)) == 4
    done = run_drupe("conversations", "delete-message", conv.id[:8], str(follow.parent_id), "--yes", input="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Deleted message {follow.parent_id} and 1 message under it."
    shown = json.loads(run_drupe("conversations", "show", conv.id, "--json").stdout)
    assert [m["id"] for m in shown["messages"]] == [first.parent_id, first.id]

    missing = run_drupe("conversations", "delete-message", conv.id[:8], "999999", "--yes", input="")
    assert missing.returncode == 1 and "No message 999999" in missing.stderr


def test_the_api_deletes_a_message_and_answers_with_the_new_page(web_server, fake_upstream):
    svc, _ = make_service(fake_upstream)
    conv = svc.create_conversation()
    first = answer(svc, svc.send(conv.id, "Q", TARGET))
    follow = answer(svc, svc.send(conv.id, "follow-up", TARGET))
    other = svc.create_conversation()
    server = web_server()

    wrong = server.client.delete(f"/api/conversations/{other.id}/messages/{follow.id}")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"
    reply = server.client.delete(f"/api/conversations/{conv.id}/messages/{follow.parent_id}")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["removed"] == [follow.parent_id, follow.id]
    assert body["conversation"]["current_leaf_id"] == first.id
    assert [m["content"] for m in body["messages"]] == ["Q", "first"] and body["has_more"] is False
