"""Off-chain storage: SQLModel tables, engine and session helpers, Alembic migrations."""
