"""settlement terms from the product and the need, frozen at award (issue 14)

Revision ID: 0012_settlement_products
Revises: 0008_settlement_terms
Create Date: 2026-12-06 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_settlement_products"
down_revision: str | None = "0009_market_fixes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("market_needs") as batch:
        batch.add_column(sa.Column("settlement_terms", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("market_needs") as batch:
        batch.drop_column("settlement_terms")
