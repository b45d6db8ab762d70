"""idempotency keys of retried writes; signed callbacks with their delivery attempts

Revision ID: 0006_idempotency_webhooks
Revises: 0005_settlement
Create Date: 2026-11-23 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_idempotency_webhooks"
down_revision: str | None = "0005_settlement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRING = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("organisation_id", STRING(length=64), nullable=False),
        sa.Column("key", STRING(length=255), nullable=False),
        sa.Column("fingerprint", STRING(length=64), nullable=False),
        sa.Column("method", STRING(length=8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("organisation_id", "key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_table(
        "webhook_secrets",
        sa.Column("organisation_id", STRING(length=64), nullable=False),
        sa.Column("secret", STRING(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_table(
        "webhook_messages",
        sa.Column("id", STRING(length=40), nullable=False),
        sa.Column("organisation_id", STRING(length=64), nullable=False),
        sa.Column("event_type", STRING(length=40), nullable=False),
        sa.Column("subject_kind", STRING(length=16), nullable=False),
        sa.Column("subject_id", STRING(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", STRING(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("organisation_id", "subject_id", "status", "created_at"):
        op.create_index(f"ix_webhook_messages_{column}", "webhook_messages", [column])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", STRING(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", STRING(length=300), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["webhook_messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "attempt"),
    )
    op.create_index("ix_webhook_attempts_message_id", "webhook_attempts", ["message_id"])


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_messages")
    op.drop_table("webhook_secrets")
    op.drop_table("idempotency_keys")
