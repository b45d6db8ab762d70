"""settlement terms: fixed once per activation, carried into every settlement version

Revision ID: 0008_settlement_terms
Revises: 0005_settlement
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_settlement_terms"
down_revision: str | None = "0007_tokens_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlement_terms",
        sa.Column("activation_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("terms_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["activation_id"], ["market_activations.id"]),
        sa.PrimaryKeyConstraint("activation_id"),
    )


def downgrade() -> None:
    op.drop_table("settlement_terms")
