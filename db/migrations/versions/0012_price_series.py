"""Each instrument's cached prices packed as columns (``price_series``), kept exact by triggers.

A replay from the price cache read its market row by row: Jumbo's 861,000 rows took about
1 s in the sqlite3 module, longer than parsing the CSV files they were imported from.
``price_series`` holds the same values, one row per instrument (``db.price_series``), built
here from every instrument's rows. Triggers on ``prices`` delete an instrument's series when
anything changes its rows without rebuilding it (an older tradesim, a statement typed by
hand): a replay then reads that instrument's rows, as before. Downgrading drops both.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FIELDS = ("close", "open", "contract_price", "carry_price", "contract", "carry_contract")


def upgrade() -> None:
    from db import price_series

    op.create_table(
        "price_series",
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.LargeBinary(), nullable=False),
        *[sa.Column(f, sa.LargeBinary(), nullable=True) for f in FIELDS],
        sa.ForeignKeyConstraint(["instrument_id"], ["instruments.id"]),
        sa.PrimaryKeyConstraint("instrument_id"),
    )
    bind = op.get_bind()
    for statement in price_series.STALE_TRIGGERS.get(bind.dialect.name, []):
        bind.exec_driver_sql(statement)
    # The existing cache's series, from its rows (a price cache of a million rows: a few seconds, once).
    ids = [i for (i,) in bind.execute(sa.text("SELECT DISTINCT instrument_id FROM prices"))]
    price_series.refresh(bind, ids)


def downgrade() -> None:
    from db import price_series

    bind = op.get_bind()
    for statement in price_series.DROP_TRIGGERS.get(bind.dialect.name, []):
        bind.exec_driver_sql(statement)
    op.drop_table("price_series")
