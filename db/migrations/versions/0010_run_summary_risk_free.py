"""The risk-free rate each recorded run's Sharpe ratio was measured against.

``run_summaries.sharpe_rf`` keeps the annual rate (its average over the run for a series),
so a sweep's table shows it beside each variant's Sharpe ratio: variants of one sweep may
differ in it. Nullable: older ledgers' summaries upgrade with nothing to backfill (their
rate is unknown, NULL).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_summaries") as batch:
        batch.add_column(sa.Column("sharpe_rf", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_summaries") as batch:
        batch.drop_column("sharpe_rf")
