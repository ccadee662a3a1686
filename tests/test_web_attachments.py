"""Attached files through the web API on a real server: sent as the page sends them (base64
bytes, or the text of a stored attachment), what the provider receives, what is stored, and
clear errors for files that cannot be attached."""

from __future__ import annotations

import base64

import pytest

from drupe.chat import attachments
from tests.attachment_files import PNG_1PX, pdf_with_text
from tests.test_web_chat import of, setup, target

pytestmark = pytest.mark.usefixtures("database_url")  # each test on SQLite and on PostgreSQL

HOSTILE = "<img src=x onerror=alert(1)>.txt"


def file(name: str, data: bytes) -> dict:
    return {"type": "file", "name": name, "data": base64.b64encode(data).decode()}


def test_files_are_read_sent_as_text_blocks_and_stored_with_their_names(web_server, fake_upstream):
    up = fake_upstream("openai", text="Seen")
    server = web_server()
    conversation = setup(server, up)
    pdf = pdf_with_text("<script>alert(2)</script>")
    parts = [
        {"type": "text", "text": "Compare"},
        file(HOSTILE, b"plain <b>text</b>"),
        file("report.pdf", pdf),
        file("dot.png", PNG_1PX),
    ]
    events = server.events(
        f"/api/conversations/{conversation}/messages", {"content": "Compare", "parts": parts, "targets": [target()]}
    )
    assert of(events, "done")[0]["message"]["status"] == "complete"
    user = of(events, "user")[0]["message"]
    assert user["content"] == "Compare" and user["html"] == "Compare"
    assert [(p["type"], p.get("name"), p.get("size")) for p in user["parts"]] == [
        ("text", None, None), ("file", HOSTILE, 17), ("file", "report.pdf", len(pdf)), ("image", None, None),
    ]  # fmt: skip
    assert user["parts"][2]["text"] == "<script>alert(2)</script>"
    sent = up.requests[-1].json["messages"][-1]["content"]
    assert [p.get("text") for p in sent[:3]] == [
        "Compare",
        '<file name="<img src=x onerror=alert(1)>.txt">\nplain <b>text</b>\n</file>',
        '<file name="report.pdf">\n<script>alert(2)</script>\n</file>',
    ]
    assert sent[3]["image_url"]["url"].startswith("data:image/png;base64,")

    stored = server.client.get(f"/api/conversations/{conversation}/messages").json()["messages"]
    assert stored[0]["parts"] == user["parts"]
    markdown = server.client.get(f"/api/conversations/{conversation}/export?format=markdown").text
    assert "Attached file: &lt;img src=x onerror=alert(1)&gt;.txt (17 B)" in markdown and "<img" not in markdown


def test_an_edit_sends_a_stored_file_back_as_its_text(web_server, fake_upstream):
    up = fake_upstream("openai", text="ok")
    server = web_server()
    conversation = setup(server, up)
    first = server.events(
        f"/api/conversations/{conversation}/messages",
        {
            "content": "Q",
            "parts": [{"type": "text", "text": "Q"}, file("a.txt", b"alpha"), file("b.pdf", pdf_with_text("beta"))],
            "targets": [target()],
        },
    )
    user = of(first, "user")[0]["message"]
    kept = [p for p in user["parts"] if p["type"] == "file"]
    edited = server.events(
        f"/api/messages/{user['id']}/edit",
        {"content": "Q2", "parts": [{"type": "text", "text": "Q2"}, *kept], "targets": [target()]},
    )
    assert of(edited, "user")[0]["message"]["parts"][1:] == kept  # the PDF's size too, not its text's
    assert [p["text"] for p in up.requests[-1].json["messages"][-1]["content"][1:]] == [
        '<file name="a.txt">\nalpha\n</file>',
        '<file name="b.pdf">\nbeta\n</file>',
    ]


def test_files_that_cannot_be_attached_are_clear_errors(web_server, fake_upstream, monkeypatch):
    up = fake_upstream("openai")
    server = web_server()
    conversation = setup(server, up)
    path = f"/api/conversations/{conversation}/messages"

    def refused(part: dict) -> str:
        response = server.client.post(path, json={"content": "", "parts": [part], "targets": [target()]})
        assert response.status_code == 400, response.text
        return response.json()["error"]["message"]

    assert "tool.bin is not a file drupe can attach: it is binary" in refused(file("tool.bin", b"\x00\x01\x02"))
    assert "no text drupe can extract" in refused(file("scan.pdf", pdf_with_text()))
    assert "is not base64" in refused({"type": "file", "name": "x.txt", "data": "%%%"})
    monkeypatch.setattr(attachments, "MAX_FILE_BYTES", 10)
    assert "drupe attaches files of at most" in refused(file("big.txt", b"a" * 11))
    assert up.requests == [] and server.client.get(path).json()["messages"] == []
