"""``history``: every indexed event that concerns one record, in chain order.

A record is named by its database id (a UUID: the chain key is derived from it for each kind
of record, so the index answers even without the record's row) or by its ``0x`` chain key.
``raw_history`` answers the same question from the chain alone, for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col, select

from ledger.audit.render import change_text, event_label, summary, timestamp_text
from ledger.core.chain.abi import DecodedEvent
from ledger.core.chain.client import ChainClient
from ledger.core.errors import InvalidInput
from ledger.core.ids import chain_key
from ledger.indexer.fetch import batched
from ledger.indexer.tables import ChainEvent, ChainEventRef, IndexedBlock

#: Kinds of records whose chain key is ``chain_key(kind, id)``. A settlement's events name its
#: activation, so the activation id finds them.
RECORD_KINDS = (
    "pod",
    "device",
    "uvam",
    "relation",
    "attachment",
    "bid",
    "need",
    "activation",
    "p2p-ev",
    "p2p-window",
    "p2p-trade",
)
ID_CHUNK = 500


@dataclass(frozen=True)
class HistoryEntry:
    block_number: int
    timestamp: int | None
    transaction_hash: str
    log_index: int
    contract: str
    event: str
    role: str
    actor: str
    args: dict[str, Any]

    @property
    def summary(self) -> str:
        return summary(self.event, self.args, skip=self.role)

    def as_dict(self) -> dict[str, Any]:
        return {
            "blockNumber": self.block_number,
            "time": timestamp_text(self.timestamp),
            "transactionHash": self.transaction_hash,
            "logIndex": self.log_index,
            "contract": self.contract,
            "event": self.event,
            "label": event_label(self.event),
            "change": change_text(self.event, self.args),
            "as": self.role,
            "actor": self.actor,
            "summary": self.summary,
            "args": self.args,
        }


def resource_keys(resource: str) -> list[str]:
    """The chain keys a record id may stand for (one when given a chain key)."""
    text = resource.strip()
    if text.startswith("0x"):
        if len(text) != 66:
            raise InvalidInput("a chain key is 0x and 64 hex digits", field="resource")
        try:
            bytes.fromhex(text[2:])
        except ValueError:
            raise InvalidInput("a chain key is 0x and 64 hex digits", field="resource") from None
        return [text.lower()]
    if not text:
        raise InvalidInput("give a record id or chain key", field="resource")
    return [chain_key(kind, text) for kind in RECORD_KINDS]


def history(session: Session, resource: str, *, chain_id: int | None = None) -> list[HistoryEntry]:
    """Indexed events mentioning ``resource``, oldest first, with block time and actor."""
    # Two steps on purpose: given one query, SQLite walks the events in chain order (the index
    # that serves ORDER BY) and probes the refs for each, which grows with the whole chain.
    roles = dict(
        session.exec(
            select(ChainEventRef.event_id, ChainEventRef.arg).where(
                col(ChainEventRef.key).in_(resource_keys(resource))
            )
        ).all()
    )
    rows: list[tuple[ChainEvent, int | None]] = []
    event_ids = sorted(roles)
    for start in range(0, len(event_ids), ID_CHUNK):
        rows += session.exec(
            select(ChainEvent, IndexedBlock.timestamp)
            .outerjoin(
                IndexedBlock,
                and_(
                    col(IndexedBlock.chain_id) == col(ChainEvent.chain_id),
                    col(IndexedBlock.number) == col(ChainEvent.block_number),
                ),
            )
            .where(col(ChainEvent.id).in_(event_ids[start : start + ID_CHUNK]))
        ).all()
    rows.sort(key=lambda row: (row[0].chain_id, row[0].block_number, row[0].log_index))
    return [
        HistoryEntry(
            block_number=event.block_number,
            timestamp=timestamp,
            transaction_hash=event.transaction_hash,
            log_index=event.log_index,
            contract=event.contract,
            event=event.name,
            role=roles[event.id or 0],
            actor=event.actor_id or event.sender,
            args=event.args,
        )
        for event, timestamp in rows
        if chain_id is None or event.chain_id == chain_id
    ]


def raw_history(chain: ChainClient, resource: str) -> list[DecodedEvent]:
    """The same events read from the chain: ``eth_getLogs`` over the whole deployment with the
    keys in each indexed-topic position."""
    deployment = chain.deployment
    if deployment is None:
        return []
    keys = resource_keys(resource)
    base = {
        "fromBlock": hex(deployment.deployed_block),
        "toBlock": "latest",
        "address": list(deployment.addresses.values()),
    }
    filters = [{**base, "topics": [None] * position + [keys]} for position in (1, 2, 3)]
    answers = batched(chain, [("eth_getLogs", [f]) for f in filters])
    by_address = {
        address.lower(): chain.abis[name] for name, address in deployment.addresses.items()
    }
    decoded: dict[tuple[int, int], DecodedEvent] = {}
    for logs in answers:
        for log in logs:
            event = by_address[log["address"].lower()].decode_log(log)
            if event is not None:
                decoded[(event.block_number, event.log_index)] = event
    return [decoded[position] for position in sorted(decoded)]
