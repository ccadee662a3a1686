import os
import socket
import stat

import pytest
import sqlalchemy as sa

from drupe.errors import DrupeError
from drupe.registry import Registry
from drupe.store import open_store
from drupe.store.db import head_revision, migrate


def test_migrates_from_empty_to_head_and_back(empty_database_url):
    """On SQLite and on PostgreSQL: `alembic upgrade head` from nothing, down to nothing, up again."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from drupe.store.db import MIGRATIONS, create_engine, current_revision

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == head_revision()

    engine = create_engine(empty_database_url)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert {"providers", "models", "settings", "conversations", "messages"} <= set(
            sa.inspect(conn).get_table_names()
        )
    migrate_down = __import__("alembic.command", fromlist=["downgrade"]).downgrade
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        migrate_down(cfg, "base")
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("providers")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_0007_keeps_conversations_and_gives_them_no_reasoning_or_parameters(empty_database_url):
    """A conversation made before 0007 reads back with the provider's default reasoning and no
    parameters; the new settings are stored; down to 0006 drops the columns again."""
    from datetime import datetime

    from alembic import command
    from alembic.config import Config

    from drupe.chat.records import CustomParam, conversation_from_row
    from drupe.chat.tables import conversations
    from drupe.store.db import MIGRATIONS, create_engine

    engine = create_engine(empty_database_url)
    migrate(engine, "0006")
    now = datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'old', :t, :t)"),
            {"t": now},
        )
    migrate(engine)
    with engine.begin() as conn:
        old = conversation_from_row(conn.execute(sa.select(conversations)).one())
        assert old.title == "old" and old.settings.reasoning is None and old.settings.params == ()
        params = [{"name": "top_k", "type": "number", "value": 5}]
        conn.execute(conversations.update().values(reasoning="high", params=params))
        new = conversation_from_row(conn.execute(sa.select(conversations)).one())
    assert new.settings.reasoning == "high" and new.settings.params == (CustomParam("top_k", "number", 5),)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with engine.connect() as conn:
        columns = {column["name"] for column in sa.inspect(conn).get_columns("conversations")}
        assert not {"reasoning", "params"} & columns
        assert conn.execute(sa.text("SELECT title FROM conversations")).scalar() == "old"
    engine.dispose()


def test_the_store_works_on_the_database_url(database_url):
    """`DRUPE_DATABASE_URL` (PostgreSQL here) holds everything: a second store sees what the first wrote."""
    store = open_store()
    assert store.engine.url.render_as_string(hide_password=False) == database_url
    assert store.is_sqlite == database_url.startswith("sqlite")
    Registry(store).add_provider("A", "openai", api_keys=["sk-first-key-0123"], headers={"X-Team": "r"})
    Registry(store).add_model("A", "m1")
    again = Registry(open_store()).get_provider("a")
    assert again.api_keys == ["sk-first-key-0123"] and again.headers == {"X-Team": "r"}
    assert [m.model_id for m in Registry(open_store()).list_models("A")] == ["m1"]


def test_an_unusable_database_url_says_how_to_fix_it_and_hides_the_password(monkeypatch):
    monkeypatch.setenv("DRUPE_DATABASE_URL", "postgresql+nodriver://me:hunter2-secret@127.0.0.1/db")
    with pytest.raises(DrupeError) as error:
        open_store()
    assert "hunter2" not in str(error.value) and "me:***@127.0.0.1" in str(error.value)
    assert "pip install 'drupe[postgres]'" in str(error.value) and "postgresql+psycopg://" in str(error.value)


def test_a_postgresql_server_that_is_not_there_is_named_without_its_password():
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[postgres]'")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"postgresql+psycopg://me:hunter2-secret@127.0.0.1:{closed.getsockname()[1]}/db"
    with pytest.raises(
        DrupeError, match=r"Cannot open the database postgresql\+psycopg://me:\*\*\*@127.*refused"
    ) as error:
        open_store(url)
    assert "hunter2" not in str(error.value)


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


def test_opening_the_store_keeps_the_locks_this_process_holds_on_the_database_file():
    """SQLite's locks are POSIX locks, and closing any descriptor of a file drops every lock the
    process holds on it. Opening the store must not open and close an existing database file: the
    SQLite connections already open in the process would lose their locks, another process would
    then see no reader and delete the WAL under them, and they would go on reading an old snapshot
    (a gateway key revoked elsewhere still accepted). A lock on a byte SQLite does not use stands
    for theirs here; another process checks it is still held."""
    import fcntl
    import subprocess
    import sys

    first = open_store()  # creates the file
    path = first.engine.url.database
    assert path
    byte = 0x3FFFFF00  # below the bytes SQLite locks (from 0x40000000)
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, byte)
        second = open_store()
        probe = "import fcntl, os, sys; fcntl.lockf(os.open(sys.argv[1], os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))"
        taken = subprocess.run([sys.executable, "-c", probe, path, str(byte)], capture_output=True, timeout=60)
        assert taken.returncode != 0, "another process could lock the byte: opening the store dropped this one's lock"
        second.engine.dispose()
    finally:
        os.close(fd)
        first.engine.dispose()


def test_database_url_is_honoured(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("DRUPE_DATABASE_URL", url)
    Registry(open_store()).add_provider("A", "openai")
    assert (tmp_path / "elsewhere.db").exists()


def test_keys_are_encrypted_at_rest(drupe_home, database_url):
    registry = Registry(open_store())
    secret = "sk-live-THIS-MUST-NOT-LEAK-1234"
    registry.add_provider("P", "openai", api_keys=[secret, "second-key-ABCDEFG"])
    with registry.store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT api_keys FROM providers")).scalar()
    assert "THIS-MUST-NOT-LEAK" not in stored and "ABCDEFG" not in stored
    registry.store.engine.dispose()
    if database_url.startswith("sqlite"):
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
