"""Every store names itself: a random identifier made once, when the store is created.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05

The dashboard keeps an enriched copy of what it read from a store, keyed on the store's
identity and revision (``geo.store.working_set``). The revision alone does not identify the
contents: a store created again, or restored from a backup, counts its revisions anew.
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``store_state.instance`` and give this store its identifier."""
    op.add_column("store_state", sa.Column("instance", sa.String(36), nullable=True))
    store_state = sa.table("store_state", sa.column("instance", sa.String))
    op.execute(store_state.update().values(instance=str(uuid.uuid4())))


def downgrade() -> None:
    """Drop ``store_state.instance``."""
    with op.batch_alter_table("store_state") as batch:
        batch.drop_column("instance")
