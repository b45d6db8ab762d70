"""tokens and keys: API token ids, expiry and last use; suspended organisations; the operator
of a P2P EV; the close time of a P2P window

Revision ID: 0007_tokens_keys
Revises: 0005_settlement
Create Date: 2026-12-06 00:00:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_tokens_keys"
down_revision: str | None = "0006_idempotency_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
    tokens = sa.table("api_tokens", sa.column("token_sha256", sa.String), sa.column("id", sa.String))
    connection = op.get_bind()
    for (digest,) in connection.execute(sa.select(tokens.c.token_sha256)).all():
        connection.execute(
            tokens.update().where(tokens.c.token_sha256 == digest).values(id=str(uuid.uuid4()))
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False
        )
        batch_op.create_index(batch_op.f("ix_api_tokens_id"), ["id"], unique=True)

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("p2p_evs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("operator_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_p2p_evs_operator_id"), ["operator_id"], unique=False)

    with op.batch_alter_table("p2p_windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closes_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("p2p_windows", schema=None) as batch_op:
        batch_op.drop_column("closes_at")
    with op.batch_alter_table("p2p_evs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_p2p_evs_operator_id"))
        batch_op.drop_column("operator_id")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_id"))
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("id")
