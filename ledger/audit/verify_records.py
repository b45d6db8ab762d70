"""Registration records against the registry's views: statuses, owners, committed hashes.

Each record's committed hash is also recomputed from the stored record and salt, so a record
edited in the database is found even when its stored hash was left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ledger.audit.accounts import OrganisationAccounts
from ledger.audit.mismatch import Mismatch, RowCheck, hex_or_none
from ledger.audit.reads import read_many
from ledger.core.chain.client import ChainClient
from ledger.core.domain.enums import PodStatus, UvamStatus
from ledger.core.ids import to_bytes32
from ledger.registry import files
from ledger.registry.tables import Attachment, FlexDevice, Membership, Pod, Uvam

REGISTRY = "ResourceRegistry"
NOT_ON_CHAIN = "the chain holds no such record"

#: Columns copied out of the hashed record so that lists can search and filter on them
#: (``GET /pods?q=`` searches the first two): each must equal the verified record's field.
POD_RECORD_COPIES = {
    "metering_point_id": "meteringPointId",
    "resource_name": "resourceName",
}
UVAM_RECORD_COPIES = {"name": "name"}
#: ``GET /attachments/{id}`` answers with the stored ``mime_type`` as the content type.
ATTACHMENT_RECORD_COPIES = {"mime_type": "mimeType", "size_bytes": "sizeBytes"}


def _views(chain: ChainClient, function: str, keys: Sequence[str]) -> list[Any]:
    return read_many(chain, REGISTRY, function, [(to_bytes32(key),) for key in keys])


def _eic(raw: bytes) -> str:
    return raw.rstrip(b"\x00").decode("ascii", errors="replace")


def check_pods(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    pods = session.exec(select(Pod).order_by(Pod.id)).all()
    for pod, view in zip(pods, _views(chain, "pod", [p.chain_key for p in pods]), strict=True):
        row = RowCheck("pods", pod.id, found)
        if view["status"] == PodStatus.NONE:
            row.expect("chain_key", pod.chain_key, None, NOT_ON_CHAIN)
            continue
        row.expect("status", pod.status, PodStatus(view["status"]).label)
        row.expect(
            "bsp_id", accounts.expected(pod.bsp_id, view["bsp"]), view["bsp"], "the BSP's address"
        )
        row.expect("dso_eic", pod.dso_eic, _eic(view["dsoEic"]))
        committed = hex_or_none(view["recordHash"])
        row.expect("record_hash", pod.record_hash.lower(), committed)
        row.recomputed("record", pod.record, pod.salt, committed)
        row.copies(pod, pod.record, POD_RECORD_COPIES)
    return found


def check_flex_devices(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    pod_keys = dict(session.exec(select(Pod.id, Pod.chain_key)).all())
    devices = session.exec(select(FlexDevice).order_by(FlexDevice.id)).all()
    views = _views(chain, "flexDevice", [d.chain_key for d in devices])
    for device, view in zip(devices, views, strict=True):
        row = RowCheck("flex_devices", device.id, found)
        if hex_or_none(view["podId"]) is None:
            row.expect("chain_key", device.chain_key, None, NOT_ON_CHAIN)
            continue
        row.expect("pod_id", pod_keys.get(device.pod_id), hex_or_none(view["podId"]), "POD key")
        committed = hex_or_none(view["recordHash"])
        row.expect("record_hash", device.record_hash.lower(), committed)
        row.recomputed("record", device.record, device.salt, committed)
    return found


def check_uvams(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    uvams = session.exec(select(Uvam).order_by(Uvam.id)).all()
    keys = [u.chain_key for u in uvams]
    connections = read_many(chain, REGISTRY, "connectionOf", [(to_bytes32(key),) for key in keys])
    views = _views(chain, "uvam", keys)
    for uvam, view, connection in zip(uvams, views, connections, strict=True):
        row = RowCheck("uvams", uvam.id, found)
        if view["status"] == UvamStatus.NONE:
            row.expect("chain_key", uvam.chain_key, None, NOT_ON_CHAIN)
            continue
        row.expect("status", uvam.status, UvamStatus(view["status"]).label)
        row.expect(
            "bsp_id", accounts.expected(uvam.bsp_id, view["bsp"]), view["bsp"], "the BSP's address"
        )
        committed = hex_or_none(view["recordHash"])
        row.expect("record_hash", uvam.record_hash.lower(), committed)
        row.recomputed("record", uvam.record, uvam.salt, committed)
        row.copies(uvam, uvam.record, UVAM_RECORD_COPIES)
        on_chain = hex_or_none(connection)
        row.expect(
            "connection_hash", uvam.connection_hash and uvam.connection_hash.lower(), on_chain
        )
        if uvam.connection is not None:
            record = {k: v for k, v in uvam.connection.items() if k != "salt"}
            row.recomputed("connection", record, str(uvam.connection.get("salt", "")), on_chain)
    return found


def check_memberships(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    pod_keys = dict(session.exec(select(Pod.id, Pod.chain_key)).all())
    uvam_keys = dict(session.exec(select(Uvam.id, Uvam.chain_key)).all())
    memberships = session.exec(select(Membership).order_by(Membership.id)).all()
    views = _views(chain, "relation", [m.chain_key for m in memberships])
    for membership, view in zip(memberships, views, strict=True):
        row = RowCheck("memberships", membership.id, found)
        if hex_or_none(view["uvamId"]) is None:
            row.expect("chain_key", membership.chain_key, None, NOT_ON_CHAIN)
            continue
        row.expect("uvam_id", uvam_keys.get(membership.uvam_id), hex_or_none(view["uvamId"]))
        row.expect("pod_id", pod_keys.get(membership.pod_id), hex_or_none(view["podId"]))
        row.expect("active", membership.active, view["active"])
    return found


def _file_sha256(directory: Path, digest: str) -> str | None:
    try:
        return hashlib.sha256(files.load(directory, digest)).hexdigest()
    except (OSError, ValueError):
        return None


def check_attachments(
    session: Session, chain: ChainClient, attachments_dir: Path
) -> list[Mismatch]:
    found: list[Mismatch] = []
    owner_keys = {
        "pod": dict(session.exec(select(Pod.id, Pod.chain_key)).all()),
        "uvam": dict(session.exec(select(Uvam.id, Uvam.chain_key)).all()),
    }
    attachments = session.exec(select(Attachment).order_by(Attachment.id)).all()
    views = _views(chain, "attachment", [a.chain_key for a in attachments])
    for attachment, view in zip(attachments, views, strict=True):
        row = RowCheck("attachments", attachment.id, found)
        if hex_or_none(view["ownerId"]) is None:
            row.expect("chain_key", attachment.chain_key, None, NOT_ON_CHAIN)
            continue
        owner = owner_keys.get(attachment.owner_kind, {}).get(attachment.owner_id)
        row.expect("owner_id", owner, hex_or_none(view["ownerId"]), "owner's chain key")
        content = view["contentHash"].hex()
        row.expect("content_sha256", attachment.content_sha256, content)
        row.expect(
            "file",
            _file_sha256(attachments_dir, attachment.content_sha256),
            content,
            "SHA-256 of the stored file",
        )
        row.expect(
            "metadata_record.documentSha256",
            attachment.metadata_record.get("documentSha256"),
            content,
        )
        committed = hex_or_none(view["metadataHash"])
        row.expect("metadata_hash", attachment.metadata_hash.lower(), committed)
        row.recomputed("metadata_record", attachment.metadata_record, attachment.salt, committed)
        row.copies(attachment, attachment.metadata_record, ATTACHMENT_RECORD_COPIES)
    return found


RecordCheck = Callable[[Session, ChainClient], list[Mismatch]]
RECORD_CHECKS: tuple[RecordCheck, ...] = (
    check_pods,
    check_flex_devices,
    check_uvams,
    check_memberships,
)
