"""positions.fx: the day's FX rate of each holding, so P&L per instrument needs only the ledger.

The pattern for adding a column: ``op.add_column`` (a plain ALTER TABLE on SQLite
too, no table rebuild), backfill what the existing rows determine, and recreate
any view that should show the column.

Backfill: exact where the rows determine the rate (an instrument in the
portfolio's base currency has fx 1; a stock's notional is quantity x price x
multiplier x fx). A foreign-currency future's rate cannot be recovered and stays NULL.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db import views

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_INSTRUMENT = "(SELECT i.{col} FROM instruments i WHERE i.id = positions.instrument_id)"
_BASE = "(SELECT pf.base_currency FROM runs r JOIN portfolios pf ON pf.id = r.portfolio_id WHERE r.id = positions.run_id)"
BACKFILL = f"""
UPDATE positions SET fx = CASE
    WHEN {_INSTRUMENT.format(col="currency")} = {_BASE} THEN 1.0
    WHEN {_INSTRUMENT.format(col="kind")} = 'stock' AND quantity * price <> 0
        THEN notional_base / (quantity * price * {_INSTRUMENT.format(col="multiplier")})
    END
WHERE fx IS NULL
"""


def upgrade() -> None:
    op.add_column("positions", sa.Column("fx", sa.Float(), nullable=True))
    op.execute(BACKFILL)
    views.drop(op, "positions_view")
    views.create(op, "positions_view", views.POSITIONS_V2)


def downgrade() -> None:
    views.drop(op, "positions_view")
    # The view reads positions, and SQLite's column drop rebuilds the table: drop the view first.
    with op.batch_alter_table("positions") as batch:
        batch.drop_column("fx")
    views.create(op, "positions_view", views.POSITIONS_V1)
