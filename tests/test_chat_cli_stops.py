"""`drupe chat` says why an answer stopped and fails when an answer is not whole or not saved."""

import json

import sqlalchemy as sa

from drupe.chat import ChatService
from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe
from tests.fakes.upstream import Fault


def add_fake(upstream, **fields):
    registry = Registry(open_store())
    registry.add_provider("fake", upstream.kind, base_url=upstream.base_url, **fields)
    registry.add_model("fake", "fake-model")


def stored_answers():
    svc = ChatService(open_store())
    [conversation] = svc.list_conversations()
    return [m for m in svc.history(conversation.id) if m.role == "assistant"]


def test_a_complete_answer_says_stop_and_exits_0(fake_upstream):
    add_fake(fake_upstream("openai", text="All of it"))
    result = run_drupe("chat", "--json", "hi")
    assert result.returncode == 0, result.stderr
    [answer] = json.loads(result.stdout)["answers"]
    assert (answer["status"], answer["stop_reason"], answer["save_error"]) == ("complete", "stop", None)


def test_a_cut_off_stream_is_stopped_said_and_fails(fake_upstream):
    add_fake(fake_upstream("openai", text="one two three four", fault=Fault("cut_off", after_chunks=2)))
    result = run_drupe("chat", "count")
    assert result.returncode == 1, result.stderr
    assert result.stdout == "one two\n"
    assert "stopped: fake/fake-model: the provider's answer ended without saying it was finished" in result.stderr

    result = run_drupe("chat", "--json", "--no-stream", "count")
    assert result.returncode == 1
    answer = json.loads(result.stdout)["answers"][0]
    assert (answer["status"], answer["stop_reason"], answer["content"]) == ("stopped", "cut_off", "one two three four")


def test_an_answer_past_the_size_cap_says_so_and_fails(fake_upstream):
    add_fake(fake_upstream("openai", text="y" * 3000, chunks=30), options={"limits": {"answer_chars": 1000}})
    result = run_drupe("chat", "long")
    assert result.returncode == 1
    assert result.stdout == "y" * 1000 + "\n"
    assert "stopped: fake/fake-model: size limit" in result.stderr and "answer_chars" in result.stderr
    [answer] = stored_answers()
    assert (answer.status, answer.stop_reason, len(answer.content)) == ("stopped", "size_limit", 1000)


def test_a_final_write_the_database_refuses_is_reported_not_success(fake_upstream):
    add_fake(fake_upstream("openai", text="Keep me please"))
    with open_store().engine.begin() as conn:  # every final write fails, as a full disk would
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE UPDATE OF status ON messages WHEN new.status != 'streaming' AND new.content != '' "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    result = run_drupe("chat", "hi")
    assert result.returncode == 1
    assert result.stdout == "Keep me please\n"
    assert "could not be saved (database or disk is full)" in result.stderr and "UPDATE" not in result.stderr

    result = run_drupe("chat", "--json", "hi")
    assert result.returncode == 1
    answer = json.loads(result.stdout)["answers"][0]
    assert (answer["status"], answer["content"], answer["stop_reason"]) == ("complete", "Keep me please", "stop")
    assert answer["save_error"] == {"kind": "storage", "message": "database or disk is full"}
    assert "could not be saved" in result.stderr


def test_nul_in_the_message_is_removed_and_said(fake_upstream):
    up = fake_upstream("openai", text="fine")
    add_fake(up)
    result = run_drupe("chat", "please", input="hel\x00lo\n")
    assert result.returncode == 0, result.stderr
    assert "note: removed 1 character no database can store" in result.stderr
    assert up.requests[-1].json["messages"][-1]["content"] == "hello\n\nplease"
    svc = ChatService(open_store())
    [_conversation] = svc.list_conversations()
    with svc.store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM messages WHERE instr(content, char(0)) > 0")).scalar() == 0
