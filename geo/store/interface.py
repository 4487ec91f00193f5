"""The store's one interface (:class:`IncidentStore`) and the records it hands out.

Both back ends (:mod:`geo.store.sqlite`, :mod:`geo.store.postgis`) implement it through
:class:`geo.store.core.SqlStore`; callers (the app, the CLI, the tests) only see this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import geopandas as gpd
import pandas as pd

from geo.filters import IncidentFilter
from geo.groups import GroupRegistry
from geo.importers import ImportResult
from geo.matching import DECISION_KINDS

ROLES = ("viewer", "editor", "admin")
VISIBILITIES = ("shared", "private")
# The matching's own decisions (geo.matching.DECISION_KINDS): confirm a proposed match, reject
# one, or join two reports by hand.
MATCH_DECISIONS = DECISION_KINDS


class StoreError(ValueError):
    """A request the store cannot carry out; the message says why and what was expected."""


class NotLoggedIn(StoreError):
    """A write without a login."""


class PermissionDenied(StoreError):
    """A write by an account whose role does not allow it."""


class StoreVersionError(StoreError):
    """A store written by a newer version of this program than the one opening it."""


@dataclass(frozen=True)
class Account:
    """Who is acting: every write is attributed to an account.

    Attributes
    ----------
    id : int
    username : str
    role : str
        One of :data:`ROLES`.
    """

    id: int
    username: str
    role: str

    @property
    def can_write(self) -> bool:
        """Editors and admins may write; viewers only read."""
        return self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        """Admins also manage accounts and may remove anyone's dataset."""
        return self.role == "admin"


@dataclass(frozen=True)
class Login:
    """A session: the token the client keeps, whose it is and when it expires (UTC)."""

    token: str
    account: Account
    expires_at: datetime


@dataclass(frozen=True)
class DatasetInfo:
    """One import kept in the store, with where it came from and what became of its rows."""

    id: int
    name: str
    file_name: str
    format: str
    licence: str
    visibility: str
    owner: str
    imported_by: str
    imported_at: datetime
    updated_at: datetime
    rows_read: int
    kept: int
    rejected: int
    flagged: int
    active_rows: int
    removed_rows: int
    report: str
    actor_mapping: dict[str, str] = field(default_factory=dict)
    deleted_at: datetime | None = None
    deleted_by: str = ""

    @property
    def label(self) -> str:
        """The name shown in the app's Datasets filter (``dataset`` column of its incidents)."""
        return self.name


@dataclass(frozen=True)
class ImportOutcome:
    """What an import into the store did, row by row, counted."""

    dataset: DatasetInfo
    added: int
    updated: int
    unchanged: int
    removed: int
    restored: int
    stale: int

    def summary(self) -> str:
        """Return one line, e.g. ``"acled.csv → dataset 3: 2 added, 1 updated, ..."``.

        Returns
        -------
        str
        """
        return (
            f"{self.dataset.file_name} → dataset {self.dataset.id} ({self.dataset.name}, "
            f"{self.dataset.visibility}): {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} marked removed, {self.restored} "
            f"restored, {self.stale} older than the stored version (kept the stored one)"
        )


@dataclass(frozen=True)
class HistoryEntry:
    """One change to one field of one incident: who, when, old -> new."""

    incident_id: str
    changed_at: datetime
    changed_by: str
    action: str
    field: str
    old: str
    new: str


