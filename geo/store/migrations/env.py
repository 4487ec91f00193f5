"""Alembic environment: migrate the connection :func:`geo.store.core.migrate` hands over."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two dashboards opening a new store at once: one migrates, the other waits.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7201311)")
    context.run_migrations()
