"""Trade history: indexes for the per-run, per-instrument queries and the read-only views.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from db import views

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_fills_run_instrument_day": "fills",
    "ix_orders_run_instrument_day": "orders",
    "ix_positions_run_instrument_day": "positions",
}
VIEWS = {"trades_view": views.TRADES_V1, "orders_view": views.ORDERS_V1,
         "positions_view": views.POSITIONS_V1, "equity_view": views.EQUITY_V1}


def upgrade() -> None:
    # "One symbol over a date range in one run" is the query people ask most.
    for name, table in INDEXES.items():
        op.create_index(name, table, ["run_id", "instrument_id", "day"])
    for name, sql in VIEWS.items():
        views.create(op, name, sql)


def downgrade() -> None:
    for name in VIEWS:
        views.drop(op, name)
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
