"""market fixes: a need's gate closure (clearing waits for it)

Revision ID: 0009_market_fixes
Revises: 0005_settlement
Create Date: 2026-11-23 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_market_fixes"
down_revision: str | None = "0008_settlement_terms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: needs published before this revision have no recorded gate; the contract of
    # their deployment did not check one either.
    with op.batch_alter_table("market_needs") as batch:
        batch.add_column(sa.Column("gate_closes_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("market_needs") as batch:
        batch.drop_column("gate_closes_at")
