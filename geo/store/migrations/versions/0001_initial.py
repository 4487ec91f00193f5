"""The first store: accounts, sessions, datasets, incidents with history, decisions, aliases.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

Written out in full (not generated from ``geo.store.tables``) so that this revision stays what
it was when later revisions change the tables.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TEXT = (
    "date_precision time_note place district province country geo_precision geo_note "
    "event_type sub_event_type attack_detail groups group_detail claimed_by target hostages "
    "summary figures_note dataset licence provenance"
).split()
COUNTS = (
    "fatalities_low fatalities_best fatalities_high injured_low injured_best injured_high "
    "deaths_reported"
).split()


def _big_id() -> sa.types.TypeEngine:
    # SQLite only auto-numbers an INTEGER PRIMARY KEY.
    return sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    """Create every table; on PostgreSQL also the PostGIS point and the search indexes."""
    op.create_table(
        "store_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO store_state (id, revision) VALUES (1, 0)")
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "datasets",
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
    op.create_table(
        "incidents",
        sa.Column("pk", _big_id(), primary_key=True),
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
        *(sa.Column(name, sa.Text, nullable=False) for name in TEXT),
        *(sa.Column(name, sa.Integer, nullable=True) for name in COUNTS),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.UniqueConstraint("dataset_id", "incident_id", name="uq_incidents_dataset_source_id"),
    )
    op.create_index("ix_incidents_dataset_status", "incidents", ["dataset_id", "status"])
    op.create_index("ix_incidents_incident_id", "incidents", ["incident_id"])
    op.create_index("ix_incidents_start", "incidents", ["start"])
    op.create_index("ix_incidents_end", "incidents", ["end"])
    op.create_table(
        "incident_history",
        sa.Column("id", _big_id(), primary_key=True),
        sa.Column("incident_pk", sa.BigInteger, sa.ForeignKey("incidents.pk"), nullable=False),
        sa.Column("incident_id", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
    )
    op.create_index("ix_history_incident_id", "incident_history", ["incident_id"])
    op.create_table(
        "match_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_a", sa.Text, nullable=False),
        sa.Column("incident_b", sa.Text, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_match_pair", "match_decisions", ["incident_a", "incident_b"])
    op.create_table(
        "group_aliases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alias", sa.Text, nullable=False),
        sa.Column("alias_key", sa.Text, nullable=False, unique=True),
        sa.Column("group_name", sa.Text, nullable=False),
        sa.Column("added_by", sa.String(80), nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgis()


def _postgis() -> None:
    """Add the PostGIS point, the group names as an array, and their indexes."""
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(
        "ALTER TABLE incidents ADD COLUMN geom geometry(Point, 4326) "
        "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED"
    )
    op.execute(
        "ALTER TABLE incidents ADD COLUMN groups_list text[] "
        "GENERATED ALWAYS AS (regexp_split_to_array(btrim(groups), '\\s*;\\s*')) STORED"
    )
    op.execute("CREATE INDEX ix_incidents_geom ON incidents USING gist (geom)")
    op.execute("CREATE INDEX ix_incidents_groups ON incidents USING gin (groups_list)")
    op.execute("CREATE INDEX ix_incidents_province ON incidents (province)")
    op.execute("CREATE INDEX ix_incidents_event_type ON incidents (event_type)")


def downgrade() -> None:
    """Drop every table (a store is never downgraded in use; for development only)."""
    for table in (
        "group_aliases",
        "match_decisions",
        "incident_history",
        "incidents",
        "datasets",
        "sessions",
        "accounts",
        "store_state",
    ):
        op.drop_table(table)
