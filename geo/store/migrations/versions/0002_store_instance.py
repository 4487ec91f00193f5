"""Every store names itself, and counts the writes that change its incidents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05

The dashboard keeps an enriched copy of what it read from a store (``geo.store.working_set``),
keyed on:

- ``instance``, a random identifier made once: the revision alone does not identify the
  contents, as a store created again or restored from a backup counts its revisions anew;
- ``incidents_revision``, which grows with the writes that change what the store's incidents
  are or who sees them (imports, curated incidents and edits, removed datasets), and not with
  accounts, match decisions or group spellings, so that those do not make the dashboard read
  a million incidents again.
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``store_state.instance`` and ``incidents_revision``; name this store."""
    op.add_column("store_state", sa.Column("instance", sa.String(36), nullable=True))
    op.add_column(
        "store_state",
        sa.Column("incidents_revision", sa.BigInteger, nullable=False, server_default="0"),
    )
    store_state = sa.table(
        "store_state",
        sa.column("instance", sa.String),
        sa.column("revision", sa.BigInteger),
        sa.column("incidents_revision", sa.BigInteger),
    )
    op.execute(
        store_state.update().values(
            instance=str(uuid.uuid4()), incidents_revision=store_state.c.revision
        )
    )


def downgrade() -> None:
    """Drop ``store_state.instance`` and ``incidents_revision``."""
    with op.batch_alter_table("store_state") as batch:
        batch.drop_column("incidents_revision")
        batch.drop_column("instance")
