"""`drupe chat` in a subprocess: the stats line says when earlier messages were left out to fit
the context window, and when an answer stopped at the token limit, and `--continue-answer` has
the model go on with it."""

from __future__ import annotations

import json

from drupe.chat import ChatService
from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe
from tests.fakes.answer import split_chunks
from tests.fakes.upstream import Fault


def add_fake(upstream, **model_fields):
    registry = Registry(open_store())
    registry.add_provider("fake", upstream.kind, base_url=upstream.base_url)
    registry.add_model("fake", "fake-model", **model_fields)


def test_the_stats_line_says_how_many_messages_were_left_out(fake_upstream):
    add_fake(fake_upstream("openai", text="y" * 384), context_window=250)  # answers of 100 tokens
    first = run_drupe("chat", "a" * 384)
    assert first.returncode == 0, first.stderr
    assert "left out" not in first.stderr
    second = run_drupe("chat", "-c", "b" * 384)
    assert second.returncode == 0, second.stderr
    assert "fake/fake-model · " in second.stderr
    assert " · 2 earlier messages left out to fit the context window" in second.stderr

    result = run_drupe("chat", "-c", "--json", "c" * 384)
    assert json.loads(result.stdout)["answers"][0]["left_out"] == 4  # all four earlier ones


def test_an_answer_at_the_token_limit_is_said_and_continued(fake_upstream):
    up = fake_upstream("gemini", text="One, two, three", chunks=3, fault=Fault("length", times=1, after_chunks=2))
    add_fake(up)
    result = run_drupe("chat", "Count to four")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "One, two, \n"
    [conversation] = ChatService(open_store()).list_conversations()
    stats = result.stderr.splitlines()[0]
    assert stats.startswith("fake/fake-model · ") and stats.endswith(" · stopped: token limit")
    assert "stopped: fake/fake-model: the answer reached the model's token limit" in result.stderr
    assert f"`drupe chat --conversation {conversation.id} --continue-answer`" in result.stderr

    up.text_chunks = split_chunks("three, four.", None)
    result = run_drupe("chat", "--continue-answer")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "three, four.\n"  # the new text
    assert "token limit" not in result.stderr
    body = up.requests[-1].json
    assert body["contents"][-1] == {"role": "model", "parts": [{"text": "One, two,"}]}

    svc = ChatService(open_store())
    [_user, answer] = svc.history(conversation.id)
    assert (answer.content, answer.stop_reason) == ("One, two, three, four.", "stop")


def test_continue_answer_refuses_what_it_cannot_do(fake_upstream):
    add_fake(fake_upstream("openai", text="Whole"))
    result = run_drupe("chat", "--continue-answer")
    assert result.returncode != 0 and "No conversation to continue yet" in result.stderr
    assert run_drupe("chat", "Hi").returncode == 0
    result = run_drupe("chat", "--continue-answer", "more please")
    assert result.returncode != 0 and "--continue-answer takes no prompt" in result.stderr
    result = run_drupe("chat", "--continue-answer")
    assert result.returncode != 0
    assert "did not stop at the model's token limit" in result.stderr and "Traceback" not in result.stderr
