"""Key rotation and the retry rules, as pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drupe.errors import ProviderError
from drupe.protocols.client import Attempts, RetryPolicy
from drupe.protocols.http_errors import parse_retry_after
from drupe.protocols.keys import KeyRing, ring_for


def test_each_request_starts_one_key_further():
    ring = KeyRing(("a", "b", "c"))
    assert [ring.order() for _ in range(4)] == [
        ("a", "b", "c"),
        ("b", "c", "a"),
        ("c", "a", "b"),
        ("a", "b", "c"),
    ]


def test_no_keys_means_one_try_without_a_key():
    assert KeyRing(()).order() == (None,)


@settings(deadline=None)
@given(keys=st.lists(st.text(min_size=1), min_size=1, max_size=6, unique=True), requests=st.integers(1, 30))
def test_every_key_is_used_equally_often(keys, requests):
    ring = KeyRing(tuple(keys))
    firsts = [ring.order()[0] for _ in range(requests * len(keys))]
    assert all(firsts.count(key) == requests for key in keys)


def test_rings_are_shared_per_key_set():
    assert ring_for(("shared-1", "shared-2")) is ring_for(("shared-1", "shared-2"))
    assert ring_for(("shared-1", "shared-2")) is not ring_for(("shared-2", "shared-1"))


def error(kind, status=None, retry_after=None):
    return ProviderError(kind, "x", status=status, retry_after=retry_after)


@pytest.mark.parametrize("kind", ["auth", "rate_limit"])
def test_a_refused_or_limited_key_falls_back_to_the_next_at_once(kind):
    attempts = Attempts(("a", "b"), RetryPolicy())
    assert attempts.after(error(kind, 401 if kind == "auth" else 429)) == 0
    assert attempts.key == "b"


def test_auth_fails_once_every_key_was_refused():
    attempts = Attempts(("a", "b"), RetryPolicy())
    attempts.after(error("auth", 401))
    with pytest.raises(ProviderError):
        attempts.after(error("auth", 401))


@pytest.mark.parametrize("kind", ["rate_limit", "server", "connection"])
def test_transient_errors_are_retried_with_backoff_then_raised(kind):
    attempts = Attempts((None,), RetryPolicy(max_retries=2, base_delay=0.5))
    assert [attempts.after(error(kind)), attempts.after(error(kind))] == [0.5, 1.0]
    with pytest.raises(ProviderError):
        attempts.after(error(kind))


@pytest.mark.parametrize("kind", ["not_found", "bad_response", "timeout"])
def test_other_errors_are_not_retried(kind):
    with pytest.raises(ProviderError):
        Attempts(("a", "b"), RetryPolicy()).after(error(kind))


def test_retry_after_is_honoured_but_capped():
    policy = RetryPolicy(max_retry_after=30)
    assert policy.delay(0, retry_after=2.5) == 2.5
    assert policy.delay(0, retry_after=3600) == 30
    assert RetryPolicy(base_delay=0.5, max_delay=8).delay(10, None) == 8


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("0.25", 0.25),
        ("-1", 0.0),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
    ],
)
def test_retry_after_header(header, seconds):
    now = 1445412480.0  # 07:28:00 that day
    assert parse_retry_after(header, now=now) == seconds
