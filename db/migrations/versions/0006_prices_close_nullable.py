"""A price-cache row may have no close: a day when the held contract changed but no price was printed.

pysystemtrade's files have such days (SOYOIL on 2003-10-06: PRICE blank, PRICE_CONTRACT
20040100). Reading the files, the roll is seen that day; an import that dropped the row
made a replay from the cache see it a day later, so the two paths gave different ledgers.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prices") as batch:
        batch.alter_column("close", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM prices WHERE close IS NULL")
    with op.batch_alter_table("prices") as batch:
        batch.alter_column("close", existing_type=sa.Float(), nullable=False)
