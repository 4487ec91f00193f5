"""The store's logic on SQLAlchemy Core, shared by both back ends.

Statements here are portable SQLAlchemy Core; what differs between SQLite and PostGIS (engine
settings, bulk loading, filters pushed into the database) lives in the back end's own module
(:mod:`geo.store.sqlite`, :mod:`geo.store.postgis`), passed in as a :class:`Backend`.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from geo.compact import among
from geo.filters import IncidentFilter
from geo.groups import GroupRegistry
from geo.importers import ImportResult
from geo.store import auth
from geo.store import tables as t
from geo.store.interface import (
    MATCH_DECISIONS,
    ROLES,
    VISIBILITIES,
    Account,
    DatasetInfo,
    HistoryEntry,
    ImportOutcome,
    Login,
    PermissionDenied,
    StoreError,
    StoreVersionError,
    check_choice,
    require_admin,
    require_writer,
)
from geo.store.records import (
    DATA_COLUMNS,
    EDITABLE,
    curated_incident,
    display_value,
    figures_table,
    incidents_from_rows,
    record_from_row,
    row_hashes,
    rows_from_incidents,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision under migrations/versions (tests check it is Alembic's head).
SCHEMA_HEAD = "0002"
CURATED_NAME = "Team curated incidents"
CURATED_FORMAT = "curated"
UPDATE_BATCH = 5000


def utc_now() -> datetime:
    """Return the current UTC time without a zone (how the store keeps write times)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Backend(Protocol):
    """What differs between the embedded and the PostGIS store."""

    name: str

    def create_engine(self, url: str) -> sa.Engine:
        """Return an engine for ``url``."""

    def bulk_insert(self, connection: sa.Connection, rows: pd.DataFrame) -> None:
        """Insert many incident rows fast."""

    def read_frame(self, engine: sa.Engine, query: sa.Select) -> pd.DataFrame:
        """Read many rows fast (counts as ``Int64``)."""

    def prefilter(
        self, flt: IncidentFilter, registry: GroupRegistry | None
    ) -> list[sa.ColumnElement[bool]]:
        """Conditions the database evaluates before rows are read (a superset of ``flt``)."""


def _alembic_config(connection: sa.Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine) -> str:
    """Bring the store's schema to the newest revision; return that revision.

    Parameters
    ----------
    engine : sqlalchemy.Engine

    Returns
    -------
    str

    Raises
    ------
    StoreVersionError
        If the store was written by a newer version of this program.
    """
    if _stored_revision(engine) == SCHEMA_HEAD:
        return SCHEMA_HEAD  # as every store but a new or an old one: Alembic not needed
    # Imported only to migrate: Alembic took 0.3 s of every first page (the page opens the
    # team store, by default the embedded one).
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.begin() as connection:
        config = _alembic_config(connection)
        script = ScriptDirectory.from_config(config)
        current = MigrationContext.configure(connection).get_current_revision()
        known = {rev.revision for rev in script.walk_revisions()}
        if current is not None and current not in known:
            msg = (
                f"this store is at schema revision {current!r}, newer than this program knows "
                f"(up to {script.get_current_head()!r}); update the dashboard to open it"
            )
            raise StoreVersionError(msg)
        command.upgrade(config, "head")
    return str(script.get_current_head())