class IncidentStore(Protocol):
    """A team's incidents: datasets, curated incidents with history, decisions and accounts."""

    url: str
    backend: str

    def close(self) -> None:
        """Release connections."""

    def revision(self) -> int:
        """Return a number that grows with every write (for caches)."""

    def state(self) -> tuple[str, int]:
        """Return the store's identity and revision (for caches kept across restarts)."""

    # accounts and sessions
    def create_account(
        self, username: str, password: str, role: str, *, actor: Account | None
    ) -> Account:
        """Create an account (an admin's act, or the very first account with ``actor=None``)."""

    def accounts(self) -> list[Account]:
        """Every enabled account."""

    def login(self, username: str, password: str, *, hours: float | None = None) -> Login:
        """Check a password and open a session that expires."""

    def account_for(self, token: str) -> Account | None:
        """Return the account of a live session, or None when it is unknown or expired."""

    def logout(self, token: str) -> None:
        """End a session."""

    # datasets
    def datasets(
        self, *, viewer: Account | None, include_deleted: bool = False
    ) -> list[DatasetInfo]:
        """Datasets ``viewer`` may see (shared ones and their own private ones)."""

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
        """Keep an import, or update dataset ``into`` with a newer export of it."""

    def remove_dataset(self, dataset_id: int, *, actor: Account | None) -> DatasetInfo:
        """Soft-delete a dataset: hidden everywhere, nothing destroyed."""

    # incidents
    def incidents(
        self,
        *,
        viewer: Account | None,
        flt: IncidentFilter | None = None,
        registry: GroupRegistry | None = None,
    ) -> gpd.GeoDataFrame:
        """Active incidents of the datasets ``viewer`` may see, optionally filtered."""

    def figures(self, *, viewer: Account | None) -> pd.DataFrame:
        """Return curated incidents' reported figures, laid out as ``data/incident_figures.csv``."""

    def add_incident(self, record: Mapping[str, object], *, actor: Account | None) -> str:
        """Add a curated incident; returns its id."""

    def edit_incident(
        self, incident_id: str, changes: Mapping[str, object], *, actor: Account | None
    ) -> list[HistoryEntry]:
        """Correct an incident; every changed field is kept in its history."""

    def incident_record(self, incident_id: str) -> dict[str, object]:
        """One stored incident as a dict of fields (curated ones with their figures)."""

    def history(self, incident_id: str) -> list[HistoryEntry]:
        """Every change to an incident, oldest first."""

    # decisions and registry additions
    def record_match_decision(
        self,
        incident_a: str,
        incident_b: str,
        decision: str,
        *,
        actor: Account | None,
        note: str = "",
    ) -> None:
        """Keep an analyst's decision on two incidents (``confirm``, ``reject`` or ``join``)."""

    def match_decisions(self) -> pd.DataFrame:
        """Every match decision, latest per pair last."""

    def add_group_alias(self, alias: str, group: str, *, actor: Account | None) -> None:
        """Add a spelling of a group to the registry."""

    def group_aliases(self) -> pd.DataFrame:
        """Aliases analysts added: ``alias``, ``group``, ``added_by``, ``added_at``."""


def require_writer(actor: Account | None, action: str) -> Account:
    """Return ``actor`` when it may write, else raise the error a user should see.

    Parameters
    ----------
    actor : Account or None
    action : str
        What was attempted, for the message ("import a file").

    Returns
    -------
    Account

    Raises
    ------
    NotLoggedIn
        Without an account.
    PermissionDenied
        For a viewer.
    """
    if actor is None:
        msg = f"log in to {action}: the store does not accept anonymous writes"
        raise NotLoggedIn(msg)
    if not actor.can_write:
        msg = f"{actor.username} is a {actor.role} and may not {action}; an editor or admin may"
        raise PermissionDenied(msg)
    return actor


def require_admin(actor: Account | None, action: str) -> Account:
    """Return ``actor`` when it is an admin, else raise NotLoggedIn or PermissionDenied.

    Parameters
    ----------
    actor : Account or None
    action : str

    Returns
    -------
    Account
    """
    if actor is None:
        msg = f"log in as an admin to {action}"
        raise NotLoggedIn(msg)
    if not actor.is_admin:
        msg = f"{actor.username} is a {actor.role} and may not {action}; only an admin may"
        raise PermissionDenied(msg)
    return actor


def check_choice(value: str, allowed: Sequence[str], name: str) -> str:
    """Return ``value`` when it is one of ``allowed``, else raise :class:`StoreError` naming both.

    Parameters
    ----------
    value : str
    allowed : sequence of str
    name : str

    Returns
    -------
    str
    """
    if value not in allowed:
        msg = f"{name} {value!r} is not one of {', '.join(allowed)}"
        raise StoreError(msg)
    return value
