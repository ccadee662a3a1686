"""`drupe conversations …` through a real subprocess, on conversations made by the service."""

import asyncio
import json

import pytest

from drupe.chat import ChatService, Target
from drupe.store import open_store
from tests.cli_helpers import run_drupe

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL


def ok(*args):
    result = run_drupe(*args, input="")
    assert result.returncode == 0, result.stderr
    return result


def seed(fake_upstream):
    """Two conversations; the first has a regenerated answer (two alternatives)."""
    up = fake_upstream("openai", text="Volcanoes erupt when magma rises")
    svc = ChatService(open_store())
    svc.registry.add_provider("fake", "openai", base_url=up.base_url)
    svc.registry.add_model("fake", "fake-model")
    target = [Target("fake", "fake-model")]

    async def turns():
        first = svc.create_conversation()
        events = [e async for e in svc.send(first.id, "Why do volcanoes erupt?", target)]
        up.text_chunks = ("Pressure builds up",)
        [e async for e in svc.regenerate(events[-1].answer.id)]
        second = svc.create_conversation("Second chat")
        [e async for e in svc.send(second.id, "Hello there", target)]
        return first.id, second.id

    return asyncio.run(turns())


def test_list_show_and_rename_accept_id_prefixes(fake_upstream):
    first, second = seed(fake_upstream)
    listed = json.loads(ok("conversations", "list", "--json").stdout)
    assert [c["id"] for c in listed] == [second, first]
    assert listed[1]["title"] == "Why do volcanoes erupt?"
    assert first[:8] in ok("conversations", "list").stdout

    shown = ok("conversations", "show", first[:6]).stdout
    assert "Why do volcanoes erupt?" in shown and "Pressure builds up" in shown
    assert "Volcanoes erupt when magma rises" not in shown  # the older alternative is off the current branch

    ok("conversations", "rename", first[:6], "Geology")
    assert json.loads(ok("conversations", "show", first, "--json").stdout)["conversation"]["title"] == "Geology"
    missing = run_drupe("conversations", "show", "nothere", input="")
    assert missing.returncode == 1 and missing.stderr.startswith("error: No conversation 'nothere'")


def test_search_and_export_hold_every_message(fake_upstream, tmp_path):
    first, _ = seed(fake_upstream)
    found = ok("conversations", "search", "magma").stdout
    assert found.startswith(first[:8]) and "[magma]" in found
    assert json.loads(ok("conversations", "search", "hello", "--json").stdout)[0]["role"] == "user"
    assert "No messages match" in ok("conversations", "search", "basalt").stdout

    markdown = ok("conversations", "export", first[:8]).stdout
    for text in ("Why do volcanoes erupt?", "Volcanoes erupt when magma rises", "Pressure builds up"):
        assert text in markdown
    assert "version 1 of 2" in markdown and "not on the current branch" in markdown

    target = tmp_path / "chat.json"
    ok("conversations", "export", first[:8], "--format", "json", "-o", str(target))
    exported = json.loads(target.read_text())
    assert [m["role"] for m in exported["messages"]] == ["user", "assistant", "assistant"]
    assert exported["current_branch"] == [exported["messages"][0]["id"], exported["messages"][2]["id"]]


def test_delete_needs_yes_off_a_terminal(fake_upstream):
    first, second = seed(fake_upstream)
    refused = run_drupe("conversations", "delete", first[:8], input="")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    ok("conversations", "delete", first[:8], "--yes")
    assert [c["id"] for c in json.loads(ok("conversations", "list", "--json").stdout)] == [second]
    assert ChatService(open_store()).search("magma") == []
