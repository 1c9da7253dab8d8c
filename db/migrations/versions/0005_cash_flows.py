"""cash_flows: money in or out of the account other than by trading.

One table for both kinds of flow, so NAV reconciles from the ledger alone:
external flows (contributions, withdrawals, an endowment's spending) and income
from holdings (cash dividends, withholding tax, a split's fractional share paid
in cash). A new table only: older ledgers upgrade with nothing to backfill.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cash_flows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), sa.ForeignKey("instruments.id"), nullable=True),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fx", sa.Float(), nullable=False),
        sa.Column("amount_base", sa.Float(), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
    )
    op.create_index("ix_cash_flows_run_day", "cash_flows", ["run_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_cash_flows_run_day", table_name="cash_flows")
    op.drop_table("cash_flows")
