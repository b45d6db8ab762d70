"""The CBP connector: the platform's HTTP API (FastAPI)."""
