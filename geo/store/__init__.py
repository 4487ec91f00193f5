"""The team's incident store: one interface, an embedded SQLite default and PostgreSQL + PostGIS.

Open it by URL::

    from geo.store import open_store
    store = open_store()                                        # embedded: var/store.sqlite
    store = open_store("postgresql+psycopg://me@db/incidents")  # a team's PostGIS

The URL comes from ``--store``, ``INCIDENT_STORE_URL`` or ``store.toml`` (see
:mod:`geo.store.config`). Opening runs the schema migrations (Alembic), so a store made with an
older version of the dashboard is brought up to date and keeps its data. Everything the store
holds is in :class:`~geo.store.interface.IncidentStore`; every write needs an editor's account.
"""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.config import StoreSettings, default_url, load_settings
from geo.store.core import SqlStore
from geo.store.interface import (
    MATCH_DECISIONS,
    ROLES,
    VISIBILITIES,
    Account,
    DatasetInfo,
    HistoryEntry,
    ImportOutcome,
    IncidentStore,
    Login,
    NotLoggedIn,
    PermissionDenied,
    StoreError,
    StoreVersionError,
)
from geo.store.postgis import PostgisBackend
from geo.store.sqlite import SqliteBackend

__all__ = [
    "MATCH_DECISIONS",
    "ROLES",
    "VISIBILITIES",
    "Account",
    "DatasetInfo",
    "HistoryEntry",
    "ImportOutcome",
    "IncidentStore",
    "Login",
    "NotLoggedIn",
    "PermissionDenied",
    "StoreError",
    "StoreSettings",
    "StoreVersionError",
    "default_url",
    "load_settings",
    "open_store",
]


def open_store(url: str | None = None, *, session_hours: float | None = None) -> SqlStore:
    """Open (and create or migrate) the store at ``url``.

    Parameters
    ----------
    url : str, optional
        ``sqlite:///...`` or ``postgresql+psycopg://...``; resolved by
        :func:`geo.store.config.load_settings` when None.
    session_hours : float, optional
        How long a login lasts (from the settings by default).

    Returns
    -------
    SqlStore
        Implements :class:`IncidentStore`.

    Raises
    ------
    StoreError
        For a URL of another kind of database, or a store newer than this program.
    """
    settings = load_settings(url)
    try:
        parsed = sa.make_url(settings.url)
    except sa.exc.ArgumentError as error:
        msg = (
            f"store URL {settings.url!r} is not a database URL (sqlite:///... or postgresql://...)"
        )
        raise StoreError(msg) from error
    backend: SqliteBackend | PostgisBackend
    if parsed.get_backend_name() == "sqlite":
        backend = SqliteBackend()
    elif parsed.get_backend_name() == "postgresql":
        backend = PostgisBackend()
    else:
        msg = (
            f"store URL for {parsed.get_backend_name()!r}: expected sqlite:///FILE (embedded) "
            "or postgresql+psycopg://... (PostGIS)"
        )
        raise StoreError(msg)
    hours = session_hours if session_hours is not None else settings.session_hours
    return SqlStore(settings.url, backend, session_hours=hours)
