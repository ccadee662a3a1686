"""Reading attached files: kinds, limits and clear refusals (drupe.chat.attachments)."""

from __future__ import annotations

import base64

import pytest

from drupe.chat import attachments
from drupe.chat.attachments import FilePart, as_text_part, check_message, file_part, read_attachment, read_path
from drupe.errors import DrupeError
from drupe.protocols.base import ImagePart, TextPart
from tests.attachment_files import PNG_1PX, pdf_with_text


def refused(call, *args) -> str:
    with pytest.raises(DrupeError) as caught:
        call(*args)
    assert caught.value.code == "invalid" and caught.value.data["field"] == "attachments"
    return str(caught.value)


def test_a_text_file_is_read_as_utf8_with_its_name_and_size():
    part = read_attachment("notes.md", "\ufeffCafé\r\nline two\n".encode())
    assert part == FilePart("notes.md", "Café\nline two\n", "text/markdown", 19)


def test_code_files_are_text_whatever_their_extension_guesses():
    assert read_attachment("main.py", b"print(1)\n").media_type == "text/x-python"
    assert read_attachment("data.json", b"{}").media_type == "application/json"
    assert read_attachment("Makefile", b"all:\n").media_type == "text/plain"
    assert read_attachment("clip.ts", b"let a = 1").media_type.startswith("text/")  # not video/mp2t


def test_a_binary_file_is_refused_saying_what_can_be_attached():
    message = refused(read_attachment, "tool.exe", b"MZ\x90\x00\x03\x00\x00\x00")
    assert "tool.exe" in message and "binary" in message and "PDF" in message
    assert "binary" in refused(read_attachment, "latin1.txt", "café".encode("latin-1"))


def test_a_pdf_gives_its_text_by_header_or_name():
    part = read_attachment("report.pdf", pdf_with_text("Quarterly report", "Revenue <b>up</b>"))
    assert isinstance(part, FilePart) and part.media_type == "application/pdf"
    assert part.text == "Quarterly report\nRevenue <b>up</b>"
    named_otherwise = read_attachment("report.bin", pdf_with_text("Sniffed"))
    assert isinstance(named_otherwise, FilePart) and named_otherwise.text == "Sniffed"


def test_a_pdf_without_text_or_broken_is_refused_clearly():
    assert "no text drupe can extract" in refused(read_attachment, "scan.pdf", pdf_with_text())
    assert "could not be read as a PDF" in refused(read_attachment, "broken.pdf", b"%PDF-1.4 not really")


def test_images_are_known_by_their_bytes():
    part = read_attachment("photo.dat", PNG_1PX)
    assert part == ImagePart(data=base64.b64encode(PNG_1PX).decode(), media_type="image/png")
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(8)
    assert read_attachment("x.webp", webp).media_type == "image/webp"


def test_limits_per_file_and_per_message(monkeypatch):
    monkeypatch.setattr(attachments, "MAX_FILE_BYTES", 100)
    assert "at most" in refused(read_attachment, "big.txt", b"a" * 101)
    monkeypatch.setattr(attachments, "MAX_FILE_CHARS", 10)
    assert "11 characters" in refused(read_attachment, "long.txt", b"a" * 11)
    assert "11 characters" in refused(file_part, "long.txt", "a" * 11)
    monkeypatch.setattr(attachments, "MAX_MESSAGE_BYTES", 150)
    files = [FilePart("a.txt", "a", size=80), FilePart("b.txt", "b", size=80)]
    assert "in all" in refused(check_message, files)
    check_message(files[:1])
    monkeypatch.setattr(attachments, "MAX_FILE_BYTES", 100)
    image = ImagePart(data=base64.b64encode(bytes(120)).decode())
    assert "An image is 0.0 MiB; drupe attaches files of at most" in refused(check_message, [image])
    assert "at most 20 files" in refused(check_message, [FilePart(f"{n}.txt", "x", size=1) for n in range(21)])


def test_the_real_limits_are_the_documented_ones():
    assert attachments.MAX_FILE_BYTES == 10 * 2**20 and attachments.MAX_MESSAGE_BYTES == 20 * 2**20
    assert attachments.MAX_FILE_CHARS == 500_000 and attachments.MAX_FILES == 20


def test_read_path_refuses_missing_and_directories_and_reads_files(tmp_path, monkeypatch):
    assert "does not exist" in refused(read_path, tmp_path / "nope.txt")
    assert "is not a file" in refused(read_path, tmp_path)
    (tmp_path / "a.txt").write_text("hello")
    assert read_path(tmp_path / "a.txt") == FilePart("a.txt", "hello", "text/plain", 5)
    monkeypatch.setattr(attachments, "MAX_FILE_BYTES", 4)
    assert "a.txt is 0.0 MiB" in refused(read_path, tmp_path / "a.txt")  # refused before it is read


def test_a_file_reaches_the_model_as_a_delimited_text_block():
    block = as_text_part(FilePart('say "hi"\n.txt', "line <1>\nline 2"))
    assert block == TextPart('<file name="say &quot;hi&quot; .txt">\nline <1>\nline 2\n</file>')
