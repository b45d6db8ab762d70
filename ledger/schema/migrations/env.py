"""Alembic environment: the URL comes from the caller (ledger.schema.migrate), never from
a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

# Every capability's tables, registered on SQLModel.metadata by importing them.
from ledger.core.db import delivery_models, models  # noqa: F401
from ledger.core.db.engine import engine_for
from ledger.indexer import tables as index_tables  # noqa: F401
from ledger.market import tables as market_tables  # noqa: F401
from ledger.p2p import tables as p2p_tables  # noqa: F401
from ledger.registry import tables as registry_tables  # noqa: F401
from ledger.settlement import tables as settlement_tables  # noqa: F401
from ledger.uftp import tables as uftp_tables  # noqa: F401

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "ledger.schema.migrate sets sqlalchemy.url"

with engine_for(url).connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
