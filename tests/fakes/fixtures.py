"""pytest plugin: the `fake_upstream` fixture. Registered in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.fakes.upstream import FakeUpstream


@pytest.fixture
def fake_upstream() -> Iterator[Callable[..., FakeUpstream]]:
    """A factory: `up = fake_upstream("anthropic", text="Hi", delay=0.01)`, stopped after the test.

    Takes the same arguments as `FakeUpstream`; returns it already started.
    """
    started: list[FakeUpstream] = []

    def start(kind: str = "openai", **options) -> FakeUpstream:
        upstream = FakeUpstream(kind, **options).start()
        started.append(upstream)
        return upstream

    yield start
    for upstream in started:
        upstream.stop()
