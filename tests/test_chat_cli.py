"""`drupe chat` and `drupe model default` through a real subprocess, against fake upstreams."""

import json
import os
import select
import signal
import subprocess
import sys
import time

from drupe.chat import ChatService
from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe
from tests.fakes.upstream import Fault


def ok(*args, input="", **kwargs):
    result = run_drupe(*args, input=input, **kwargs)
    assert result.returncode == 0, result.stderr
    return result


def fails(*args, input=""):
    result = run_drupe(*args, input=input)
    assert result.returncode == 1, result.stdout + result.stderr
    return result


def add_fake(name, upstream, *models):
    registry = Registry(open_store())
    registry.add_provider(name, upstream.kind, base_url=upstream.base_url)
    for model in models:
        registry.add_model(name, model)


def service():
    return ChatService(open_store())


def test_piped_stdin_is_added_before_the_prompt(fake_upstream):
    up = fake_upstream("openai", text="A short summary")
    add_fake("fake", up, "fake-model")
    Registry(open_store()).edit_model("fake", "fake-model", price_in=2, price_out=4)
    result = ok("chat", "summarise", input="line one\nline two\n")

    assert result.stdout == "A short summary\n"
    assert up.requests[-1].json["messages"] == [{"role": "user", "content": "line one\nline two\n\nsummarise"}]
    stats = result.stderr.strip()
    assert stats.startswith("fake/fake-model · ") and " in / 3 out" in stats and "tok/s" in stats and "$0.0" in stats
    [conversation] = service().list_conversations()
    assert [m.content for m in service().history(conversation.id)] == [
        "line one\nline two\n\nsummarise",
        "A short summary",
    ]


def test_provider_body_fields_reach_the_upstream(fake_upstream):
    up = fake_upstream("openai", text="Hi")
    ok("provider", "add", "fake", "--type", "openai", "--base-url", up.base_url,
       "--body", "top_k=20", "--body", 'chat_template_kwargs={"enable_thinking": false}', "--body", "tag=plain")  # fmt: skip
    ok("model", "add", "fake", "fake-model")
    shown = ok("provider", "show", "fake").stdout
    assert 'Body field:  chat_template_kwargs = {"enable_thinking": false}' in shown
    ok("chat", "hi")
    sent = up.requests[-1].json
    assert (sent["top_k"], sent["chat_template_kwargs"], sent["tag"]) == (20, {"enable_thinking": False}, "plain")

    ok("provider", "edit", "fake", "--remove-body", "tag", "--body", "top_k=5")
    ok("chat", "again")
    assert up.requests[-1].json["top_k"] == 5 and "tag" not in up.requests[-1].json
    assert "has no name before '='" in fails("provider", "edit", "fake", "--body", "=3").stderr


def test_continue_sends_the_history_and_json_reports_the_answer(fake_upstream):
    up = fake_upstream("gemini", text="It is Paris")
    add_fake("g", up, "fake-model")
    ok("chat", "-s", "Answer in one word.", "--temperature", "0.2", "Capital of France?")
    result = ok("chat", "-c", "--json", "And of Italy?")

    data = json.loads(result.stdout)
    [answer] = data["answers"]
    assert answer["content"] == "It is Paris" and answer["status"] == "complete"
    assert answer["usage"]["output_tokens"] == 3 and answer["timings"]["tokens_per_second"] is not None
    body = up.requests[-1].json
    assert body["systemInstruction"]["parts"][0]["text"] == "Answer in one word."
    assert [c["parts"][0]["text"] for c in body["contents"]] == ["Capital of France?", "It is Paris", "And of Italy?"]
    assert body["generationConfig"]["temperature"] == 0.2

    prefix = data["conversation_id"][:8]
    ok("chat", "--conversation", prefix, "--no-stream", "-p", "g", "-m", "fake-model", "And of Spain?")
    assert "streamGenerateContent" not in up.requests[-1].path
    assert len(service().history(data["conversation_id"])) == 6


