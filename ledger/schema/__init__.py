"""The database schema: the Alembic migrations over every capability's tables (one database,
one history), and the helpers that run them."""