def _stored_revision(engine: sa.Engine) -> str | None:
    """Return the schema revision a store records (None: none recorded yet)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


class SqlStore:
    """:class:`geo.store.interface.IncidentStore` on a SQLAlchemy engine.

    Parameters
    ----------
    url : str
        The store's URL.
    backend : Backend
        The back end's specifics.
    session_hours : float
        How long a login lasts.
    """

    def __init__(self, url: str, backend: Backend, *, session_hours: float = 8.0) -> None:
        self.url = url
        self.backend = backend.name
        self._backend = backend
        self.session_hours = session_hours
        self.engine = backend.create_engine(url)
        try:
            self.schema_revision = migrate(self.engine)
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def revision(self) -> int:
        """Return a number that grows with every write."""
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(t.store_state.c.revision)).scalar_one())

    def state(self) -> tuple[str, int]:
        """Return this store's identity and the revision of its incidents.

        The identity is made when the store is created; the incidents' revision grows with every
        write that changes the incidents or who sees them (not with accounts, match decisions or
        group spellings). Together they name what :meth:`incidents` returns, across restarts.

        Returns
        -------
        tuple of (str, int)
            The store's identity and the revision of its incidents.
        """
        columns = (t.store_state.c.instance, t.store_state.c.incidents_revision)
        with self.engine.connect() as connection:
            instance, revision = connection.execute(sa.select(*columns)).one()
        return str(instance), int(revision)

    @staticmethod
    def _bump(connection: sa.Connection, *, incidents: bool = False) -> None:
        changes = {"revision": t.store_state.c.revision + 1}
        if incidents:
            changes["incidents_revision"] = t.store_state.c.incidents_revision + 1
        connection.execute(sa.update(t.store_state).values(**changes))

    # ------------------------------------------------------------------ accounts
    def create_account(
        self, username: str, password: str, role: str, *, actor: Account | None
    ) -> Account:
        """Create an account; only an admin may, except for the very first account.

        Parameters
        ----------
        username, password : str
        role : str
            One of :data:`geo.store.interface.ROLES`.
        actor : Account or None
            The admin creating it; None only when the store has no account yet.

        Returns
        -------
        Account
        """
        auth.check_username(username)
        check_choice(role, ROLES, "role")
        password_hash = auth.hash_password(password)
        with self.engine.begin() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(t.accounts))
            if count.scalar_one() > 0:
                require_admin(actor, "create accounts")
            elif role != "admin":
                msg = f"the first account must be an admin (asked for {role!r})"
                raise StoreError(msg)
            taken = connection.execute(
                sa.select(t.accounts.c.id).where(t.accounts.c.username == username)
            ).first()
            if taken:
                msg = f"username {username!r} is taken"
                raise StoreError(msg)
            new_id = connection.execute(
                sa.insert(t.accounts).values(
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    created_at=utc_now(),
                    created_by=actor.username if actor else "(first account)",
                    disabled=False,
                )
            ).inserted_primary_key[0]
            self._bump(connection)
        return Account(int(new_id), username, role)

    def accounts(self) -> list[Account]:
        """Return every enabled account, by name."""
        query = (
            sa.select(t.accounts.c.id, t.accounts.c.username, t.accounts.c.role)
            .where(t.accounts.c.disabled.is_(False))
            .order_by(t.accounts.c.username)
        )
        with self.engine.connect() as connection:
            return [Account(int(i), u, r) for i, u, r in connection.execute(query)]

    def login(self, username: str, password: str, *, hours: float | None = None) -> Login:
        """Check the password and open a session that expires after ``hours``.

        Returns
        -------
        Login

        Raises
        ------
        StoreError
            "wrong username or password", the same for both, so names cannot be probed.
        """
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(t.accounts).where(
                    t.accounts.c.username == username, t.accounts.c.disabled.is_(False)
                )
            ).first()
            if row is None or not auth.verify_password(row.password_hash, password):
                msg = "wrong username or password"
                raise StoreError(msg)
            if auth.needs_rehash(row.password_hash):
                connection.execute(
                    sa.update(t.accounts)
                    .where(t.accounts.c.id == row.id)
                    .values(password_hash=auth.hash_password(password))
                )
            token = auth.new_token()
            now = utc_now()
            expires = now + timedelta(hours=hours or self.session_hours)
            connection.execute(sa.delete(t.sessions).where(t.sessions.c.expires_at < now))
            connection.execute(
                sa.insert(t.sessions).values(
                    token_hash=auth.token_digest(token),
                    account_id=row.id,
                    created_at=now,
                    expires_at=expires,
                )
            )
        return Login(token, Account(int(row.id), row.username, row.role), expires)

    def account_for(self, token: str) -> Account | None:
        """Return the account of a live session, or None (unknown, expired or disabled)."""
        if not token:
            return None
        query = (
            sa.select(t.accounts.c.id, t.accounts.c.username, t.accounts.c.role)
            .join(t.sessions, t.sessions.c.account_id == t.accounts.c.id)
            .where(
                t.sessions.c.token_hash == auth.token_digest(token),
                t.sessions.c.expires_at > utc_now(),
                t.accounts.c.disabled.is_(False),
            )
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else Account(int(row.id), row.username, row.role)

    def logout(self, token: str) -> None:
        """End a session (no error when it has already ended)."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.delete(t.sessions).where(t.sessions.c.token_hash == auth.token_digest(token))
            )

    # ------------------------------------------------------------------ datasets
    @staticmethod
    def _visible(viewer: Account | None) -> sa.ColumnElement[bool]:
        shared = t.datasets.c.visibility == "shared"
        if viewer is None:
            return shared
        return sa.or_(shared, t.datasets.c.owner_id == viewer.id)

    def datasets(
        self, *, viewer: Account | None, include_deleted: bool = False
    ) -> list[DatasetInfo]:
        """Return the datasets ``viewer`` may see, newest first.

        Parameters
        ----------
        viewer : Account or None
            Anonymous viewers see shared datasets only.
        include_deleted : bool
            Also list removed datasets (with who removed them and when).

        Returns
        -------
        list of DatasetInfo
        """
        counts = (
            sa.select(
                t.incidents.c.dataset_id,
                sa.func.sum(sa.case((t.incidents.c.status == "active", 1), else_=0)).label("a"),
                sa.func.sum(sa.case((t.incidents.c.status == "removed", 1), else_=0)).label("r"),
            )
            .group_by(t.incidents.c.dataset_id)
            .subquery()
        )
        owner = t.accounts.alias("owner")
        query = (
            sa.select(t.datasets, counts.c.a, counts.c.r, owner.c.username.label("owner_name"))
            .outerjoin(counts, counts.c.dataset_id == t.datasets.c.id)
            .outerjoin(owner, owner.c.id == t.datasets.c.owner_id)
            .where(self._visible(viewer))
            .order_by(t.datasets.c.imported_at.desc(), t.datasets.c.id.desc())
        )
        if not include_deleted:
            query = query.where(t.datasets.c.deleted_at.is_(None))
        with self.engine.connect() as connection:
            return [self._dataset_info(row) for row in connection.execute(query).mappings()]

    @staticmethod
    def _dataset_info(row: Mapping[str, object]) -> DatasetInfo:
        return DatasetInfo(
            id=int(row["id"]),
            name=str(row["name"]),
            file_name=str(row["file_name"]),
            format=str(row["format"]),
            licence=str(row["licence"]),
            visibility=str(row["visibility"]),
            owner=str(row.get("owner_name") or ""),
            imported_by=str(row["imported_by"]),
            imported_at=row["imported_at"],
            updated_at=row["updated_at"],
            rows_read=int(row["rows_read"]),
            kept=int(row["kept"]),
            rejected=int(row["rejected"]),
            flagged=int(row["flagged"]),
            active_rows=int(row.get("a") or 0),
            removed_rows=int(row.get("r") or 0),
            report=str(row["report"]),
            actor_mapping=json.loads(str(row["actor_mapping"]) or "{}"),
            deleted_at=row["deleted_at"],
            deleted_by=str(row["deleted_by"] or ""),
        )

    def _dataset_row(self, connection: sa.Connection, dataset_id: int) -> Mapping[str, object]:
        row = (
            connection.execute(sa.select(t.datasets).where(t.datasets.c.id == dataset_id))
            .mappings()
            .first()
        )
        if row is None or row["deleted_at"] is not None:
            msg = f"dataset {dataset_id} does not exist or was removed"
            raise StoreError(msg)
        return row

    @staticmethod
    def _check_may_change(row: Mapping[str, object], actor: Account, action: str) -> None:
        if row["visibility"] == "private" and row["owner_id"] != actor.id and not actor.is_admin:
            who = actor.username
            msg = f"dataset {row['id']} is private to another account; {who} may not {action}"
            raise PermissionDenied(msg)

    def remove_dataset(self, dataset_id: int, *, actor: Account | None) -> DatasetInfo:
        """Soft-delete a dataset: its incidents leave every view, nothing is destroyed.

        Parameters
        ----------
        dataset_id : int
        actor : Account or None
            An editor (their own or a shared dataset) or an admin.

        Returns
        -------
        DatasetInfo
            The dataset as it was removed.
        """
        actor = require_writer(actor, "remove a dataset")
        with self.engine.begin() as connection:
            row = self._dataset_row(connection, dataset_id)
            self._check_may_change(row, actor, "remove it")
            connection.execute(
                sa.update(t.datasets)
                .where(t.datasets.c.id == dataset_id)
                .values(deleted_at=utc_now(), deleted_by=actor.username)
            )
            self._bump(connection, incidents=True)
        removed = [
            d for d in self.datasets(viewer=actor, include_deleted=True) if d.id == dataset_id
        ]
        return removed[0]

    # ------------------------------------------------------------------ imports
    def import_result(
        self,
        result: ImportResult,
        *,
        actor: Account | None,
        visibility: str = "shared",
        licence: str = "",
        file_name: str | None = None,
        into: int | None = None,
        timestamps: Mapping[str, int] | None = None,
    ) -> ImportOutcome:
        """Keep an import; with ``into``, update that dataset with a newer export of it.

        A re-import matches rows on the source's own id: a changed row is updated (unless the
        stored one carries a newer source timestamp), a new id is added, an id missing from the
        newer export is marked removed (kept, hidden), an id that comes back is restored. The
        same id is never stored twice in a dataset.

        Parameters
        ----------
        result : ImportResult
            From :func:`geo.importers.import_incidents`.
        actor : Account or None
            An editor or admin.
        visibility : str
            ``"shared"`` (the team sees it) or ``"private"`` (only ``actor``).
        licence : str
            The data's licence or terms of use, as the analyst states it.
        file_name : str, optional
            The file's name (``result.name`` by default).
        into : int, optional
            Id of the dataset this file is a newer export of.
        timestamps : mapping of str to int, optional
            The source's own last-modified time per incident id (ACLED's ``timestamp``).

        Returns
        -------
        ImportOutcome
        """
        actor = require_writer(actor, "import into the store")
        check_choice(visibility, VISIBILITIES, "visibility")
        if result.kept == 0:
            msg = f"{result.name}: no row was kept ({result.summary()}); nothing to store"
            raise StoreError(msg)
        ids = result.incidents["incident_id"]
        if ids.duplicated().any():
            dupes = sorted(set(ids[ids.duplicated()]))[:5]
            msg = f"{result.name}: incident ids {dupes} occur more than once; each needs its own id"
            raise StoreError(msg)
        now = utc_now()
        with self.engine.begin() as connection:
            if into is None:
                licence = licence or _stated_licence(result)
                dataset_id, name = self._new_dataset(
                    connection, result, actor, visibility, licence, file_name, now
                )
            else:
                row = self._dataset_row(connection, into)
                self._check_may_change(row, actor, "update it")
                dataset_id, name = into, str(row["name"])
                licence = licence or str(row["licence"])
                self._record_reimport(connection, row, result, actor, file_name, now)
            rows = rows_from_incidents(_with_licence(result.incidents, licence), name)
            if timestamps:
                rows["source_timestamp"] = rows["incident_id"].map(timestamps).astype("Int64")
            else:
                rows["source_timestamp"] = pd.array([pd.NA] * len(rows), dtype="Int64")
            counts = self._merge(connection, dataset_id, rows, actor, now)
            self._bump(connection, incidents=True)
        info = [d for d in self.datasets(viewer=actor) if d.id == dataset_id][0]
        return ImportOutcome(dataset=info, **counts)

    def _new_dataset(
        self,
        connection: sa.Connection,
        result: ImportResult,
        actor: Account,
        visibility: str,
        licence: str,
        file_name: str | None,
        now: datetime,
    ) -> tuple[int, str]:
        name = self._unique_name(connection, result.name)
        new_id = connection.execute(
            sa.insert(t.datasets).values(
                name=name,
                file_name=file_name or result.name,
                format=result.format,
                licence=licence,
                visibility=visibility,
                owner_id=actor.id,
                imported_by=actor.username,
                imported_at=now,
                updated_by=actor.username,
                updated_at=now,
                rows_read=result.rows_read,
                kept=result.kept,
                rejected=len(result.rejected),
                flagged=result.flagged,
                report=_report_text(result, actor, now),
                actor_mapping=json.dumps(_actor_mapping(result), ensure_ascii=False),
            )
        ).inserted_primary_key[0]
        return int(new_id), name

    @staticmethod
    def _unique_name(connection: sa.Connection, wanted: str) -> str:
        taken = set(connection.execute(sa.select(t.datasets.c.name)).scalars())
        name, number = wanted, 2
        while name in taken:
            name, number = f"{wanted} ({number})", number + 1
        return name

    @staticmethod
    def _record_reimport(
        connection: sa.Connection,
        row: Mapping[str, object],
        result: ImportResult,
        actor: Account,
        file_name: str | None,
        now: datetime,
    ) -> None:
        mapping = json.loads(str(row["actor_mapping"]) or "{}")
        mapping.update(_actor_mapping(result))
        connection.execute(
            sa.update(t.datasets)
            .where(t.datasets.c.id == row["id"])
            .values(
                file_name=file_name or result.name,
                updated_by=actor.username,
                updated_at=now,
                rows_read=result.rows_read,
                kept=result.kept,
                rejected=len(result.rejected),
                flagged=result.flagged,
                report=f"{row['report']}\n\n{_report_text(result, actor, now)}",
                actor_mapping=json.dumps(mapping, ensure_ascii=False),
            )
        )

    def _merge(
        self,
        connection: sa.Connection,
        dataset_id: int,
        rows: pd.DataFrame,
        actor: Account,
        now: datetime,
    ) -> dict[str, int]:
        """Insert, update, mark removed and restore rows of one dataset; return the counts."""
        stored = pd.read_sql_query(
            sa.select(
                t.incidents.c.pk,
                t.incidents.c.incident_id,
                t.incidents.c.content_hash,
                t.incidents.c.source_timestamp,
                t.incidents.c.status,
            ).where(t.incidents.c.dataset_id == dataset_id),
            connection,
            dtype={"source_timestamp": "Int64"},
        )
        merged = rows.merge(
            stored, on="incident_id", how="left", suffixes=("", "_stored"), indicator=True
        )
        new = merged[merged["_merge"] == "left_only"]
        known = merged[merged["_merge"] == "both"]
        stale = known["source_timestamp"].notna() & known["source_timestamp_stored"].notna()
        stale &= (known["source_timestamp"] < known["source_timestamp_stored"]).fillna(False)
        stale = stale.astype(bool)
        changed = (known["content_hash"] != known["content_hash_stored"]) & ~stale
        restored = known["status"] == "removed"
        touched = known[changed | (restored & ~stale)]
        if not new.empty:
            inserts = new[[*DATA_COLUMNS, "content_hash", "source_timestamp"]].copy()
            inserts.insert(0, "dataset_id", dataset_id)
            inserts["status"] = "active"
            inserts["version"] = 1
            inserts["created_at"] = inserts["updated_at"] = now
            inserts["created_by"] = inserts["updated_by"] = actor.username
            self._backend.bulk_insert(connection, inserts)
        updated = self._apply_updates(connection, touched, actor, now)
        gone = stored[
            (stored["status"] == "active") & ~among(stored["incident_id"], rows["incident_id"])
        ]
        self._mark_removed(connection, gone, actor, now)
        return {
            "added": len(new),
            "updated": updated,
            "unchanged": int(len(known) - len(touched) - int(stale.sum())),
            "removed": len(gone),
            "restored": int((restored & ~stale).sum()),
            "stale": int(stale.sum()),
        }

    def _apply_updates(
        self, connection: sa.Connection, touched: pd.DataFrame, actor: Account, now: datetime
    ) -> int:
        """Update changed rows field by field, keeping every old value in the history."""
        if touched.empty:
            return 0
        updated = 0
        for start in range(0, len(touched), UPDATE_BATCH):
            batch = touched.iloc[start : start + UPDATE_BATCH]
            old = self._stored_rows(connection, batch["pk"])
            for record in batch.to_dict("records"):
                pk = int(record["pk"])
                before = old.get(pk, {})
                changes = {
                    column: [display_value(before.get(column)), display_value(record[column])]
                    for column in DATA_COLUMNS
                    if column != "dataset"
                    and display_value(before.get(column)) != display_value(record[column])
                }
                was_removed = record["status"] == "removed"
                if was_removed:
                    changes["status"] = ["removed", "active"]
                values = {column: _db_value(record[column]) for column in DATA_COLUMNS}
                connection.execute(
                    sa.update(t.incidents)
                    .where(t.incidents.c.pk == pk)
                    .values(
                        **values,
                        content_hash=record["content_hash"],
                        source_timestamp=_db_value(record["source_timestamp"]),
                        status="active",
                        version=t.incidents.c.version + 1,
                        updated_at=now,
                        updated_by=actor.username,
                    )
                )
                if changes:
                    action = "restore" if was_removed else "update"
                    self._history(
                        connection, pk, record["incident_id"], actor, now, action, changes
                    )
                    updated += not was_removed
        return updated

    def _stored_rows(self, connection: sa.Connection, pks: pd.Series) -> dict[int, dict]:
        query = sa.select(t.incidents).where(t.incidents.c.pk.in_([int(p) for p in pks]))
        return {int(row["pk"]): dict(row) for row in connection.execute(query).mappings()}

    def _mark_removed(
        self, connection: sa.Connection, gone: pd.DataFrame, actor: Account, now: datetime
    ) -> None:
        for pk, incident_id in zip(gone["pk"], gone["incident_id"], strict=True):
            connection.execute(
                sa.update(t.incidents)
                .where(t.incidents.c.pk == int(pk))
                .values(
                    status="removed",
                    version=t.incidents.c.version + 1,
                    updated_at=now,
                    updated_by=actor.username,
                )
            )
            changes = {"status": ["active", "removed (not in the newer export)"]}
            self._history(connection, int(pk), incident_id, actor, now, "remove", changes)

    @staticmethod
    def _history(
        connection: sa.Connection,
        pk: int,
        incident_id: str,
        actor: Account,
        now: datetime,
        action: str,
        changes: Mapping[str, Sequence[str]],
    ) -> None:
        connection.execute(
            sa.insert(t.incident_history).values(
                incident_pk=pk,
                incident_id=incident_id,
                changed_at=now,
                changed_by=actor.username,
                action=action,
                changes=json.dumps(changes, ensure_ascii=False),
            )
        )

    # ------------------------------------------------------------------ reading
    def _incident_query(self, viewer: Account | None) -> sa.Select:
        columns = [t.incidents.c[name] for name in DATA_COLUMNS]
        if getattr(self._backend, "text_times", False):
            columns = [
                sa.type_coerce(column, sa.String).label(column.name)
                if column.name in ("start", "end")
                else column
                for column in columns
            ]
        return (
            sa.select(*columns)
            .join(t.datasets, t.datasets.c.id == t.incidents.c.dataset_id)
            .where(
                t.incidents.c.status == "active",
                t.datasets.c.deleted_at.is_(None),
                self._visible(viewer),
            )
            .order_by(t.incidents.c.pk)
        )

    def _read(self, query: sa.Select) -> pd.DataFrame:
        frame = self._backend.read_frame(self.engine, query)
        for column in ("start", "end"):
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
        return frame

    def incidents(
        self,
        *,
        viewer: Account | None,
        flt: IncidentFilter | None = None,
        registry: GroupRegistry | None = None,
    ) -> gpd.GeoDataFrame:
        """Return the active incidents of every dataset ``viewer`` may see.

        Parameters
        ----------
        viewer : Account or None
        flt : IncidentFilter, optional
            Applied in the database where the back end can (PostGIS: time, groups, event
            types, provinces, deaths, box, datasets) and in memory for the rest. Distance to the
            railway needs the bundled layers and is left to the caller.
        registry : GroupRegistry, optional
            To expand groups to their affiliates.

        Returns
        -------
        geopandas.GeoDataFrame
            The incident schema plus ``flags``.
        """
        query = self._incident_query(viewer)
        if flt is not None:
            conditions = self._backend.prefilter(flt, registry)
            if conditions:
                query = query.where(*conditions)
        frame = incidents_from_rows(self._read(query))
        if flt is None:
            return frame
        if registry is None and flt.groups and flt.include_affiliates:
            flt = dataclasses.replace(flt, include_affiliates=False)
        residual = dataclasses.replace(flt, rail_km=None)
        return residual.apply(frame, registry).reset_index(drop=True)

    def figures(self, *, viewer: Account | None) -> pd.DataFrame:
        """Return every reported figure of the curated incidents ``viewer`` may see."""
        query = (
            sa.select(t.incidents.c.incident_id, t.incidents.c.figures)
            .join(t.datasets, t.datasets.c.id == t.incidents.c.dataset_id)
            .where(
                t.incidents.c.status == "active",
                t.incidents.c.figures != "[]",
                t.datasets.c.deleted_at.is_(None),
                self._visible(viewer),
            )
        )
        with self.engine.connect() as connection:
            rows = pd.DataFrame(connection.execute(query).all(), columns=["incident_id", "figures"])
        return figures_table(rows)

    # ------------------------------------------------------------------ curated incidents
    def _curated_dataset(self, connection: sa.Connection, actor: Account, now: datetime) -> int:
        found = connection.execute(
            sa.select(t.datasets.c.id).where(
                t.datasets.c.format == CURATED_FORMAT, t.datasets.c.deleted_at.is_(None)
            )
        ).scalar()
        if found is not None:
            return int(found)
        return int(
            connection.execute(
                sa.insert(t.datasets).values(
                    name=CURATED_NAME,
                    file_name="(entered in the dashboard)",
                    format=CURATED_FORMAT,
                    licence="the team's own research; each incident cites its sources",
                    visibility="shared",
                    owner_id=None,
                    imported_by=actor.username,
                    imported_at=now,
                    updated_by=actor.username,
                    updated_at=now,
                    rows_read=0,
                    kept=0,
                    rejected=0,
                    flagged=0,
                    report="Incidents added and corrected by the team in the dashboard.",
                    actor_mapping="{}",
                )
            ).inserted_primary_key[0]
        )

    def add_incident(
        self,
        record: Mapping[str, object],
        *,
        actor: Account | None,
        registry: GroupRegistry | None = None,
    ) -> str:
        """Add an incident the team sourced itself; returns its new id (``TEAM-...``).

        Parameters
        ----------
        record : mapping
            See :func:`geo.store.records.curated_incident`.
        actor : Account or None
            An editor or admin.
        registry : GroupRegistry, optional
            Groups must be registry names when given.

        Returns
        -------
        str
        """
        actor = require_writer(actor, "add an incident")
        now = utc_now()
        incident_id = f"TEAM-{now:%Y%m%d}-{secrets.token_hex(3).upper()}"
        incident = curated_incident(
            record, incident_id=incident_id, dataset_name=CURATED_NAME, registry=registry
        )
        rows = rows_from_incidents(incident, CURATED_NAME)
        with self.engine.begin() as connection:
            dataset_id = self._curated_dataset(connection, actor, now)
            values = {column: _db_value(rows.iloc[0][column]) for column in DATA_COLUMNS}
            pk = connection.execute(
                sa.insert(t.incidents).values(
                    dataset_id=dataset_id,
                    status="active",
                    source_timestamp=None,
                    content_hash=rows.iloc[0]["content_hash"],
                    version=1,
                    created_at=now,
                    created_by=actor.username,
                    updated_at=now,
                    updated_by=actor.username,
                    **values,
                )
            ).inserted_primary_key[0]
            changes = {
                column: ["", display_value(values[column])]
                for column in DATA_COLUMNS
                if column not in ("incident_id", "dataset") and display_value(values[column])
            }
            self._history(connection, int(pk), incident_id, actor, now, "create", changes)
            self._bump(connection, incidents=True)
        return incident_id

    def _active_row(self, connection: sa.Connection, incident_id: str) -> Mapping[str, object]:
        rows = (
            connection.execute(
                sa.select(t.incidents, t.datasets.c.name.label("dataset_name"))
                .join(t.datasets, t.datasets.c.id == t.incidents.c.dataset_id)
                .where(
                    t.incidents.c.incident_id == incident_id,
                    t.incidents.c.status == "active",
                    t.datasets.c.deleted_at.is_(None),
                )
            )
            .mappings()
            .all()
        )
        if not rows:
            msg = f"no incident {incident_id!r} in the store"
            raise StoreError(msg)
        if len(rows) > 1:
            names = ", ".join(str(row["dataset_name"]) for row in rows)
            msg = f"incident id {incident_id!r} is in several datasets ({names}); remove one first"
            raise StoreError(msg)
        return rows[0]

    def incident_record(self, incident_id: str) -> dict[str, object]:
        """Return a stored incident as an editable record (see :data:`EDITABLE`)."""
        with self.engine.connect() as connection:
            return record_from_row(self._active_row(connection, incident_id))

    def edit_incident(
        self,
        incident_id: str,
        changes: Mapping[str, object],
        *,
        actor: Account | None,
        registry: GroupRegistry | None = None,
    ) -> list[HistoryEntry]:
        """Correct an incident; the old value of every changed field is kept in its history.

        Parameters
        ----------
        incident_id : str
        changes : mapping
            Fields from :data:`geo.store.records.EDITABLE` and their new values.
        actor : Account or None
            An editor or admin.
        registry : GroupRegistry, optional

        Returns
        -------
        list of HistoryEntry
            The entries this edit added (empty when nothing changed).
        """
        actor = require_writer(actor, "edit an incident")
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            msg = f"cannot edit {sorted(unknown)}; editable fields: {', '.join(EDITABLE)}"
            raise StoreError(msg)
        now = utc_now()
        with self.engine.begin() as connection:
            row = self._active_row(connection, incident_id)
            dataset_row = self._dataset_row(connection, int(row["dataset_id"]))
            self._check_may_change(dataset_row, actor, "edit its incidents")
            record = {**record_from_row(row), **changes}
            record.pop("incident_id")
            check_registry = registry if "groups" in changes else None
            incident = curated_incident(
                record,
                incident_id=incident_id,
                dataset_name=str(row["dataset"]),
                registry=check_registry,
            )
            if not changes.get("figures") and "figures" not in changes and row["figures"] == "[]":
                incident = _keep_imported_figures(incident, row)
            incident["flags"] = row["flags"]
            new = rows_from_incidents(incident, str(row["dataset"])).iloc[0]
            diff = {
                column: [display_value(row[column]), display_value(new[column])]
                for column in DATA_COLUMNS
                if display_value(row[column]) != display_value(new[column])
            }
            if not diff:
                return []
            connection.execute(
                sa.update(t.incidents)
                .where(t.incidents.c.pk == row["pk"])
                .values(
                    **{column: _db_value(new[column]) for column in diff},
                    content_hash=new["content_hash"],
                    version=t.incidents.c.version + 1,
                    updated_at=now,
                    updated_by=actor.username,
                )
            )
            self._history(connection, int(row["pk"]), incident_id, actor, now, "edit", diff)
            self._bump(connection, incidents=True)
        return [
            HistoryEntry(incident_id, now, actor.username, "edit", column, old, new_value)
            for column, (old, new_value) in diff.items()
        ]

    def history(self, incident_id: str) -> list[HistoryEntry]:
        """Return every change to an incident, oldest first, starting with its import.

        Parameters
        ----------
        incident_id : str

        Returns
        -------
        list of HistoryEntry
        """
        with self.engine.connect() as connection:
            origin = connection.execute(
                sa.select(
                    t.incidents.c.created_at,
                    t.incidents.c.created_by,
                    t.datasets.c.name,
                    t.datasets.c.format,
                )
                .join(t.datasets, t.datasets.c.id == t.incidents.c.dataset_id)
                .where(t.incidents.c.incident_id == incident_id)
                .order_by(t.incidents.c.pk)
            ).all()
            rows = connection.execute(
                sa.select(t.incident_history)
                .where(t.incident_history.c.incident_id == incident_id)
                .order_by(t.incident_history.c.id)
            ).mappings()
            entries = [
                HistoryEntry(
                    incident_id, created_at, by, "import", "dataset", "", f"{name} ({fmt})"
                )
                for created_at, by, name, fmt in origin
                if fmt != CURATED_FORMAT
            ]
            for row in rows:
                for column, (old, new) in json.loads(row["changes"]).items():
                    entries.append(
                        HistoryEntry(
                            incident_id,
                            row["changed_at"],
                            row["changed_by"],
                            row["action"],
                            column,
                            old,
                            new,
                        )
                    )
        return entries

    # ------------------------------------------------------------------ decisions, aliases
    def record_match_decision(
        self,
        incident_a: str,
        incident_b: str,
        decision: str,
        *,
        actor: Account | None,
        note: str = "",
    ) -> None:
        """Keep an analyst's decision on a pair (the latest decision per pair counts)."""
        actor = require_writer(actor, "record a match decision")
        check_choice(decision, MATCH_DECISIONS, "decision")
        if incident_a == incident_b:
            msg = f"a match decision needs two different incidents, got {incident_a!r} twice"
            raise StoreError(msg)
        first, second = sorted((incident_a, incident_b))
        with self.engine.begin() as connection:
            connection.execute(
                sa.insert(t.match_decisions).values(
                    incident_a=first,
                    incident_b=second,
                    decision=decision,
                    note=note,
                    decided_by=actor.username,
                    decided_at=utc_now(),
                )
            )
            self._bump(connection)

    def match_decisions(self) -> pd.DataFrame:
        """Return every decision: the pair, ``decision``, ``note``, who decided and when."""
        query = sa.select(
            t.match_decisions.c.incident_a,
            t.match_decisions.c.incident_b,
            t.match_decisions.c.decision,
            t.match_decisions.c.note,
            t.match_decisions.c.decided_by,
            t.match_decisions.c.decided_at,
        ).order_by(t.match_decisions.c.id)
        with self.engine.connect() as connection:
            return pd.read_sql_query(query, connection)

    def add_group_alias(
        self,
        alias: str,
        group: str,
        *,
        actor: Account | None,
        registry: GroupRegistry | None = None,
    ) -> None:
        """Add a spelling of a registry group (``registry`` checks that the group exists)."""
        actor = require_writer(actor, "add a group alias")
        alias = " ".join(alias.split())
        if not alias:
            msg = "the alias is empty"
            raise StoreError(msg)
        if registry is not None and group not in set(registry.names):
            msg = f"group {group!r} is not in the registry"
            raise StoreError(msg)
        with self.engine.begin() as connection:
            key = alias.casefold()
            existing = connection.execute(
                sa.select(t.group_aliases.c.group_name).where(t.group_aliases.c.alias_key == key)
            ).scalar()
            if existing is not None:
                msg = f"alias {alias!r} already names {existing!r}"
                raise StoreError(msg)
            connection.execute(
                sa.insert(t.group_aliases).values(
                    alias=alias,
                    alias_key=key,
                    group_name=group,
                    added_by=actor.username,
                    added_at=utc_now(),
                )
            )
            self._bump(connection)

    def group_aliases(self) -> pd.DataFrame:
        """Return the aliases analysts added (``alias``, ``group``, ``added_by``, ``added_at``)."""
        query = sa.select(
            t.group_aliases.c.alias,
            t.group_aliases.c.group_name.label("group"),
            t.group_aliases.c.added_by,
            t.group_aliases.c.added_at,
        ).order_by(t.group_aliases.c.id)
        with self.engine.connect() as connection:
            return pd.read_sql_query(query, connection)


