"""Warnings stored with their run, and the paper run's daily summaries waiting to be sent.

``runs.warnings`` counts what the run warned about (instrument-days without a price)
and ``runs.warning_text`` keeps the lines the log printed, so a run read later says
what it warned about at the time. ``notifications`` holds one row per processed paper
session: written in the session's own transaction (so a summary is owed exactly
once), marked sent when a send succeeds, and kept pending with its error when it
fails, for the next run to retry. Nullable columns and a new table: older ledgers
upgrade with nothing to backfill (their runs' warnings are unknown, NULL).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("warnings", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("warning_text", sa.Text(), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    # Not a batch (copy-and-move) on SQLite: other tables' foreign keys point at runs. SQLite
    # 3.35+ drops a column in place.
    op.drop_column("runs", "warning_text")
    op.drop_column("runs", "warnings")
