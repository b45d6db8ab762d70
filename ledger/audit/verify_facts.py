"""Chain facts the database records beside the registry's state: status history, operations,
organisations' roles, and the index itself."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from eth_utils import to_checksum_address
from sqlmodel import Session, col, select

from ledger.audit.accounts import OrganisationAccounts
from ledger.audit.mismatch import Mismatch
from ledger.audit.reads import read_many, receipts
from ledger.audit.render import status_label
from ledger.core.chain.client import ChainClient
from ledger.core.db.models import Operation, Organisation
from ledger.core.domain.enums import Role
from ledger.core.ids import chain_key
from ledger.indexer.fetch import headers
from ledger.indexer.tables import ChainEvent, IndexedBlock, IndexerCursor
from ledger.registry.reviews import detail_hash
from ledger.registry.tables import Pod, StatusChange, Uvam

STATUS_EVENTS = {"PodStatusChanged": ("pod", "podId"), "UvamStatusChanged": ("uvam", "uvamId")}
#: The decisions whose detail a row keeps: status reached -> column (the detail's one key).
DECISION_COLUMNS = {
    "PodStatusChanged": {"Validated": "constraints", "Rejected": "reasons"},
    "UvamStatusChanged": {"Rejected": "reasons"},
}
IN_CHUNK = 500


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _record_keys(session: Session) -> dict[str, dict[str, str]]:
    return {
        "pod": dict(session.exec(select(Pod.id, Pod.chain_key)).all()),
        "uvam": dict(session.exec(select(Uvam.id, Uvam.chain_key)).all()),
    }


def _status_events(session: Session, chain_id: int, tx_hashes: list[str]) -> list[ChainEvent]:
    events: list[ChainEvent] = []
    for chunk in _chunks(tx_hashes):
        events += session.exec(
            select(ChainEvent).where(
                ChainEvent.chain_id == chain_id,
                col(ChainEvent.name).in_(STATUS_EVENTS),
                col(ChainEvent.transaction_hash).in_(chunk),
            )
        ).all()
    return events


def check_status_changes(session: Session, chain_id: int) -> list[Mismatch]:
    """Each status change row names an indexed event that made exactly that change."""
    found: list[Mismatch] = []
    keys = _record_keys(session)
    changes = session.exec(select(StatusChange).order_by(col(StatusChange.id))).all()
    tx_hashes = sorted({change.transaction_hash.lower() for change in changes})
    by_tx_and_key: dict[tuple[str, str], list[ChainEvent]] = defaultdict(list)
    for event in _status_events(session, chain_id, tx_hashes):
        _, arg = STATUS_EVENTS[event.name]
        by_tx_and_key[(event.transaction_hash.lower(), event.args[arg])].append(event)
    for change in changes:
        row_id = str(change.id)
        kind = change.resource_kind
        key = keys.get(kind, {}).get(change.resource_id) or chain_key(kind, change.resource_id)
        events = by_tx_and_key.get((change.transaction_hash.lower(), key), [])
        moves = [
            (status_label(e.name, e.args["from"]), status_label(e.name, e.args["to"]), e)
            for e in events
        ]
        match = next((m for m in moves if m[:2] == (change.from_status, change.to_status)), None)
        if match is None:
            chain_value = ", ".join(f"{a}->{b}" for a, b, _ in moves) or None
            found.append(
                Mismatch(
                    "status_changes",
                    row_id,
                    "to_status",
                    f"{change.from_status}->{change.to_status}",
                    chain_value,
                    f"status change of {kind} {change.resource_id} in {change.transaction_hash}",
                )
            )
        elif match[1] == "Rejected" and _detail(change.reasons) != _detail_on_chain(match[2]):
            found.append(
                Mismatch(
                    "status_changes",
                    row_id,
                    "reasons",
                    _detail(change.reasons),
                    _detail_on_chain(match[2]),
                    "hash of the stored reasons; the chain holds the decision's hash",
                )
            )
        elif match[2].block_number != change.block_number:
            found.append(
                Mismatch(
                    "status_changes",
                    row_id,
                    "block_number",
                    str(change.block_number),
                    str(match[2].block_number),
                )
            )
    return found


def _detail(reasons: list[str] | None) -> str | None:
    return None if reasons is None else detail_hash({"reasons": reasons})


def _detail_on_chain(event: ChainEvent) -> str | None:
    value = str(event.args["detailHash"])
    return None if int(value, 16) == 0 else value


def check_decisions(session: Session, chain_id: int) -> list[Mismatch]:
    """A POD's constraints and a POD's or UVAM's reasons are the detail whose hash the latest
    decision reaching that status carried on chain (``detailHash`` of its status event)."""
    found: list[Mismatch] = []
    rows: dict[str, Sequence[Pod | Uvam]] = {
        "PodStatusChanged": session.exec(select(Pod).order_by(col(Pod.id))).all(),
        "UvamStatusChanged": session.exec(select(Uvam).order_by(col(Uvam.id))).all(),
    }
    for event_name, columns in DECISION_COLUMNS.items():
        latest: dict[tuple[str, str], str | None] = {}
        events = session.exec(
            select(ChainEvent)
            .where(ChainEvent.chain_id == chain_id, ChainEvent.name == event_name)
            .order_by(col(ChainEvent.block_number), col(ChainEvent.log_index))
        ).all()
        _, key_arg = STATUS_EVENTS[event_name]
        for event in events:
            status = status_label(event.name, event.args["to"])
            latest[(event.args[key_arg], status)] = _detail_on_chain(event)
        for row in rows[event_name]:
            for status, column in columns.items():
                value = getattr(row, column)
                stored = None if value is None else detail_hash({column: value})
                committed = latest.get((row.chain_key, status))
                if stored != committed:
                    found.append(
                        Mismatch(
                            "pods" if isinstance(row, Pod) else "uvams",
                            row.id,
                            column,
                            stored,
                            committed,
                            f"hash of the stored {column}; the chain holds the hash the latest"
                            f" decision to {status} carried",
                        )
                    )
    return found


def check_operations(session: Session, chain: ChainClient) -> list[Mismatch]:
    """Succeeded operations' transactions are mined, succeeded, and sent by the organisation."""
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    operations = session.exec(
        select(Operation).where(Operation.status == "succeeded").order_by(col(Operation.id))
    ).all()
    hashes = [h for operation in operations for h in operation.transaction_hashes or []]
    mined = receipts(chain, hashes)
    for operation in operations:
        blocks = []
        for tx_hash in operation.transaction_hashes or []:
            receipt: dict[str, Any] | None = mined[tx_hash]
            if receipt is None:
                found.append(
                    Mismatch(
                        "operations",
                        operation.id,
                        "transaction_hashes",
                        tx_hash,
                        None,
                        "the chain holds no such transaction",
                    )
                )
                continue
            blocks.append(int(receipt["blockNumber"], 16))
            if receipt["status"] != "0x1":
                found.append(
                    Mismatch(
                        "operations", operation.id, "status", operation.status, "reverted", tx_hash
                    )
                )
            sender = to_checksum_address(receipt["from"])
            expected = accounts.expected(operation.organisation_id, sender)
            if expected != sender:
                found.append(
                    Mismatch(
                        "operations",
                        operation.id,
                        "organisation_id",
                        expected,
                        sender,
                        tx_hash,
                    )
                )
        if blocks and operation.block_number != max(blocks):
            found.append(
                Mismatch(
                    "operations",
                    operation.id,
                    "block_number",
                    str(operation.block_number),
                    str(max(blocks)),
                )
            )
    return found


