"""The initial ledger schema: db/models.py as it stood when migrations began.

A frozen copy, never to be edited: later schema changes are new revisions.
A ledger created by ``create_all`` before migrations existed has exactly this
schema and is stamped with this revision on first open.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fx_rates',
    sa.Column('pair', sa.String(length=6), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rate', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('pair', 'day')
    )
    op.create_table('instruments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('multiplier', sa.Float(), nullable=False),
    sa.Column('asset_class', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('symbol')
    )
    op.create_table('portfolios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('base_currency', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('prices',
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('close', sa.Float(), nullable=False),
    sa.Column('open', sa.Float(), nullable=True),
    sa.Column('contract_price', sa.Float(), nullable=True),
    sa.Column('carry_price', sa.Float(), nullable=True),
    sa.Column('contract', sa.Integer(), nullable=True),
    sa.Column('carry_contract', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], ),
    sa.PrimaryKeyConstraint('instrument_id', 'day')
    )
    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portfolio_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('config_hash', sa.String(length=64), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['portfolio_id'], ['portfolios.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_runs_portfolio_id', 'runs', ['portfolio_id'], unique=False)

    op.create_table('diagnostics',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('tracking_error', sa.Float(), nullable=False),
    sa.Column('adjustment_factor', sa.Float(), nullable=False),
    sa.Column('path', sa.String(length=40), nullable=False),
    sa.Column('passes', sa.Integer(), nullable=False),
    sa.Column('optimiser_seconds', sa.Float(), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('rebalanced', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('run_id', 'day')
    )
    op.create_table('equity',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('nav', sa.Float(), nullable=False),
    sa.Column('cash', sa.Float(), nullable=False),
    sa.Column('costs', sa.Float(), nullable=False),
    sa.Column('roll_costs', sa.Float(), nullable=False),
    sa.Column('gross_pnl', sa.Float(), nullable=False),
    sa.Column('net_pnl', sa.Float(), nullable=False),
    sa.Column('gross_exposure', sa.Float(), nullable=False),
    sa.Column('traded_notional', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('run_id', 'day')
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('optimal', sa.Float(), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'day', 'instrument_id', name='uq_order_run_day_instrument')
    )
    op.create_index('ix_orders_instrument_day', 'orders', ['instrument_id', 'day'], unique=False)

    op.create_table('positions',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('price', sa.Float(), nullable=False),
    sa.Column('notional_base', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('run_id', 'day', 'instrument_id')
    )
    op.create_table('processed_days',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('run_id', 'day')
    )
    op.create_table('fills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('price', sa.Float(), nullable=False),
    sa.Column('contract_price', sa.Float(), nullable=False),
    sa.Column('commission', sa.Float(), nullable=False),
    sa.Column('slippage', sa.Float(), nullable=False),
    sa.Column('fx', sa.Float(), nullable=False),
    sa.Column('cost_base', sa.Float(), nullable=False),
    sa.Column('notional_base', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], ),
    sa.ForeignKeyConstraint(['run_id', 'decided_on', 'instrument_id'], ['orders.run_id', 'orders.day', 'orders.instrument_id'], name='fk_fill_order'),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_fills_instrument_day', 'fills', ['instrument_id', 'day'], unique=False)
    op.create_index('ix_fills_run_day', 'fills', ['run_id', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fills_run_day', table_name='fills')
    op.drop_index('ix_fills_instrument_day', table_name='fills')
    op.drop_table('fills')
    op.drop_table('processed_days')
    op.drop_table('positions')
    op.drop_index('ix_orders_instrument_day', table_name='orders')
    op.drop_table('orders')
    op.drop_table('equity')
    op.drop_table('diagnostics')
    op.drop_index('ix_runs_portfolio_id', table_name='runs')
    op.drop_table('runs')
    op.drop_table('prices')
    op.drop_table('portfolios')
    op.drop_table('instruments')
    op.drop_table('fx_rates')
