"""settlement: one row per version of the settlement of an activation

Revision ID: 0005_settlement
Revises: 0004_market
Create Date: 2026-11-22 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_settlement"
down_revision: str | None = "0004_market"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlements",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("activation_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("bsp_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("settlement_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("answer_window_s", sa.Integer(), nullable=False),
        sa.Column("answer_deadline", sa.BigInteger(), nullable=True),
        sa.Column("dispute_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column(
            "dispute_reason_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True
        ),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("operation_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("transaction_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["activation_id"], ["market_activations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("activation_id", "version", name="uq_settlements_version"),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlements_activation_id"), ["activation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_settlements_bsp_id"), ["bsp_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_settlements_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlements_status"))
        batch_op.drop_index(batch_op.f("ix_settlements_bsp_id"))
        batch_op.drop_index(batch_op.f("ix_settlements_activation_id"))
    op.drop_table("settlements")
