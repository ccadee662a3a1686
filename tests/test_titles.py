"""Automatic titles after a conversation's first answer, against fake upstreams (SQLite and PostgreSQL)."""

import asyncio
import os
import select
import signal
import subprocess
import sys
import time

import pytest

from drupe.chat import AnswerFinished, ChatService, Target, TitleChanged
from drupe.chat.titles import TITLE_LENGTH, clean_title, set_title_settings, title_settings
from drupe.errors import DrupeError
from drupe.store import open_store
from tests.cli_helpers import run_drupe

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL

QUESTION = "What is the capital of France, and why?"


def make_service(*upstreams):
    """Providers fake1, fake2, … (one per upstream), each with fake-model."""
    svc = ChatService(open_store())
    for index, upstream in enumerate(upstreams, 1):
        svc.registry.add_provider(f"fake{index}", upstream.kind, base_url=upstream.base_url)
        svc.registry.add_model(f"fake{index}", "fake-model")
    return svc


def run(events):
    async def collect():
        return [event async for event in events]

    return asyncio.run(asyncio.wait_for(collect(), 30))


def titled(events):
    return [e.title for e in events if isinstance(e, TitleChanged)]


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
def test_the_first_answer_brings_a_title_from_the_chats_own_model(fake_upstream, kind):
    up = fake_upstream(kind, text="Paris, because of history.", title='Title: "Capital of France."\nMore words')
    svc = make_service(up)
    conv = svc.create_conversation()
    events = run(svc.send(conv.id, QUESTION, [Target("fake1", "fake-model")]))

    assert isinstance(events[-1], TitleChanged) and titled(events) == ["Capital of France"]
    assert events.index(events[-1]) > max(i for i, e in enumerate(events) if isinstance(e, AnswerFinished))
    assert svc.get_conversation(conv.id).title == "Capital of France"
    [asked] = up.title_requests
    assert QUESTION in str(asked.json) and "Paris, because of history." in str(asked.json)
    assert len(up.requests) == 1  # the answer's own request, not the title's

    events = run(svc.send(conv.id, "And Italy?", [Target("fake1", "fake-model")]))
    assert titled(events) == [] and len(up.title_requests) == 1  # only the first turn asks


def test_a_chosen_title_model_answers_and_the_setting_is_checked(fake_upstream):
    chat = fake_upstream("openai", text="Paris.", title="Not this one")
    namer = fake_upstream("anthropic", title="French capital")
    svc = make_service(chat, namer)
    assert set_title_settings(svc.registry, model=Target("fake2", "fake-model")).model == "fake-model"
    conv = svc.create_conversation()
    assert titled(run(svc.send(conv.id, QUESTION, [Target("fake1", "fake-model")]))) == ["French capital"]
    assert chat.title_requests == [] and len(namer.title_requests) == 1

    with pytest.raises(DrupeError) as missing:
        set_title_settings(svc.registry, model=Target("fake2", "no-such-model"))
    assert missing.value.code == "not_found"
    assert set_title_settings(svc.registry, own_model=True).model is None


def test_failure_and_slowness_leave_the_first_message_as_the_title(fake_upstream):
    failing = fake_upstream("openai", text="Paris.")  # no title: its title requests get a 404
    svc = make_service(failing)
    conv = svc.create_conversation()
    events = run(svc.send(conv.id, QUESTION, [Target("fake1", "fake-model")]))
    assert titled(events) == [] and len(failing.title_requests) == 1
    [answer] = [e.answer for e in events if isinstance(e, AnswerFinished)]
    assert answer.status == "complete" and answer.content == "Paris."
    assert svc.get_conversation(conv.id).title == QUESTION

    slow = fake_upstream("openai", text="Paris.", title="Too late", title_delay=3)
    svc.registry.add_provider("slow", "openai", base_url=slow.base_url)
    svc.registry.add_model("slow", "fake-model")
    svc.turns.title_timeout = 0.3
    conv = svc.create_conversation()
    started = time.monotonic()
    events = run(svc.send(conv.id, QUESTION, [Target("slow", "fake-model")]))
    assert titled(events) == [] and svc.get_conversation(conv.id).title == QUESTION
    assert time.monotonic() - started < 2.5 and len(slow.title_requests) == 1


def test_the_off_switch_and_a_users_own_title(fake_upstream):
    up = fake_upstream("openai", text="Paris.", title="Capital")
    svc = make_service(up)
    set_title_settings(svc.registry, enabled=False)
    conv = svc.create_conversation()
    assert titled(run(svc.send(conv.id, QUESTION, [Target("fake1", "fake-model")]))) == []
    assert up.title_requests == [] and svc.get_conversation(conv.id).title == QUESTION
    assert title_settings(svc.registry).enabled is False

    set_title_settings(svc.registry, enabled=True)
    named = svc.create_conversation("My own name")
    assert titled(run(svc.send(named.id, QUESTION, [Target("fake1", "fake-model")]))) == []
    assert svc.get_conversation(named.id).title == "My own name" and up.title_requests == []


