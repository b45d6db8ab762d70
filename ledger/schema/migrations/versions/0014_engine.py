"""engine: when a submitted operation's transactions were last sent; operations deferred to
their organisation's next (coalesced) transaction

Revision ID: 0014_engine
Revises: 0008_settlement_terms
Create Date: 2026-12-10 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_engine"
down_revision: str | None = "0012_settlement_products"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operations") as batch:
        batch.add_column(sa.Column("sent_block", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sent_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("deferred", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_operations_deferred", ["deferred"])


def downgrade() -> None:
    with op.batch_alter_table("operations") as batch:
        batch.drop_index("ix_operations_deferred")
        batch.drop_column("deferred")
        batch.drop_column("sent_at")
        batch.drop_column("sent_block")
