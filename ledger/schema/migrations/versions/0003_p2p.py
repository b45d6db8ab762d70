"""P2P EV trading: EVs, charging sessions, trading windows, trades

Revision ID: 0003_p2p
Revises: 0002_indexer
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003_p2p"
down_revision: str | None = "0002_indexer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('p2p_evs',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('chain_key', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('agent_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('capacity_wh', sa.Integer(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('commitment', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chain_key')
    )
    with op.batch_alter_table('p2p_evs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_p2p_evs_agent_id'), ['agent_id'], unique=False)

    op.create_table('p2p_windows',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('chain_key', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('operator_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('price_micro_eur_per_kwh', sa.Integer(), nullable=False),
    sa.Column('buyer_threshold_bp', sa.Integer(), nullable=False),
    sa.Column('seller_threshold_bp', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('demand_wh', sa.BigInteger(), nullable=False),
    sa.Column('supply_wh', sa.BigInteger(), nullable=False),
    sa.Column('matched_wh', sa.BigInteger(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('record_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chain_key')
    )
    with op.batch_alter_table('p2p_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_p2p_windows_operator_id'), ['operator_id'], unique=False)

    op.create_table('p2p_sessions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ev_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('operator_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('charge_point_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('soc_bp', sa.Integer(), nullable=False),
    sa.Column('reported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('window_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('energy_wh', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ev_id'], ['p2p_evs.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('p2p_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_p2p_sessions_ev_id'), ['ev_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_p2p_sessions_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_p2p_sessions_window_id'), ['window_id'], unique=False)

    op.create_table('p2p_trades',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('chain_key', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('window_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('buyer_ev_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seller_ev_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('agent_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('operator_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('energy_wh', sa.Integer(), nullable=False),
    sa.Column('cost_cents', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('reason_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('created_transaction', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('settled_transaction', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['buyer_ev_id'], ['p2p_evs.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['seller_ev_id'], ['p2p_evs.id'], ),
    sa.ForeignKeyConstraint(['window_id'], ['p2p_windows.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chain_key')
    )
    with op.batch_alter_table('p2p_trades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_p2p_trades_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_p2p_trades_buyer_ev_id'), ['buyer_ev_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_p2p_trades_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_p2p_trades_seller_ev_id'), ['seller_ev_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_p2p_trades_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_p2p_trades_window_id'), ['window_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('p2p_trades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_p2p_trades_window_id'))
        batch_op.drop_index(batch_op.f('ix_p2p_trades_status'))
        batch_op.drop_index(batch_op.f('ix_p2p_trades_seller_ev_id'))
        batch_op.drop_index(batch_op.f('ix_p2p_trades_operator_id'))
        batch_op.drop_index(batch_op.f('ix_p2p_trades_buyer_ev_id'))
        batch_op.drop_index(batch_op.f('ix_p2p_trades_agent_id'))

    op.drop_table('p2p_trades')
    with op.batch_alter_table('p2p_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_p2p_sessions_window_id'))
        batch_op.drop_index(batch_op.f('ix_p2p_sessions_operator_id'))
        batch_op.drop_index(batch_op.f('ix_p2p_sessions_ev_id'))

    op.drop_table('p2p_sessions')
    with op.batch_alter_table('p2p_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_p2p_windows_operator_id'))

    op.drop_table('p2p_windows')
    with op.batch_alter_table('p2p_evs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_p2p_evs_agent_id'))

    op.drop_table('p2p_evs')
