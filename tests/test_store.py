import os
import stat

import pytest
import sqlalchemy as sa

from drupe.errors import DrupeError
from drupe.registry import Registry
from drupe.store import open_store
from drupe.store.db import head_revision, migrate


def test_migrates_from_empty_to_head_and_back(tmp_path):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from drupe.store.db import MIGRATIONS, create_engine, current_revision

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == head_revision()

    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head_revision()
    migrate_down = __import__("alembic.command", fromlist=["downgrade"]).downgrade
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        migrate_down(cfg, "base")
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("providers")
    migrate(engine)
    assert current_revision(engine) == head_revision()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "drupe.db"
    path.write_bytes(b"not a database " * 64)
    with pytest.raises(DrupeError, match=r"Cannot open the database sqlite:///.*drupe\.db: file is not a database"):
        open_store(f"sqlite:///{path}", home=tmp_path)
    assert path.read_bytes() == b"not a database " * 64  # left as it was


def test_sqlite_uses_wal_and_foreign_keys():
    store = open_store()
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_database_url_is_honoured(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("DRUPE_DATABASE_URL", url)
    Registry(open_store()).add_provider("A", "openai")
    assert (tmp_path / "elsewhere.db").exists()


def test_keys_are_encrypted_at_rest(drupe_home):
    registry = Registry(open_store())
    secret = "sk-live-THIS-MUST-NOT-LEAK-1234"
    registry.add_provider("P", "openai", api_keys=[secret, "second-key-ABCDEFG"])
    registry.store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in drupe_home.iterdir() if p.name.startswith("drupe.db"))
    assert b"THIS-MUST-NOT-LEAK" not in raw and b"ABCDEFG" not in raw
    assert Registry(open_store()).get_provider("p").api_keys == [secret, "second-key-ABCDEFG"]


def test_secret_key_file_is_private(drupe_home):
    Registry(open_store()).add_provider("P", "openai", api_keys=["k1"])
    mode = stat.S_IMODE(os.stat(drupe_home / "secret.key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment(monkeypatch, drupe_home):
    from cryptography.fernet import Fernet

    monkeypatch.setenv("DRUPE_SECRET_KEY", Fernet.generate_key().decode())
    Registry(open_store()).add_provider("P", "openai", api_keys=["k1"])
    assert not (drupe_home / "secret.key").exists()
    assert Registry(open_store()).get_provider("P").api_keys == ["k1"]


def test_wrong_or_empty_secret_key_is_a_clear_error(monkeypatch, drupe_home):
    Registry(open_store()).add_provider("P", "openai", api_keys=["k1"])
    (drupe_home / "secret.key").write_bytes(b"")
    from drupe.secrets import _vault_for

    _vault_for.cache_clear()
    with pytest.raises(DrupeError, match="empty"):
        Registry(open_store()).get_provider("P")
    monkeypatch.setenv("DRUPE_SECRET_KEY", "not-a-fernet-key")
    with pytest.raises(DrupeError, match="not a valid Fernet key"):
        Registry(open_store()).get_provider("P")
