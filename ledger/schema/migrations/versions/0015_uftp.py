"""uftp: UFTP participants (domain, role, public key, endpoint, organisation) and the UFTP
messages accepted or sent

Revision ID: 0015_uftp
Revises: 0014_engine
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_uftp"
down_revision: str | None = "0014_engine"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRING = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "uftp_participants",
        sa.Column("domain", STRING(length=253), nullable=False),
        sa.Column("role", STRING(length=3), nullable=False),
        sa.Column("organisation_id", STRING(length=64), nullable=False),
        sa.Column("public_key", STRING(length=64), nullable=False),
        sa.Column("endpoint", STRING(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("domain", "role"),
    )
    op.create_index(
        "ix_uftp_participants_organisation_id", "uftp_participants", ["organisation_id"]
    )
    op.create_table(
        "uftp_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", STRING(length=3), nullable=False),
        sa.Column("message_id", STRING(length=36), nullable=False),
        sa.Column("conversation_id", STRING(length=36), nullable=False),
        sa.Column("message_type", STRING(length=40), nullable=False),
        sa.Column("participant_domain", STRING(length=253), nullable=False),
        sa.Column("reference_message_id", STRING(length=36), nullable=True),
        sa.Column("subject", STRING(length=80), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("digest", STRING(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("result", STRING(length=8), nullable=True),
        sa.Column("rejection_reason", STRING(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("direction", "message_id", name="uq_uftp_messages_id"),
    )
    for column in ("message_id", "message_type", "participant_domain", "reference_message_id"):
        op.create_index(f"ix_uftp_messages_{column}", "uftp_messages", [column])
    op.create_index("ix_uftp_messages_subject", "uftp_messages", ["subject"])


def downgrade() -> None:
    op.drop_table("uftp_messages")
    op.drop_table("uftp_participants")
