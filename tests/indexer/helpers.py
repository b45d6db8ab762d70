"""Comparisons of the index with the chain."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from ledger.core.runtime import Runtime
from ledger.indexer.encoding import json_value
from ledger.indexer.tables import ChainEvent, ChainEventRef, IndexerCursor


def indexed(runtime: Runtime) -> list[tuple[int, int, str, str, str, dict[str, Any]]]:
    """(block, log index, block hash, tx hash, event, args) of every indexed event, in order."""
    chain_id = runtime.chain.chain_id
    with runtime.session() as session:
        rows = session.exec(
            select(ChainEvent)
            .where(ChainEvent.chain_id == chain_id)
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
        ).all()
        return [
            (e.block_number, e.log_index, e.block_hash, e.transaction_hash, e.name, e.args)
            for e in rows
        ]


def on_chain(runtime: Runtime, last: int) -> list[tuple[int, int, str, str, str, dict[str, Any]]]:
    """The same tuples read from the chain with eth_getLogs, deployment block to ``last``."""
    chain = runtime.chain
    assert chain.deployment is not None
    return [
        (e.block_number, e.log_index, e.block_hash, e.transaction_hash, e.name, json_value(e.args))
        for e in chain.get_logs(chain.deployment.deployed_block, last)
    ]


def cursor(runtime: Runtime) -> int:
    with runtime.session() as session:
        row = session.get(IndexerCursor, runtime.chain.chain_id)
        assert row is not None
        return row.last_block


def refs(runtime: Runtime) -> set[tuple[str, int, str, str]]:
    """(tx hash, log index, key, arg) of every ref of this chain's events."""
    with runtime.session() as session:
        rows = session.exec(
            select(
                ChainEvent.transaction_hash,
                ChainEvent.log_index,
                ChainEventRef.key,
                ChainEventRef.arg,
            )
            .join(ChainEventRef, ChainEventRef.event_id == ChainEvent.id)
            .where(ChainEvent.chain_id == runtime.chain.chain_id)
        ).all()
        return {tuple(row) for row in rows}  # type: ignore[misc]
