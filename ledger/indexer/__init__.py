"""The chain event indexer: every event of the project contracts, in the database."""

from ledger.indexer.indexer import (
    IndexProgress,
    follow,
    index_once,
    rebuild,
)

__all__ = [
    "IndexProgress",
    "follow",
    "index_once",
    "rebuild",
]
