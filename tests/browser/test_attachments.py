"""Attaching files in Chromium: by the picker, by dropping them on the composer and by pasting
them; chips until sent; the sent message shows each file's name, its text folded away, after a
reload too; what the provider received. Hostile file names and PDF text stay text."""

from __future__ import annotations

import base64

import httpx2
from playwright.sync_api import Locator, Page, expect

from tests.attachment_files import pdf_with_text
from tests.browser.steps import add_provider, open_chat, pick_models, screenshot, send, wait_until_answered

MAKE_FILES = """([name, type, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  return transfer;
}"""


def files_arg(name: str, mime: str, data: bytes) -> list[str]:
    return [name, mime, base64.b64encode(data).decode()]


def drop(ui: Page, target: Locator, name: str, mime: str, data: bytes) -> None:
    """Drag a file from outside the page and drop it on `target`, as the browser reports it."""
    transfer = ui.evaluate_handle(MAKE_FILES, files_arg(name, mime, data))
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    target.dispatch_event("drop", {"dataTransfer": transfer})


def paste(box: Locator, name: str, mime: str, data: bytes) -> None:
    box.evaluate(
        f"""(node, args) => {{
          const transfer = ({MAKE_FILES})(args);
          node.dispatchEvent(new ClipboardEvent("paste", {{ clipboardData: transfer, bubbles: true, cancelable: true }}));
        }}""",
        files_arg(name, mime, data),
    )


def chip(ui: Page, name: str) -> Locator:
    return ui.get_by_role("group", name=f"Attached: {name}")


def test_files_attached_by_the_picker_are_sent_shown_and_kept(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="Two files read.")
    add_provider(api, "Fake", upstream.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Fake)")
    ui.get_by_label("Files to attach").set_input_files([
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Buy milk"},
        {"name": "report.pdf", "mimeType": "application/pdf", "buffer": pdf_with_text("Revenue rose 4%")},
        {"name": "extra.py", "mimeType": "text/x-python", "buffer": b"print(1)"},
    ])  # fmt: skip
    expect(chip(ui, "notes.txt")).to_contain_text("8 B")
    expect(chip(ui, "report.pdf")).to_be_visible()
    ui.get_by_role("button", name="Remove extra.py").click()
    expect(chip(ui, "extra.py")).to_have_count(0)
    screenshot(ui, "attachments.png")
    send(ui, "Summarise these")
    wait_until_answered(ui)

    sent = upstream.requests[-1].json["messages"][-1]["content"]
    assert [part["text"] for part in sent] == [
        "Summarise these",
        '<file name="notes.txt">\nBuy milk\n</file>',
        '<file name="report.pdf">\nRevenue rose 4%\n</file>',
    ]
    expect(ui.get_by_role("group", name="Attached: notes.txt")).to_have_count(0)  # the composer is empty again
    for round in range(2):  # as sent, then as stored after a reload
        message = ui.get_by_role("article", name="Your message")
        expect(message).to_contain_text("notes.txt")
        text = message.locator(".attachment-text", has_text="Revenue rose 4%")
        expect(text).to_be_hidden()  # folded until asked for
        message.get_by_text("report.pdf").click()
        expect(text).to_be_visible()
        if round:
            screenshot(ui, "attachments-sent.png")
        ui.reload()


def test_files_dropped_on_the_composer_or_pasted_are_attached(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="Got them.")
    add_provider(api, "Fake", upstream.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Fake)")
    box = ui.get_by_role("textbox", name="Message")
    drop(ui, ui.locator(".composer"), "dropped.md", "text/markdown", b"# Dropped")
    expect(chip(ui, "dropped.md")).to_be_visible()
    paste(box, "pasted.csv", "text/csv", b"a,b\n1,2")
    expect(chip(ui, "pasted.csv")).to_be_visible()
    drop(ui, ui.locator(".composer"), "huge.log", "text/plain", b"x" * (10 * 2**20 + 1))
    expect(ui.locator(".composer .form-error")).to_contain_text(
        "huge.log is 10.0 MiB; drupe attaches files of at most 10.0 MiB"
    )
    expect(chip(ui, "huge.log")).to_have_count(0)
    send(ui, "Both")
    wait_until_answered(ui)
    sent = [part["text"] for part in upstream.requests[-1].json["messages"][-1]["content"]]
    assert sent == [
        "Both",
        '<file name="dropped.md">\n# Dropped\n</file>',
        '<file name="pasted.csv">\na,b\n1,2\n</file>',
    ]


def test_a_file_the_server_cannot_read_is_a_clear_error(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="never")
    add_provider(api, "Fake", upstream.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Fake)")
    ui.get_by_label("Files to attach").set_input_files(
        {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": pdf_with_text()}
    )
    send(ui, "Read this")
    expect(ui.locator(".turn").last.get_by_role("alert")).to_contain_text("scan.pdf has no text drupe can extract")
    assert upstream.requests == []


HOSTILE_NAME = "<img src=x onerror=alert(1)>.txt"


def test_hostile_file_names_and_pdf_text_stay_text(ui: Page, api: httpx2.Client, fake_upstream) -> None:
    upstream = fake_upstream("openai", text="ok")
    add_provider(api, "Fake", upstream.base_url, ["fake-model"])
    open_chat(ui)
    pick_models(ui, "fake-model (Fake)")
    pdf = pdf_with_text("<img src=y onerror=alert(2)> <script>alert(3)</script>")
    ui.get_by_label("Files to attach").set_input_files([
        {"name": HOSTILE_NAME, "mimeType": "text/plain", "buffer": b"<b>bold?</b>"},
        {"name": "evil.pdf", "mimeType": "application/pdf", "buffer": pdf},
    ])  # fmt: skip
    expect(chip(ui, HOSTILE_NAME)).to_contain_text(HOSTILE_NAME)
    assert ui.locator(".composer img").count() == 0
    send(ui, "Look")
    wait_until_answered(ui)
    ui.reload()
    message = ui.get_by_role("article", name="Your message")
    expect(message).to_contain_text(HOSTILE_NAME)
    message.get_by_text(HOSTILE_NAME).click()
    message.get_by_text("evil.pdf").click()
    expect(message.locator(".attachment-text").first).to_have_text("<b>bold?</b>")
    expect(message.locator(".attachment-text").last).to_have_text(
        "<img src=y onerror=alert(2)> <script>alert(3)</script>"
    )
    assert message.locator("img, b, script").count() == 0  # no element made from a name or a file's text
