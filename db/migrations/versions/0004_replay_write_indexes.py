"""Fewer indexes to write: drop the ones the run-scoped history queries never use.

A replay writes about 60 rows a day, and every index on a table is one more
B-tree insert per row (and, for an instrument-first index, one more scattered
page per instrument per day). Dropped:
- ix_orders_instrument_day, ix_fills_instrument_day: every history query is scoped
  to a run, and (run_id, instrument_id, day) from 0002 serves those;
- ix_positions_run_instrument_day: positions are keyed (run_id, day, instrument_id),
  so "one symbol over a date range in a run" is a range scan of the key (a year of
  100 instruments is 25,000 entries, a few milliseconds).
Together they took a default replay's ledger time from about 9.7 s to 6.3 s.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DROPPED = {
    "ix_orders_instrument_day": ("orders", ["instrument_id", "day"]),
    "ix_fills_instrument_day": ("fills", ["instrument_id", "day"]),
    "ix_positions_run_instrument_day": ("positions", ["run_id", "instrument_id", "day"]),
}


def upgrade() -> None:
    for name, (table, _columns) in DROPPED.items():
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, (table, columns) in DROPPED.items():
        op.create_index(name, table, columns)