def check_organisations(session: Session, chain: ChainClient) -> list[Mismatch]:
    """Each organisation's account holds its role and EIC in the roles contract (none while the
    organisation is suspended)."""
    found: list[Mismatch] = []
    organisations = session.exec(select(Organisation).order_by(col(Organisation.id))).all()
    members = read_many(chain, "CbpRoles", "memberOf", [(o.address,) for o in organisations])
    role_names = {role.chain_role_id: role.value for role in Role}
    for organisation, (role_id, eic) in zip(organisations, members, strict=True):
        held = role_names.get(role_id, None if not any(role_id) else "0x" + role_id.hex())
        expected = None if organisation.suspended_at is not None else organisation.role
        if expected != held:
            found.append(Mismatch("organisations", organisation.id, "role", expected, held))
        on_chain = eic.rstrip(b"\x00").decode("ascii", errors="replace") or None
        if held is not None and organisation.eic != on_chain:
            found.append(
                Mismatch("organisations", organisation.id, "eic", organisation.eic, on_chain)
            )
    return found


def check_index(session: Session, chain: ChainClient) -> list[Mismatch]:
    """The block the indexer's cursor rests on is still the chain's block at that height."""
    cursor = session.get(IndexerCursor, chain.chain_id)
    if cursor is None:
        return []
    block = session.get(IndexedBlock, (chain.chain_id, cursor.last_block))
    if block is None:
        return []
    header = headers(chain, [block.number])[block.number]
    chain_hash = None if header is None else header.hash
    if chain_hash == block.hash:
        return []
    row_id = f"{block.chain_id}:{block.number}"
    return [
        Mismatch("indexed_blocks", row_id, "hash", block.hash, chain_hash, "run `cbp audit index`")
    ]
