"""Attachments of PODs and UVAMs (services 3, 4, 9, 10): the file off chain, its hash on chain."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from ledger.core import operations
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, events_named, seal, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.errors import field_errors_from_validation
from ledger.core.errors import Forbidden, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id
from ledger.core.runtime import Runtime
from ledger.payloads import read
from ledger.payloads.registration import AttachmentCreation, AttachmentMetadataUpdate
from ledger.registry import files
from ledger.registry.common import owned_pod, owned_uvam
from ledger.registry.schemas import AttachmentCreate, AttachmentUpdate
from ledger.registry.tables import Attachment

REGISTRY = "ResourceRegistry"
ERROR_FIELDS = {
    "RegistryNotEditable": "status",
    "RegistryNotOwner": "ownerId",
    "RegistryUnknownId": "ownerId",
    "RegistryAlreadyExists": "attachmentId",
}


def _metadata(attachment: AttachmentCreate, digest: str, size: int) -> dict[str, Any]:
    record = attachment.model_dump(mode="json", by_alias=True, exclude_none=True)
    record.pop("documentFile")
    return {**record, "documentSha256": digest, "sizeBytes": size}


def _sealed(metadata: dict[str, Any]) -> dict[str, Any]:
    sealed = seal(metadata)
    return {"metadata": metadata, "salt": sealed["salt"], "metadataHash": sealed["recordHash"]}


def _owner_key(session: Session, organisation: Organisation, owner_kind: str, owner_id: str) -> str:
    if owner_kind == "pod":
        return owned_pod(session, owner_id, organisation).chain_key
    return owned_uvam(session, owner_id, organisation).chain_key


def create_attachment(
    runtime: Runtime,
    session: Session,
    *,
    bsp: Organisation,
    owner_kind: str,
    owner_id: str,
    attachment: AttachmentCreate,
) -> Operation:
    """Create Attachment for a POD (service 3) or a UVAM (service 9)."""
    if attachment.sender_id != bsp.eic:
        raise Forbidden("must be your own EIC", field="senderId")
    owner_key = _owner_key(session, bsp, owner_kind, owner_id)
    content = attachment.content
    digest = files.store(runtime.settings.attachments_dir, content)
    attachment_id = new_id()
    metadata = _metadata(attachment, digest, len(content))
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="attachment.create",
        target_id=attachment_id,
        payload={
            "attachmentId": attachment_id,
            "chainKey": chain_key("attachment", attachment_id),
            "ownerKind": owner_kind,
            "ownerId": owner_id,
            "ownerKey": owner_key,
            **_sealed(metadata),
        },
    )
    simulate(
        runtime, bsp, AttachmentCreateHandler().calls(session, operation), error_fields=ERROR_FIELDS
    )
    return operation


def update_attachment(
    runtime: Runtime,
    session: Session,
    *,
    bsp: Organisation,
    owner_kind: str,
    owner_id: str,
    attachment_id: str,
    patch: AttachmentUpdate,
) -> Operation:
    """Update Attachment of a POD (service 4) or a UVAM (service 10): the attachment must be
    one of that resource's, and the resource the caller's."""
    _owner_key(session, bsp, owner_kind, owner_id)
    row = session.get(Attachment, attachment_id)
    if row is None or (row.owner_kind, row.owner_id) != (owner_kind, owner_id):
        raise NotFound(
            f"no attachment {attachment_id} on {owner_kind} {owner_id}", field="attachmentId"
        )
    current_content = files.load(runtime.settings.attachments_dir, row.content_sha256)
    current = AttachmentCreate.model_validate(
        {
            **{
                k: v
                for k, v in row.metadata_record.items()
                if k not in {"documentSha256", "sizeBytes"}
            },
            "documentFile": base64.b64encode(current_content).decode("ascii"),
        }
    )
    try:
        updated = patch.apply_to(current)
    except ValidationError as exc:
        problem = field_errors_from_validation(exc)[0]
        raise InvalidInput(f"{problem.field}: {problem.message}", field=problem.field) from exc
    content = updated.content
    digest = files.store(runtime.settings.attachments_dir, content)
    metadata = _metadata(updated, digest, len(content))
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="attachment.update",
        target_id=attachment_id,
        payload={"attachmentId": attachment_id, **_sealed(metadata)},
    )
    simulate(
        runtime, bsp, AttachmentUpdateHandler().calls(session, operation), error_fields=ERROR_FIELDS
    )
    return operation


class AttachmentCreateHandler(Handler):
    kind = "attachment.create"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = read(operation, AttachmentCreation)
        return [
            Call(
                REGISTRY,
                "createAttachment",
                (
                    bytes32(p.chain_key),
                    bytes32(p.owner_key),
                    bytes.fromhex(p.document_sha256),
                    bytes32(p.metadata_hash),
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if events_named(receipts, "AttachmentCreated"):
            p = read(operation, AttachmentCreation)
            session.add(
                Attachment(
                    id=p.attachment_id,
                    chain_key=p.chain_key,
                    owner_kind=p.owner_kind,
                    owner_id=p.owner_id,
                    content_sha256=p.document_sha256,
                    size_bytes=p.size_bytes,
                    mime_type=p.mime_type,
                    metadata_record=p.metadata,
                    salt=p.salt,
                    metadata_hash=p.metadata_hash,
                )
            )
            operation.result = {"attachmentId": p.attachment_id}
        return []


class AttachmentUpdateHandler(Handler):
    kind = "attachment.update"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = read(operation, AttachmentMetadataUpdate)
        row = session.get(Attachment, p.attachment_id)
        assert row is not None
        return [
            Call(
                REGISTRY,
                "updateAttachment",
                (
                    bytes32(row.chain_key),
                    bytes.fromhex(p.document_sha256),
                    bytes32(p.metadata_hash),
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if events_named(receipts, "AttachmentUpdated"):
            p = read(operation, AttachmentMetadataUpdate)
            row = session.get(Attachment, p.attachment_id)
            assert row is not None
            row.content_sha256 = p.document_sha256
            row.size_bytes = p.size_bytes
            row.mime_type = p.mime_type
            row.metadata_record = p.metadata
            row.salt = p.salt
            row.metadata_hash = p.metadata_hash
            row.updated_at = utcnow()
        return []
