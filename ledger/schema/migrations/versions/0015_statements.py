"""statements per BSP and period, BRP perimeter correction reports (issue 14)

Revision ID: 0015_statements
Revises: 0014_engine
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_statements"
down_revision: str | None = "0015_uftp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("id", _TEXT(length=36), nullable=False),
        sa.Column("chain_key", _TEXT(length=66), nullable=False),
        sa.Column("bsp_id", _TEXT(length=64), nullable=False),
        sa.Column("period_start", _TEXT(length=10), nullable=False),
        sa.Column("period_end", _TEXT(length=10), nullable=False),
        sa.Column("slot", _TEXT(length=48), nullable=False),
        sa.Column("status", _TEXT(length=16), nullable=False),
        sa.Column("document_json", sa.Text(), nullable=False),
        sa.Column("statement_hash", _TEXT(length=66), nullable=False),
        sa.Column("dispute_reason", _TEXT(length=2000), nullable=True),
        sa.Column("dispute_reason_hash", _TEXT(length=66), nullable=True),
        sa.Column("operation_id", _TEXT(length=36), nullable=True),
        sa.Column("transaction_hash", _TEXT(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bsp_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain_key"),
        sa.UniqueConstraint(
            "bsp_id", "period_start", "period_end", "slot", name="uq_statements_slot"
        ),
    )
    op.create_index("ix_statements_bsp_id", "statements", ["bsp_id"])
    op.create_index("ix_statements_status", "statements", ["status"])
    op.create_table(
        "perimeter_corrections",
        sa.Column("id", _TEXT(length=36), nullable=False),
        sa.Column("chain_key", _TEXT(length=66), nullable=False),
        sa.Column("brp", _TEXT(length=200), nullable=False),
        sa.Column("period_start", _TEXT(length=10), nullable=False),
        sa.Column("period_end", _TEXT(length=10), nullable=False),
        sa.Column("slot", _TEXT(length=48), nullable=False),
        sa.Column("status", _TEXT(length=16), nullable=False),
        sa.Column("document_json", sa.Text(), nullable=False),
        sa.Column("report_hash", _TEXT(length=66), nullable=False),
        sa.Column("operation_id", _TEXT(length=36), nullable=True),
        sa.Column("transaction_hash", _TEXT(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain_key"),
        sa.UniqueConstraint("brp", "period_start", "period_end", "slot", name="uq_corrections_slot"),
    )
    op.create_index("ix_perimeter_corrections_brp", "perimeter_corrections", ["brp"])
    op.create_index("ix_perimeter_corrections_status", "perimeter_corrections", ["status"])


def downgrade() -> None:
    op.drop_table("perimeter_corrections")
    op.drop_table("statements")
