"""Opening the database: engine, SQLite pragmas, and migrations to the newest revision."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from drupe import config
from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.secrets import Vault, open_vault

MIGRATIONS = Path(__file__).parent / "migrations"


def head_revision() -> str:
    """The newest migration. Files are named `NNNN_what.py` with revision `NNNN`,
    so the head is known without importing Alembic (which costs start-up time)."""
    names = [p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py")]
    return max(names)


@dataclass
class Store:
    """One open database, and the vault that guards the secrets in it."""

    engine: sa.Engine
    home: Path
    _vault: Vault | None = None

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            self._vault = open_vault(self.home, self.engine)
        return self._vault

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _shown(url: str) -> str:
    """The URL with its password masked, for error messages; nothing of a URL that cannot be
    parsed, since where its password is cannot be known."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return ""


def _unusable_url(url: str, exc: Exception) -> str:
    """Why DRUPE_DATABASE_URL cannot be used, and for PostgreSQL what it takes."""
    shown = _shown(url)
    if shown:
        message = _("DRUPE_DATABASE_URL is not usable ({url}): {error}.", url=shown, error=exc)
    else:
        message = _("DRUPE_DATABASE_URL is not usable: {error}.", error=exc)
    if url.startswith("postgres"):
        hint = _(
            "For PostgreSQL install its driver (pip install 'drupe[postgres]') and use a URL like "
            "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE."
        )
        message += " " + hint
    return message


PRIVATE_FILE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _make_private(database: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask, usually 0644)
    and tighten existing ones. SQLite gives its -wal and -shm files the database file's mode.

    An existing database file is never opened here: closing a descriptor drops every POSIX lock
    the process holds on the file, SQLite's too, and a second `open_store()` in a process would
    leave its first store's connections unlocked (another process could then delete the WAL under
    them, and they would read an old snapshot)."""
    path = Path(database)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    except OSError:
        return  # a missing folder or no permission: SQLite's own error says it better
    for file in (path, *(Path(f"{database}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(PRIVATE_FILE)
        except OSError:
            pass  # absent, or not ours to change


def create_engine(url: str) -> sa.Engine:
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise DrupeError(_unusable_url(url, exc), code="invalid", field="DRUPE_DATABASE_URL") from exc
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _make_private(database)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def current_revision(engine: sa.Engine) -> str | None:
    """The schema's revision, or None for a new database. Asked directly rather than through
    SQLAlchemy's inspector, which costs start-up time on every command."""
    with engine.connect() as connection:
        try:
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            return None


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The new row's id after a one-row INSERT. SQLAlchemy types `inserted_primary_key` as optional
    because an executemany has none; a one-row INSERT always has it."""
    key = result.inserted_primary_key
    if key is None:
        raise TypeError("inserted_id() needs the result of a one-row INSERT")
    return int(key[0])


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic; the only way the schema changes."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def open_store(url: str | None = None, home: Path | None = None) -> Store:
    """Open (and if needed create or upgrade) the database drupe uses."""
    home = home or config.home()
    engine = create_engine(url or config.database_url())
    try:
        if current_revision(engine) != head_revision():
            migrate(engine)
    except sa.exc.DatabaseError as exc:  # also a file that is not a database at all
        where = engine.url.render_as_string(hide_password=True)
        raise DrupeError(
            _(
                "Cannot open the database {where}: {error}. Check DRUPE_HOME or DRUPE_DATABASE_URL.",
                where=where,
                error=exc.orig,
            ),
            code="unavailable",
            what="database",
        ) from exc
    return Store(engine=engine, home=home)