_COUNTS = t.COUNT_COLUMNS


def _db_value(value: object) -> object:
    """Return a value the driver accepts (NA to None, numpy scalars to Python)."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def _keep_imported_figures(
    incident: gpd.GeoDataFrame, row: Mapping[str, object]
) -> gpd.GeoDataFrame:
    """Keep an imported incident's own counts and note when an edit gives no figures."""
    for column in (*_COUNTS, "figures_note"):
        value = row[column]
        incident[column] = pd.array([value], dtype="Int64") if column in _COUNTS else [value]
    return incident


def _actor_mapping(result: ImportResult) -> dict[str, str]:
    """Return how the file's actors were read: each distinct ``group_detail`` -> ``groups``."""
    incidents = result.incidents
    if "group_detail" not in incidents:
        return {}
    pairs = incidents[["group_detail", "groups"]].drop_duplicates()
    return {
        str(detail): str(groups)
        for detail, groups in zip(pairs["group_detail"], pairs["groups"], strict=True)
        if str(detail).strip()
    }


def _stated_licence(result: ImportResult) -> str:
    """Return the licence(s) the importer found on the rows, joined by ``"; "``."""
    if "licence" not in result.incidents:
        return ""
    return "; ".join(str(v) for v in result.incidents["licence"].unique() if str(v).strip())


def _with_licence(incidents: gpd.GeoDataFrame, licence: str) -> gpd.GeoDataFrame:
    """Give rows without a licence of their own the dataset's licence."""
    if not licence or "licence" not in incidents:
        return incidents
    out = incidents.copy()
    out.loc[out["licence"].astype(str).str.strip() == "", "licence"] = licence
    return out


def _report_text(result: ImportResult, actor: Account, now: datetime) -> str:
    return f"Imported by {actor.username} at {now:%Y-%m-%d %H:%M} UTC\n{result.report()}"


__all__ = ["Backend", "SqlStore", "migrate", "row_hashes", "utc_now"]
