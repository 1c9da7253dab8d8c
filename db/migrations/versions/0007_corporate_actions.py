"""corporate_actions, price_bases, equity.price_pnl and equity.income.

Corporate actions (splits, cash dividends) beside the as-traded prices they
belong to; the price record's basis and the factor by which a rebased re-fetch
was converted onto it; the day's NAV change split into price P&L and income.
New tables and nullable columns: older ledgers upgrade with nothing to backfill.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db import views

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corporate_actions",
        sa.Column("instrument_id", sa.Integer(), sa.ForeignKey("instruments.id"), primary_key=True),
        sa.Column("ex_date", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("pay_date", sa.Date(), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
    )
    op.create_table(
        "price_bases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instrument_id", sa.Integer(), sa.ForeignKey("instruments.id"), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("checked_day", sa.Date(), nullable=True),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_price_bases_instrument_id", "price_bases", ["instrument_id"])
    op.add_column("equity", sa.Column("price_pnl", sa.Float(), nullable=True))
    op.add_column("equity", sa.Column("income", sa.Float(), nullable=True))
    views.drop(op, "equity_view")
    views.create(op, "equity_view", views.EQUITY_V2)


def downgrade() -> None:
    views.drop(op, "equity_view")  # SQLite's column drop rebuilds the table the view reads
    with op.batch_alter_table("equity") as batch:
        batch.drop_column("income")
        batch.drop_column("price_pnl")
    views.create(op, "equity_view", views.EQUITY_V1)
    op.drop_index("ix_price_bases_instrument_id", table_name="price_bases")
    op.drop_table("price_bases")
    op.drop_table("corporate_actions")
