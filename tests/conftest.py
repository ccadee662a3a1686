"""Shared test set-up: every test gets its own data folder; llama.cpp tests skip without the `local` extra."""

import importlib.util

import pytest

pytest_plugins: list[str] = [
    "tests.fakes.fixtures",
    "tests.web_fixtures",
    "tests.gateway_fixtures",
    "tests.llama_fixture",
    "tests.pg_fixture",
]


@pytest.fixture(autouse=True)
def drupe_home(tmp_path, monkeypatch):
    """A fresh DRUPE_HOME per test, no inherited database or secret settings, and English (the tests
    read drupe's words in English whatever the machine's LANG; a test of another language sets it)."""
    home = tmp_path / "drupe-home"
    monkeypatch.setenv("DRUPE_HOME", str(home))
    monkeypatch.setenv("DRUPE_LANG", "en")
    monkeypatch.delenv("DRUPE_DATABASE_URL", raising=False)
    monkeypatch.delenv("DRUPE_SECRET_KEY", raising=False)
    return home


NEEDS_LLAMA_FIXTURES = {"llama_server", "smollm2_gguf"}


def _has_llama() -> bool:
    try:
        return importlib.util.find_spec("xllamacpp") is not None
    except ImportError:
        return False


def pytest_collection_modifyitems(config, items):
    """Tests that run llama.cpp (marked `needs_llama`, or using the llama.cpp fixtures) skip,
    saying why, where the `local` extra is not installed, instead of failing."""
    if _has_llama():
        return
    skip = pytest.mark.skip(reason="needs llama.cpp: the `local` extra is not installed (pip install -e '.[local]')")
    for item in items:
        if "needs_llama" in item.keywords or NEEDS_LLAMA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(skip)
