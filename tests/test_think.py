"""`<think>` splitting: table cases, and any chunking gives the same result."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drupe.protocols.base import Finish, ReasoningDelta, TextDelta
from drupe.protocols.think import ThinkSplitter, split_think_events


def split(chunks: list[str]) -> tuple[str, str]:
    """(reasoning, text) after feeding `chunks` one by one."""
    splitter = ThinkSplitter()
    events = [event for chunk in chunks for event in splitter.feed(chunk)] + splitter.flush()
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return reasoning, text


@pytest.mark.parametrize(
    ("whole", "reasoning", "text"),
    [
        ("plain answer", "", "plain answer"),
        ("<think>hmm</think>answer", "hmm", "answer"),
        ("<think>\nhmm\n</think>\n\nanswer", "hmm\n", "answer"),
        ("before <think>hmm</think> after", "hmm", "before  after"),
        ("<think>never closed", "never closed", ""),
        ("a < b and <thin ice", "", "a < b and <thin ice"),
        ("ends with <thi", "", "ends with <thi"),
        ("<think>x</think>y<think>z</think>w", "xz", "yw"),
        ("</think> stray close", "", "</think> stray close"),
        ("<think>a </thin b</think>c", "a </thin b", "c"),
    ],
)
def test_cases(whole, reasoning, text):
    assert split([whole]) == (reasoning, text)


def test_a_tag_cut_across_chunks_is_still_a_tag():
    assert split(["<th", "ink>deep", " thought</th", "in", "k>", "\n", "answer"]) == ("deep thought", "answer")


def test_text_with_no_tag_in_sight_is_not_held_back():
    splitter = ThinkSplitter()
    assert splitter.feed("Hello") == [TextDelta("Hello")]
    assert splitter.feed(" <") == [TextDelta(" ")]
    assert splitter.feed("b>") == [TextDelta("<b>")]


alphabet = st.sampled_from(["<think>", "</think>", "<", ">", "/", "t", "h", "i", "n", "k", "\n", " ", "a", "é"])
texts = st.lists(alphabet, max_size=30).map("".join)


@settings(deadline=None)
@given(text=texts, cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=12))
def test_any_chunking_gives_the_same_result(text, cuts):
    points = sorted({min(cut, len(text)) for cut in cuts})
    chunks = [text[a:b] for a, b in zip([0, *points], [*points, len(text)])]
    assert split(chunks) == split([text])


@settings(deadline=None)
@given(text=texts)
def test_nothing_is_lost_but_tags_and_their_newlines(text):
    reasoning, answer = split([text])
    assert len(reasoning) + len(answer) <= len(text)
    if "<think>" not in text:
        assert (reasoning, answer) == ("", text)


def test_events_other_than_text_pass_through_after_held_back_text():
    events = [TextDelta("Hi <thi"), Finish("stop")]
    assert split_think_events(events) == [TextDelta("Hi "), TextDelta("<thi"), Finish("stop")]
