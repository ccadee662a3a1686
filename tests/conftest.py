"""Shared test set-up: every test gets its own data folder."""

import pytest

pytest_plugins: list[str] = ["tests.fakes.fixtures", "tests.web_fixtures", "tests.llama_fixture", "tests.pg_fixture"]


@pytest.fixture(autouse=True)
def drupe_home(tmp_path, monkeypatch):
    """A fresh DRUPE_HOME per test, and no inherited database or secret settings."""
    home = tmp_path / "drupe-home"
    monkeypatch.setenv("DRUPE_HOME", str(home))
    monkeypatch.delenv("DRUPE_DATABASE_URL", raising=False)
    monkeypatch.delenv("DRUPE_SECRET_KEY", raising=False)
    return home
