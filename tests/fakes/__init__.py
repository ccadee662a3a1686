"""Fake AI providers on real sockets, for tests and benchmarks.

    from tests.fakes.upstream import FakeUpstream, Fault

or, in a test, the `fake_upstream` fixture from `tests/fakes/fixtures.py`.
"""
