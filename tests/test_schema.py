"""The SQLAlchemy tables and the migrations describe the same schema: a database upgraded from
nothing to head has exactly the tables, columns, types, keys and indexes the code declares.
SQLite's FTS5 index is left out on purpose (see `drupe.store.tables.compared`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from drupe.store.db import MIGRATIONS, create_engine, migrate
from drupe.store.tables import compared, migrated_metadata


def _differences(engine: sa.Engine) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        options = {"compare_type": True, "compare_server_default": True, "include_object": compared}
        return compare_metadata(MigrationContext.configure(conn, opts=options), migrated_metadata())


def _alembic_check(engine: sa.Engine) -> None:
    """`alembic check` through the migrations' own env.py: raises if autogenerate would write anything."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)


def test_the_migrations_build_exactly_the_declared_tables(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        migrate(engine)
        assert _differences(engine) == []
        _alembic_check(engine)
    finally:
        engine.dispose()


def test_the_comparison_sees_a_difference():
    """The check can fail: a table the migrations do not build is reported."""
    metadata = migrated_metadata()
    extra = sa.Table("not_migrated", metadata, sa.Column("id", sa.Integer, primary_key=True))
    engine = create_engine("sqlite://")
    try:
        migrate(engine)
        assert [diff[0] for diff in _differences(engine)] == ["add_table"]
    finally:
        metadata.remove(extra)
        engine.dispose()
