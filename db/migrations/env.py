"""Alembic's environment: always handed a live connection by ``db.migrations``.

There is no alembic.ini and no URL here: the code that opens the ledger passes
its connection in ``config.attributes["connection"]``, so migrations run inside
the same (locked) transaction that checked the revision.
"""

from __future__ import annotations

from alembic import context

from db.migrations import include_object
from db.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
