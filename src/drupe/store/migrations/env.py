"""Alembic environment: runs on the connection `drupe.store.db` hands it."""

from alembic import context

from drupe.store.tables import compared, migrated_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=migrated_metadata(), include_object=compared, render_as_batch=True
)
with context.begin_transaction():
    context.run_migrations()
