"""Sweeps: many variants of one config, each a run tagged with the sweep and its overrides.

- ``sweeps``: the sweep's id, base config, grid axes and ledger mode;
- ``runs.sweep_id`` and ``runs.overrides`` (nullable: older runs are outside any sweep),
  unique together, so a variant is recorded once however often the sweep is rerun;
- ``run_summaries``: a run's figures, written with it, for the sweep's table and heatmaps
  (with ``--ledger summary`` a sweep's runs have no orders or fills to recompute them from).

Adding the columns and the index is a plain ALTER TABLE / CREATE INDEX on SQLite too (no
table rebuild).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("axes", sa.Text(), nullable=False),
        sa.Column("ledger", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolios.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "run_summaries",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("annual_return", sa.Float(), nullable=False),
        sa.Column("annual_volatility", sa.Float(), nullable=False),
        sa.Column("sharpe", sa.Float(), nullable=False),
        sa.Column("max_drawdown", sa.Float(), nullable=False),
        sa.Column("total_costs", sa.Float(), nullable=False),
        sa.Column("annual_notional_turnover", sa.Float(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("start_nav", sa.Float(), nullable=False),
        sa.Column("end_nav", sa.Float(), nullable=False),
        sa.Column("tracking_error", sa.Float(), nullable=False),
        sa.Column("adjustment_factor", sa.Float(), nullable=True),
        sa.Column("drag", sa.Float(), nullable=True),
        sa.Column("realised_te", sa.Float(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("run_id"),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("sweep_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("overrides", sa.Text(), nullable=True))
        batch.create_index("uq_runs_sweep_overrides", ["sweep_id", "overrides"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_runs_sweep_overrides", table_name="runs")
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild of ``runs`` would trip the foreign
    # keys every ledger table holds on it.
    op.execute("ALTER TABLE runs DROP COLUMN overrides")
    op.execute("ALTER TABLE runs DROP COLUMN sweep_id")
    op.drop_table("run_summaries")
    op.drop_table("sweeps")
