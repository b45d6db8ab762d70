"""Alembic environment: the URL comes from the caller (ledger.db.migrate), never from a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from ledger.db import (  # noqa: F401  (registers the tables on SQLModel.metadata)
    delivery_models,
    index_models,
    market_models,
    models,
    p2p_models,
    settlement_models,
    uftp_models,
)
from ledger.db.engine import engine_for

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "ledger.db.migrate sets sqlalchemy.url"

with engine_for(url).connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