def test_several_models_answer_concurrently_and_are_labelled(fake_upstream):
    one = fake_upstream("openai", text="from one", delay=0.05)
    two = fake_upstream("anthropic", text="from two")
    add_fake("one", one, "m1")
    add_fake("two", two, "m2")
    result = ok("chat", "-m", "m1", "-m", "two/m2", "Hello both")

    assert result.stdout == "## one/m1\n\nfrom one\n\n## two/m2\n\nfrom two\n\n"
    assert result.stderr.count("\n") == 2
    svc = service()
    [conversation] = svc.list_conversations()
    leaf = svc.history(conversation.id)[-1]
    assert {(a.provider, a.content) for a in svc.alternatives(leaf.id)} == {("one", "from one"), ("two", "from two")}


def test_model_choice_errors_say_how_to_fix(fake_upstream):
    up = fake_upstream("openai")
    add_fake("alpha", up, "shared", "only-alpha")
    add_fake("beta", up, "shared")

    error = fails("chat", "-m", "shared", "Hi").stderr
    assert error.startswith("error: ") and error.count("\n") == 1
    assert "alpha/shared, beta/shared" in error
    unknown = fails("chat", "-m", "nope", "Hi").stderr
    assert "No enabled provider has a model 'nope'" in unknown and "drupe model add PROVIDER nope" in unknown
    assert "drupe model list alpha" in fails("chat", "-p", "alpha", "-m", "nope", "Hi").stderr
    assert "No model chosen" in fails("chat", "Hi").stderr

    Registry(open_store()).set_enabled("beta", False)
    disabled = fails("chat", "-p", "beta", "-m", "shared", "Hi").stderr
    assert "Provider 'beta' is disabled. Enable it with `drupe provider enable beta`." in disabled
    ok("chat", "-m", "shared", "Hi")  # only alpha is left offering it
    assert service().list_conversations()[0].title == "Hi"
    assert up.requests[-1].json["model"] == "shared"

    ok("model", "default", "alpha", "only-alpha")
    ok("chat", "Hi again")
    assert up.requests[-1].json["model"] == "only-alpha"
    assert "drupe model add alpha ghost" in fails("model", "default", "alpha", "ghost").stderr
    assert service().list_conversations()[0].title == "Hi again"


def test_provider_error_exits_1_with_kind_message_hint_and_is_stored(fake_upstream):
    up = fake_upstream("openai", api_key="right-key")
    add_fake("locked", up, "fake-model")
    result = fails("chat", "Hi")

    assert result.stdout == ""
    assert "error: locked/fake-model: auth 401: You didn't provide an API key." in result.stderr
    assert "hint: The provider refused the key." in result.stderr  # the one table of hints, drupe.hints
    assert "Change it with `drupe provider edit locked --api-key KEY`." in result.stderr
    [conversation] = service().list_conversations()
    user, answer = service().history(conversation.id)
    assert user.content == "Hi" and answer.status == "error" and answer.error_kind == "auth"


def test_upstream_drop_keeps_partial_text_and_the_users_message(fake_upstream):
    up = fake_upstream("openai", text="alpha beta gamma delta", fault=Fault("drop", after_chunks=2))
    add_fake("flaky", up, "fake-model")
    result = fails("chat", "Say four words")

    assert result.stdout == "alpha beta\n"
    assert "error: flaky/fake-model: dropped" in result.stderr
    assert "hint: The provider closed the connection" in result.stderr and "Nothing is listening" not in result.stderr
    [conversation] = service().list_conversations()
    user, answer = service().history(conversation.id)
    assert (user.content, user.status) == ("Say four words", "complete")
    assert (answer.content, answer.status) == ("alpha beta", "error")


def test_sigint_stops_the_answer_and_keeps_partial_text(fake_upstream):
    up = fake_upstream("openai", text=" ".join(f"word{i}" for i in range(200)), delay=0.05)
    add_fake("slow", up, "fake-model")
    process = subprocess.Popen(
        [sys.executable, "-m", "drupe", "chat", "Talk for a while"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy(),
    )  # fmt: skip
    printed = b""
    deadline = time.monotonic() + 30
    while printed.count(b"word") < 5 and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            printed += os.read(process.stdout.fileno(), 4096)
    process.send_signal(signal.SIGINT)
    rest, errors = process.communicate(timeout=30)
    printed += rest

    assert process.returncode == 130, errors
    assert "stopped" in errors.decode()
    [conversation] = service().list_conversations()
    user, answer = service().history(conversation.id)
    assert user.content == "Talk for a while"
    assert answer.status == "stopped"
    assert answer.content and printed.decode().strip() == answer.content.strip()
    assert len(answer.content) < len("".join(up.text_chunks))
