"""`drupe chat -a FILE` through a real subprocess, against a fake upstream: what the provider
receives, what is stored and shown, and the refusals a user sees."""

from __future__ import annotations

import base64
import json

import pytest

from tests.attachment_files import PNG_1PX, pdf_with_text
from tests.cli_helpers import run_drupe
from tests.test_chat_cli import add_fake, ok, service


@pytest.fixture
def upstream(fake_upstream):
    up = fake_upstream("openai", text="Read it")
    add_fake("fake", up, "fake-model")
    return up


def test_text_code_pdf_and_image_files_reach_the_model(upstream, tmp_path):
    (tmp_path / "notes.txt").write_text("Buy milk")
    (tmp_path / "main.py").write_text("print('hi')\n")
    (tmp_path / "report.pdf").write_bytes(pdf_with_text("Revenue rose"))
    (tmp_path / "dot.png").write_bytes(PNG_1PX)
    files = [str(tmp_path / name) for name in ("notes.txt", "main.py", "report.pdf", "dot.png")]
    result = ok("chat", "Look", "-a", files[0], "--attach", files[1], "-a", files[2], "-a", files[3])

    assert result.stdout == "Read it\n"
    sent = upstream.requests[-1].json["messages"][-1]["content"]
    assert sent[:4] == [
        {"type": "text", "text": "Look"},
        {"type": "text", "text": '<file name="notes.txt">\nBuy milk\n</file>'},
        {"type": "text", "text": "<file name=\"main.py\">\nprint('hi')\n\n</file>"},
        {"type": "text", "text": '<file name="report.pdf">\nRevenue rose\n</file>'},
    ]
    assert sent[4]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    [conversation] = service().list_conversations()
    shown = ok("conversations", "show", conversation.id).stdout
    assert "📎 notes.txt (8 B, text/plain)" in shown and "📎 report.pdf" in shown and "🖼 image (image/png)" in shown


def test_files_alone_are_a_message(upstream, tmp_path):
    (tmp_path / "notes.txt").write_text("Buy milk")
    result = ok("chat", "-a", str(tmp_path / "notes.txt"), "--json")
    assert json.loads(result.stdout)["answers"][0]["content"] == "Read it"
    assert upstream.requests[-1].json["messages"][-1]["content"] == [
        {"type": "text", "text": '<file name="notes.txt">\nBuy milk\n</file>'}
    ]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("missing.txt", None, "does not exist"),
        ("tool.bin", b"\x7fELF\x02\x01\x01\x00\x00", "binary"),
        ("scan.pdf", pdf_with_text(), "no text drupe can extract"),
        ("huge.log", b"a" * (10 * 2**20 + 1), "drupe attaches files of at most 10.0 MiB"),
    ],
)
def test_files_that_cannot_be_attached_are_refused_before_anything_is_sent(upstream, tmp_path, name, data, words):
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    result = run_drupe("chat", "hello", "-a", str(path))
    assert result.returncode != 0 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and name in result.stderr
    assert upstream.requests == [] and service().list_conversations() == []


def test_the_interactive_session_attaches_with_slash_attach(upstream, tmp_path):
    from tests.test_chat_interactive import Terminal

    (tmp_path / "notes.txt").write_text("Buy milk")
    (tmp_path / "tool.bin").write_bytes(b"\x00\x01")
    term = Terminal("-p", "fake", "-m", "fake-model")
    term.read_until(">")
    term.type(f"/attach {tmp_path / 'tool.bin'}\r")
    term.read_until("it is binary")
    term.type(f"/attach {tmp_path / 'notes.txt'}\r")
    term.read_until("📎 notes.txt (8 B, text/plain)")
    term.type("What is on it?\r")
    term.read_until("Read it")
    term.screen = ""  # the next "Read it" is the second answer's
    term.type("Anything else?\r")
    term.read_until("Read it")
    term.type("/exit\r")
    assert term.close() == 0
    first, second = (request.json["messages"] for request in upstream.requests)
    assert first[-1]["content"] == [
        {"type": "text", "text": "What is on it?"},
        {"type": "text", "text": '<file name="notes.txt">\nBuy milk\n</file>'},
    ]
    assert second[0] == first[-1] and second[-1] == {"role": "user", "content": "Anything else?"}
