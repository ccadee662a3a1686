"""The data store: SQLAlchemy Core tables, Alembic migrations, SQLite (WAL) by default."""

from drupe.store.db import Store, open_store

__all__ = ["Store", "open_store"]
