"""`drupe chat --reasoning` and `--param` through a real subprocess: what the fake upstream got,
and what `-c` keeps."""

from __future__ import annotations

from drupe.chat import ChatService
from drupe.chat.records import CustomParam
from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe


def ok(*args):
    result = run_drupe(*args)
    assert result.returncode == 0, result.stderr
    return result


def add_fake(upstream, **options):
    registry = Registry(open_store())
    registry.add_provider("fake", upstream.kind, base_url=upstream.base_url, options=options)
    registry.add_model("fake", "fake-model")


def stored_settings():
    [conversation] = ChatService(open_store()).list_conversations()
    return conversation.settings


def test_reasoning_and_params_reach_the_upstream_and_stay_for_continue(fake_upstream):
    up = fake_upstream("openai", text="Hi")
    add_fake(up, extra_body={"top_k": 20, "seed": 1})
    ok("chat", "--reasoning", "high", "--param", "top_k=5", "--param", 'kw={"a": [1]}',
       "--param", "mode=fast", "--param", "seed=null", "hello")  # fmt: skip
    body = up.requests[-1].json
    assert body["reasoning_effort"] == "high"
    assert body["top_k"] == 5 and body["kw"] == {"a": [1]} and body["mode"] == "fast" and "seed" not in body
    assert stored_settings().reasoning == "high"

    ok("chat", "-c", "--param", "top_k=9", "again")  # the rest is kept; top_k replaced
    body = up.requests[-1].json
    assert body["reasoning_effort"] == "high" and body["top_k"] == 9 and body["mode"] == "fast"
    assert stored_settings().params[0] == CustomParam("top_k", "number", 9)

    ok("chat", "-c", "--reasoning", "off", "third")
    assert up.requests[-1].json["reasoning_effort"] == "none"

    ok("chat", "-c", "--reasoning", "default", "--clear-params", "--param", "flag=true", "fourth")
    body = up.requests[-1].json
    assert "reasoning_effort" not in body and "mode" not in body and body["flag"] is True
    assert body["top_k"] == 20 and body["seed"] == 1  # the provider's own fields again
    settings = stored_settings()
    assert settings.reasoning is None and settings.params == (CustomParam("flag", "boolean", True),)

    shown = ok("conversations", "show", ChatService(open_store()).list_conversations()[0].id).stdout
    assert "Parameter: flag = true (boolean)" in shown


def test_anthropic_gets_a_thinking_budget_from_the_command_line(fake_upstream):
    up = fake_upstream("anthropic", text="Hi")
    add_fake(up)
    ok("chat", "--reasoning", "LOW", "--max-tokens", "300", "hello")
    body = up.requests[-1].json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024} and body["max_tokens"] == 1324


def test_bad_reasoning_or_params_are_refused_before_anything_is_sent(fake_upstream):
    up = fake_upstream("openai", text="Hi")
    add_fake(up)
    for args, message in (
        (("--reasoning", "max"), "--reasoning takes off, low, medium, high or default, not 'max'"),
        (("--param", "top_k"), "Give a parameter as NAME=VALUE, like top_k=20, not 'top_k'"),
        (("--param", "=5"), "NAME=VALUE"),
        (("--param", "a=1", "--param", "a=2"), None),
    ):
        result = run_drupe("chat", *args, "hello")
        if message is None:  # the same name twice: the last wins
            assert result.returncode == 0, result.stderr
            assert up.requests[-1].json["a"] == 2
            continue
        assert result.returncode != 0 and message in result.stderr, result.stderr
    assert len(up.requests) == 1
    assert len(ChatService(open_store()).list_conversations()) == 1


def test_the_help_documents_the_options():
    text = ok("chat", "--help").stdout
    assert "--reasoning" in text and "--param" in text and "--clear-params" in text
