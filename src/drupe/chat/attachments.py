"""Files attached to a message: read, checked against the limits, and made into what a model reads.

A text, code or PDF file becomes a `FilePart`: its name, media type, size and text (a PDF's text
extracted with pypdf). It is stored as one of the message's parts (`{"type": "file", ...}`), so
its name stays for display and export; each time the message is sent, the part becomes one
`TextPart` holding the file in a delimited block (`as_text_part`), which every provider type
reads. An image becomes an `ImagePart`, which the protocol layer sends as an image.

The one way in is `read_attachment(name, data)`: the CLI reads a path (`read_path`), the web
app decodes what the page sends; both then call `check_message` for the limits of one message.
"""

from __future__ import annotations

import base64
import io
import logging
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from drupe.errors import DrupeError
from drupe.i18n import N_, _
from drupe.protocols.base import ContentPart, ImagePart, TextPart

MIB = 1024 * 1024
MAX_FILE_BYTES = 10 * MIB
"""One attached file, as read from disk or sent by the page."""
MAX_MESSAGE_BYTES = 20 * MIB
"""All files of one message together (base64 makes that ~27 MiB in a web request, under its 32 MiB cap)."""
MAX_FILE_CHARS = 500_000
"""The text of one file once read or extracted: about 125,000 tokens, past most models' context."""
MAX_FILES = 20
"""Files attached to one message."""

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
"""Images are known by their first bytes (WebP by `RIFF....WEBP`, see `_image_type`), not their name."""
KINDS = N_("UTF-8 text or code, PDF, or a PNG, JPEG, GIF or WebP image")


@dataclass(frozen=True)
class FilePart:
    """A text, code or PDF file attached to a user's message: `text` is what the model reads
    (a PDF's extracted text), `size` the file's size in bytes."""

    name: str
    text: str
    media_type: str = "text/plain"
    size: int = 0
    type: Literal["file"] = "file"


Part = ContentPart | FilePart
"""A part of a user's message as stored: text, an image, or an attached file."""


def as_text_part(part: FilePart) -> TextPart:
    """The file as the model reads it: its name and text in a `<file>` block, a form models
    are trained to read and that marks clearly where the file's text starts and ends."""
    name = part.name.replace("&", "&amp;").replace('"', "&quot;").replace("\n", " ")
    return TextPart(text=f'<file name="{name}">\n{part.text}\n</file>')


def for_model(parts: Iterable[Part]) -> tuple[ContentPart, ...]:
    """A message's parts as the protocol layer sends them: each file as a text block."""
    return tuple(as_text_part(part) if isinstance(part, FilePart) else part for part in parts)


def read_path(path: Path) -> FilePart | ImagePart:
    """The file at `path` as a part; a clear error if it is missing, too big or not readable."""
    if not path.exists():
        raise _invalid(_("{path} does not exist.", path=path), path.name)
    if not path.is_file():
        raise _invalid(_("{path} is not a file.", path=path), path.name)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _too_big(path.name, size)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _invalid(
            _("{path} could not be read: {problem}.", path=path, problem=exc.strerror or exc), path.name
        ) from exc
    return read_attachment(path.name, data)


