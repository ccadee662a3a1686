"""pytest plugin: the store tests run against SQLite and a throwaway PostgreSQL.

`database_url` is parametrised over `sqlite` and `postgresql`; a test (or a module, with
`pytestmark = pytest.mark.usefixtures("database_url")`) that asks for it runs once per
backend. For PostgreSQL, `DRUPE_DATABASE_URL` points at the test database, emptied for
the test, so `open_store()`, the web app and the `drupe` command all use it.

The cluster is started once per session, only when a PostgreSQL test runs: `initdb` in a
temp dir, listening on 127.0.0.1 only, on a free port, with `fsync=off` (its data is thrown
away). Postgres refuses to run as root, so as root it runs as the `postgres` user that
Debian's package creates. The tests share one database migrated to head once; before each
test the connections left to it are ended and its tables emptied (20-90 ms, where a copy of a
database costs 0.2-0.5 s and migrating more). Should a migration ever seed rows, this reset
would have to restore them. Without the binaries or `psycopg` the PostgreSQL tests skip and
say why. Registered in tests/conftest.py.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DATABASE = "drupe_test"
INSTALL_HINT = "Debian: apt-get install postgresql (`make test` does it when run as root)"


def _bin_dir() -> Path | None:
    """Debian's versioned bin dir (newest first), else whatever `initdb` is on PATH."""
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    for candidate in sorted(versions, key=lambda p: -int(p.parent.name)):
        if (candidate / "initdb").exists():
            return candidate
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _no_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return True
    return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """One running throwaway cluster; `url(name)` is the SQLAlchemy URL of one of its databases."""

    bin_dir: Path
    root: Path
    port: int
    as_user: list[str]
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    def run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bin_dir / tool), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self.run("initdb", "-D", str(self.root / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--locale=C", "--no-sync")  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = str(self.root / "server.log")
        self.run("pg_ctl", "-D", str(self.root / "data"), "-l", log, "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str) -> None:
        """Outside a transaction, as CREATE/DROP DATABASE need."""
        import psycopg

        with psycopg.connect(self.url("postgres").replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(statement)

    def reset(self) -> None:
        """Empty every table of the shared database (its schema and revision stay)."""
        import psycopg

        with psycopg.connect(self.url(DATABASE).replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (DATABASE,),
            )
            tables = [row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )]  # fmt: skip
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

    def create_database(self) -> str:
        """A new, empty database (no schema at all); its name."""
        name = f"drupe_empty_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
        return name

    def drop_database(self, name: str) -> None:
        """Also ends the connections still open to it (pools of stores the test left open)."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL on 127.0.0.1 for this session, with a database migrated to head."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip(f"PostgreSQL is not installed: {INSTALL_HINT}")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[postgres]'")
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres will not run as root
        if not shutil.which("runuser") or _no_user("postgres"):
            pytest.skip("PostgreSQL will not run as root, and there is no `postgres` user (or runuser) to run it as")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="drupe-pg-"))
    if as_user:
        shutil.chown(root, "postgres", "postgres")
    server = PostgresServer(bin_dir, root, _free_port(), as_user)
    try:
        server.start()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = root / "server.log"
        detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")
        detail += log.read_text(errors="replace") if log.exists() else ""
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc}\n{detail}")
    try:
        from drupe.store.db import create_engine, migrate

        server.execute(f"CREATE DATABASE {DATABASE} TEMPLATE template0")
        engine = create_engine(server.url(DATABASE))
        migrate(engine)
        engine.dispose()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, drupe_home, monkeypatch) -> str:
    """The URL the test's store uses: SQLite in DRUPE_HOME, or PostgreSQL's test database
    (migrated to head, emptied) named in DRUPE_DATABASE_URL."""
    if request.param == "sqlite":
        from drupe import config

        return config.database_url()
    server: PostgresServer = request.getfixturevalue("postgres_server")
    server.reset()
    monkeypatch.setenv("DRUPE_DATABASE_URL", server.url(DATABASE))
    return server.url(DATABASE)


@pytest.fixture
def empty_database_url(request, database_url) -> Iterator[str]:
    """Like `database_url`, but with no schema at all (for migrations): the SQLite file is
    not created yet; the PostgreSQL database is a new one, dropped after the test."""
    if not database_url.startswith("postgresql"):
        yield database_url
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)