def test_a_rename_while_the_title_is_asked_for_wins(fake_upstream):
    up = fake_upstream("openai", text="Paris.", title="Capital", title_delay=0.5)
    svc = make_service(up)
    conv = svc.create_conversation()

    async def turn():
        events = []
        async for event in svc.send(conv.id, QUESTION, [Target("fake1", "fake-model")]):
            events.append(event)
            if isinstance(event, AnswerFinished):
                await asyncio.to_thread(svc.rename_conversation, conv.id, "Mine")
        return events

    events = asyncio.run(asyncio.wait_for(turn(), 30))
    assert titled(events) == [] and len(up.title_requests) == 1
    assert svc.get_conversation(conv.id).title == "Mine"


def test_titles_are_cleaned():
    assert clean_title('  \n**"Sky colour explained."**\nsecond line') == "Sky colour explained"
    assert clean_title("Titre : « Le ciel »") == "Le ciel"
    assert clean_title("“Why   the sky\tis blue”") == "Why the sky is blue"
    assert clean_title('""\n') is None and clean_title("") is None
    long = clean_title("word " * 40)
    assert long is not None and len(long) == TITLE_LENGTH and long.endswith("…")


def test_the_cli_sets_the_title_model_and_the_switch(fake_upstream):
    up = fake_upstream("openai", text="Paris.", title="Capital of France")
    make_service(up)
    assert run_drupe("model", "title").stdout.strip() == "Automatic titles: on; title model: the model that answered."
    chosen = run_drupe("model", "title", "fake1", "fake-model")
    assert chosen.stdout.strip() == "Automatic titles: on; title model: fake1/fake-model."
    off = run_drupe("model", "title", "--off", "--own")
    assert off.stdout.strip() == (
        "Automatic titles: off (the first message stays the title); title model: the model that answered."
    )
    assert run_drupe("chat", "hello", input="").returncode == 0 and up.title_requests == []
    assert run_drupe("model", "title", "--on").returncode == 0
    assert run_drupe("chat", "Capital of France?", input="").returncode == 0
    listed = run_drupe("conversations", "list", "--json")
    assert '"title": "Capital of France"' in listed.stdout and '"title": "hello"' in listed.stdout
    bad = run_drupe("model", "title", "fake1")
    assert bad.returncode == 1 and "Give both PROVIDER and MODEL_ID" in bad.stderr


def test_the_api_streams_the_title_and_keeps_the_setting(web_server, fake_upstream):
    up = fake_upstream("openai", text="Paris.", title="<b>Capital</b>")
    svc = make_service(up)
    server = web_server()
    assert server.client.get("/api/settings/titles").json() == {"enabled": True, "provider": None, "model": None}
    conversation = server.client.post("/api/conversations", json={}).json()["id"]
    events = server.events(f"/api/conversations/{conversation}/messages", {"content": QUESTION})

    kinds = [e["type"] for e in events]
    assert kinds[-3:] == ["done", "title", "end"]
    assert events[-2] == {"type": "title", "conversation_id": conversation, "title": "<b>Capital</b>"}
    assert server.client.get(f"/api/conversations/{conversation}").json()["title"] == "<b>Capital</b>"

    provider_id = svc.registry.get_provider("fake1").id
    chosen = server.client.put(
        "/api/settings/titles", json={"enabled": False, "provider": "fake1", "model": "fake-model"}
    )
    assert chosen.json() == {"enabled": False, "provider": provider_id, "model": "fake-model"}
    half = server.client.put("/api/settings/titles", json={"enabled": True, "provider": "fake1"})
    assert half.status_code == 400 and half.json()["error"]["data"]["field"] == "model"
    unknown = server.client.put("/api/settings/titles", json={"enabled": True, "provider": "fake1", "model": "nope"})
    assert unknown.status_code == 404
    assert server.client.get("/api/settings/titles").json()["enabled"] is False
    second = server.client.post("/api/conversations", json={}).json()["id"]
    events = server.events(f"/api/conversations/{second}/messages", {"content": "Hello"})
    assert "title" not in [e["type"] for e in events] and len(up.title_requests) == 1


def test_ctrl_c_while_the_cli_waits_for_the_title_skips_only_the_title(fake_upstream):
    up = fake_upstream("openai", text="Paris is the answer.", title="Too slow", title_delay=20)
    svc = make_service(up)
    process = subprocess.Popen(
        [sys.executable, "-m", "drupe", "chat", QUESTION],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy(),
    )  # fmt: skip
    printed = b""
    deadline = time.monotonic() + 30
    while b"answer." not in printed and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            printed += os.read(process.stdout.fileno(), 4096)
    while not up.title_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)

    assert process.returncode == 0, err
    assert (printed + out).decode() == "Paris is the answer.\n" and "stopped" not in err.decode()
    [conversation] = svc.list_conversations()
    assert conversation.title == QUESTION
    assert [m.status for m in svc.history(conversation.id)] == ["complete", "complete"]
