"""Alembic environment: the URL comes from the caller (ledger.schema.migrate), never from
a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from ledger.core.db import (
    delivery_models,  # noqa: F401  (registers the tables on SQLModel.metadata)
    models,  # noqa: F401  (registers the tables on SQLModel.metadata)
)
from ledger.core.db.engine import engine_for
from ledger.indexer import tables as index_models  # noqa: F401  (registers the tables on SQLModel.metadata)
from ledger.market import tables as market_models  # noqa: F401  (registers the tables on SQLModel.metadata)
from ledger.p2p import tables as p2p_models  # noqa: F401  (registers the tables on SQLModel.metadata)
from ledger.settlement import tables as settlement_models  # noqa: F401  (registers the tables on SQLModel.metadata)
from ledger.uftp import tables as uftp_models  # noqa: F401  (registers the tables on SQLModel.metadata)

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