def read_attachment(name: str, data: bytes) -> FilePart | ImagePart:
    """A file's bytes as a part: an image by its first bytes, a PDF by its `%PDF-` header or
    its name, anything else as UTF-8 text. Binary files, empty PDFs and files over the
    limits are refused with a message that says so."""
    name = name.strip() or "file"
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(name, len(data))
    image_type = _image_type(data)
    if image_type:
        return ImagePart(data=base64.b64encode(data).decode("ascii"), media_type=image_type)
    if data.startswith(b"%PDF-") or name.lower().endswith(".pdf"):
        return _checked(FilePart(name, _pdf_text(name, data), "application/pdf", len(data)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:
        raise _invalid(
            _("{name} is not a file drupe can attach: it is binary. Attach {kinds}.", name=name, kinds=_(KINDS)), name
        )
    media_type = mimetypes.guess_type(name)[0] or ""
    if not media_type.startswith(("text/", "application/")):
        media_type = "text/plain"  # a name guessed as something else (`.ts` as video) holds text here
    return _checked(FilePart(name, text.replace("\r\n", "\n"), media_type, len(data)))


def file_part(name: str, text: str, media_type: str = "text/plain", size: int | None = None) -> FilePart:
    """A file given as text already (the web page sending back a stored attachment): checked like one read."""
    name = name.strip() or "file"
    return _checked(FilePart(name, text, media_type or "text/plain", len(text.encode()) if size is None else size))


def check_message(parts: Iterable[Part]) -> None:
    """The limits of one message: how many files, each one's size (an image the page sent as
    an image part was not read here), and their size together."""
    files = [part for part in parts if isinstance(part, (FilePart, ImagePart))]
    if len(files) > MAX_FILES:
        raise _invalid(
            _("A message may carry at most {most} files; this one has {n}.", most=MAX_FILES, n=len(files)), ""
        )
    big = next((part for part in files if _size(part) > MAX_FILE_BYTES), None)
    if big is not None:
        raise _too_big(big.name if isinstance(big, FilePart) else _("An image"), _size(big))
    total = sum(_size(part) for part in files)
    if total > MAX_MESSAGE_BYTES:
        raise _invalid(
            _(
                "The files attached come to {size}; one message may carry {most} in all. Attach fewer or smaller "
                "files, or send them in several messages.",
                size=_mib(total),
                most=_mib(MAX_MESSAGE_BYTES),
            ),
            "",
        )


def describe_size(size: int) -> str:
    """A file size as people read it: 812 B, 14.2 KB, 3.1 MB."""
    if size < 1000:
        return f"{size} B"
    if size < 1000 * 1000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1000 / 1000:.1f} MB"


def _pdf_text(name: str, data: bytes) -> str:
    """The text of every page; pypdf is imported only when a PDF is attached."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on a damaged file would reach the terminal
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - a dependency; only a broken install lacks it
        raise DrupeError(_("Reading a PDF needs the pypdf package."), code="unavailable", what="pypdf") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _invalid(_("{name} is a PDF protected by a password; attach a copy without one.", name=name), name)
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except DrupeError:
        raise
    except Exception as exc:  # pypdf raises many kinds (PdfReadError, ValueError, KeyError…) on a broken file
        raise _invalid(
            _("{name} could not be read as a PDF: {problem}.", name=name, problem=exc or type(exc).__name__), name
        ) from exc
    text = "\n\n".join(page for page in pages if page)
    if not text:
        raise _invalid(
            _(
                "{name} has no text drupe can extract (a scanned PDF holds pictures of its pages). "
                "Attach a PDF with a text layer, or its pages as images.",
                name=name,
            ),
            name,
        )
    return text


def _image_type(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in IMAGE_TYPES.items() if data.startswith(magic)), "")


def _checked(part: FilePart) -> FilePart:
    if len(part.text) > MAX_FILE_CHARS:
        raise _invalid(
            _(
                "{name} has {n} characters of text; drupe attaches at most {most} per file. Attach a part of it.",
                name=part.name,
                n=f"{len(part.text):,}",
                most=f"{MAX_FILE_CHARS:,}",
            ),
            part.name,
        )
    return part


def _size(part: FilePart | ImagePart) -> int:
    return part.size if isinstance(part, FilePart) else len(part.data) * 3 // 4


def _too_big(name: str, size: int) -> DrupeError:
    return _invalid(
        _(
            "{name} is {size}; drupe attaches files of at most {most}.",
            name=name,
            size=_mib(size),
            most=_mib(MAX_FILE_BYTES),
        ),
        name,
    )


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def _invalid(message: str, name: str) -> DrupeError:
    return DrupeError(message, code="invalid", field="attachments", name=name)
