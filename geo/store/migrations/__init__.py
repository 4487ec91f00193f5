"""Alembic migrations of the store, run by :func:`geo.store.open_store` on every open."""
