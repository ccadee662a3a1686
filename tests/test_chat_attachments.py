"""Attached files through the chat service to fake upstreams of every provider type: what each
provider receives, in the first turn and in later ones, and what is stored and exported."""

from __future__ import annotations

import json

import pytest

from drupe.chat import Target
from drupe.chat.attachments import FilePart, read_attachment
from drupe.errors import DrupeError
from drupe.protocols.base import TextPart
from tests.attachment_files import pdf_with_text
from tests.test_chat_service import finished, make_service, run

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL

NOTES = FilePart("notes.txt", "Buy milk\nCall Bob", "text/plain", 18)
BLOCK = '<file name="notes.txt">\nBuy milk\nCall Bob\n</file>'


def user_texts(kind: str, body: dict) -> list[str]:
    """The text blocks of the last user message, as each wire format carries them."""
    if kind == "gemini":
        return [part["text"] for part in body["contents"][-1]["parts"] if "text" in part]
    if kind == "openai-response":
        return [part["text"] for part in body["input"][-1]["content"]]
    return [part["text"] for part in body["messages"][-1]["content"] if part["type"] == "text"]


@pytest.mark.parametrize("kind", ["openai", "openai-response", "anthropic", "gemini"])
def test_each_provider_type_receives_the_file_as_a_text_block(fake_upstream, kind):
    up = fake_upstream(kind, text="Two things")
    svc = make_service(up)
    conv = svc.create_conversation()
    events = run(svc.send(conv.id, (TextPart("What is on my list?"), NOTES), [Target("fake1", "fake-model")]))
    assert finished(events)[0].status == "complete", finished(events)[0].error
    assert user_texts(kind, up.requests[-1].json) == ["What is on my list?", BLOCK]


def test_the_file_is_stored_with_its_name_and_sent_again_in_later_turns(fake_upstream):
    up = fake_upstream("openai", text="Noted")
    svc = make_service(up)
    conv = svc.create_conversation()
    pdf = read_attachment("report.pdf", pdf_with_text("Revenue rose 4%"))
    run(svc.send(conv.id, (TextPart("Summarise"), NOTES, pdf), [Target("fake1", "fake-model")]))
    run(svc.send(conv.id, "And the second item?", [Target("fake1", "fake-model")]))

    first = svc.history(conv.id)[0]
    assert first.content == "Summarise" and first.parts[1:] == (NOTES, pdf)
    sent = up.requests[-1].json["messages"]
    assert sent[0]["content"] == [
        {"type": "text", "text": "Summarise"},
        {"type": "text", "text": BLOCK},
        {"type": "text", "text": '<file name="report.pdf">\nRevenue rose 4%\n</file>'},
    ]
    assert sent[-1] == {"role": "user", "content": "And the second item?"}


def test_a_message_of_files_alone_is_titled_by_the_first_file(fake_upstream):
    up = fake_upstream("openai", text="ok")
    svc = make_service(up)
    conv = svc.create_conversation()
    run(svc.send(conv.id, (NOTES,), [Target("fake1", "fake-model")]))
    assert svc.get_conversation(conv.id).title == "notes.txt"
    assert up.requests[-1].json["messages"][-1]["content"] == [{"type": "text", "text": BLOCK}]


def test_a_message_over_the_limits_is_refused_before_anything_is_stored(fake_upstream, monkeypatch):
    from drupe.chat import attachments

    monkeypatch.setattr(attachments, "MAX_MESSAGE_BYTES", 20)
    up = fake_upstream("openai")
    svc = make_service(up)
    conv = svc.create_conversation()
    with pytest.raises(DrupeError, match="in all"):
        run(svc.send(conv.id, (TextPart("hi"), NOTES, NOTES), [Target("fake1", "fake-model")]))
    assert svc.history(conv.id) == [] and up.requests == []


def test_exports_keep_the_file_name_and_text_and_escape_the_name(fake_upstream):
    up = fake_upstream("openai", text="ok")
    svc = make_service(up)
    conv = svc.create_conversation()
    hostile = FilePart("<img src=x onerror=alert(1)>.txt", "```\n<script>x</script>", "text/plain", 30)
    run(svc.send(conv.id, (TextPart("look"), hostile), [Target("fake1", "fake-model")]))

    markdown = svc.export_markdown(conv.id)
    assert "Attached file: &lt;img src=x onerror=alert(1)&gt;.txt (30 B)" in markdown
    assert "<img" not in markdown
    assert "````text\n```\n<script>x</script>\n````" in markdown  # fenced longer than the text's own fence
    exported = json.loads(json.dumps(svc.export_json(conv.id)))
    assert exported["messages"][0]["parts"][1] == {
        "name": "<img src=x onerror=alert(1)>.txt", "text": "```\n<script>x</script>",
        "media_type": "text/plain", "size": 30, "type": "file",
    }  # fmt: skip
