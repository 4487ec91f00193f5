"""The store's tables as SQLAlchemy Core metadata, shared by both back ends.

The schema itself is created and changed only by the versioned migrations in
``geo/store/migrations/versions``; this module describes the current head for queries. PostGIS
adds two generated columns (``geom``, ``groups_list``) and their indexes in the migration;
they are read only by :mod:`geo.store.postgis`.

Times of writes (``*_at``) are UTC without a zone; incident ``start``/``end`` follow the
incident schema (Pakistan Standard Time, naive).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

store_state = sa.Table(
    "store_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("instance", sa.String(36)),  # random, made when the store is created (0002)
    sa.Column("incidents_revision", sa.BigInteger, nullable=False),  # writes to incidents
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("licence", sa.Text, nullable=False),
    sa.Column("visibility", sa.String(16), nullable=False),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
    sa.Column("imported_by", sa.String(80), nullable=False),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(80), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("kept", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("flagged", sa.Integer, nullable=False),
    sa.Column("report", sa.Text, nullable=False),
    sa.Column("actor_mapping", sa.Text, nullable=False),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
    sa.Column("deleted_by", sa.String(80), nullable=True),
)

# The incident schema's columns as stored (one column each; ``sources`` as JSON text). Written
# out rather than taken from geo.schema: a new schema column needs a migration, and
# tests/test_store.py fails until it has one.
INCIDENT_TEXT = (
    "date_precision",
    "time_note",
    "place",
    "district",
    "province",
    "country",
    "geo_precision",
    "geo_note",
    "event_type",
    "sub_event_type",
    "attack_detail",
    "groups",
    "group_detail",
    "claimed_by",
    "target",
    "hostages",
    "summary",
    "figures_note",
    "dataset",
    "licence",
    "provenance",
)
COUNT_COLUMNS = (
    "fatalities_low",
    "fatalities_best",
    "fatalities_high",
    "injured_low",
    "injured_best",
    "injured_high",
    "deaths_reported",
)
incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("pk", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
    sa.Column("incident_id", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("source_timestamp", sa.BigInteger, nullable=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(80), nullable=False),
    sa.Column("start", sa.DateTime, nullable=False),
    sa.Column("end", sa.DateTime, nullable=False),
    *(sa.Column(name, sa.Text, nullable=False) for name in INCIDENT_TEXT),
    *(sa.Column(name, sa.Integer, nullable=True) for name in COUNT_COLUMNS),
    sa.Column("sources", sa.Text, nullable=False),
    sa.Column("flags", sa.Text, nullable=False),
    sa.Column("figures", sa.Text, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
)

incident_history = sa.Table(
    "incident_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("incident_pk", sa.BigInteger, sa.ForeignKey("incidents.pk"), nullable=False),
    sa.Column("incident_id", sa.Text, nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("changed_by", sa.String(80), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("changes", sa.Text, nullable=False),
)

match_decisions = sa.Table(
    "match_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("incident_a", sa.Text, nullable=False),
    sa.Column("incident_b", sa.Text, nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(80), nullable=False),
    sa.Column("decided_at", sa.DateTime, nullable=False),
)

group_aliases = sa.Table(
    "group_aliases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("alias", sa.Text, nullable=False),
    sa.Column("alias_key", sa.Text, nullable=False, unique=True),
    sa.Column("group_name", sa.Text, nullable=False),
    sa.Column("added_by", sa.String(80), nullable=False),
    sa.Column("added_at", sa.DateTime, nullable=False),
)
