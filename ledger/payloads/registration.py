"""Payloads of the registration operations: PODs, flex devices, attachments, UVAMs, their
members and connection, and the TSO's and DSOs' review decisions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import field_validator

from ledger.payloads.base import Hex32, HexDigits, OperationPayload, Record


def _needs(record: Record, *keys: str) -> Record:
    missing = [key for key in keys if key not in record]
    if missing:
        raise ValueError(f"the record has no {', '.join(missing)}")
    return record


class Sealed(OperationPayload):
    """A record, its salt and the salted hash that goes on chain."""

    record: Record
    salt: HexDigits
    record_hash: Hex32


class SealedPod(Sealed):
    @field_validator("record")
    @classmethod
    def _pod_record(cls, record: Record) -> Record:
        return _needs(record, "meteringPointId", "resourceName", "distributionGridOperatorName")

    @property
    def metering_point_id(self) -> str:
        return str(self.record["meteringPointId"])

    @property
    def resource_name(self) -> str:
        return str(self.record["resourceName"])

    @property
    def dso_eic(self) -> str:
        return str(self.record["distributionGridOperatorName"])


class NewPod(SealedPod):
    id: str
    chain_key: Hex32


class PodRegistration(OperationPayload):
    pods: list[NewPod]


class PodRecordUpdate(SealedPod):
    pod_id: str


class PodStatusChange(OperationPayload):
    pod_id: str
    #: The status label asked for (``Open``, ``UnderReview``).
    status: str


class NewDevice(Sealed):
    id: str
    chain_key: Hex32
    pod_id: str


class DeviceRegistration(OperationPayload):
    devices: list[NewDevice]


class SealedMetadata(OperationPayload):
    """An attachment's metadata record (with the document's SHA-256), salt and hash."""

    metadata: Record
    salt: HexDigits
    metadata_hash: Hex32

    @field_validator("metadata")
    @classmethod
    def _metadata_record(cls, metadata: Record) -> Record:
        return _needs(metadata, "documentSha256", "sizeBytes", "mimeType")

    @property
    def document_sha256(self) -> str:
        return str(self.metadata["documentSha256"])

    @property
    def size_bytes(self) -> int:
        return int(self.metadata["sizeBytes"])

    @property
    def mime_type(self) -> str:
        return str(self.metadata["mimeType"])


class AttachmentCreation(SealedMetadata):
    attachment_id: str
    chain_key: Hex32
    owner_kind: str
    owner_id: str
    owner_key: Hex32


class AttachmentMetadataUpdate(SealedMetadata):
    attachment_id: str


class SealedUvam(Sealed):
    uvam_id: str

    @field_validator("record")
    @classmethod
    def _uvam_record(cls, record: Record) -> Record:
        return _needs(record, "name")

    @property
    def name(self) -> str:
        return str(self.record["name"])


class UvamRegistration(SealedUvam):
    chain_key: Hex32


class UvamRecordUpdate(SealedUvam):
    pass


class UvamStatusChange(OperationPayload):
    uvam_id: str
    status: str


class MembershipAddition(OperationPayload):
    relation_id: str
    chain_key: Hex32
    uvam_id: str
    pod_id: str


class MembershipEnding(OperationPayload):
    relation_id: str


class ConnectionSetting(Sealed):
    uvam_id: str


class Decision(OperationPayload):
    """A review decision: its detail (reasons, constraints) hashed on chain, if it has one."""

    detail_hash: Hex32 | None
    reasons: list[str] | None = None

    @property
    def detail_bytes(self) -> bytes:
        return bytes.fromhex(self.detail_hash[2:]) if self.detail_hash else b"\x00" * 32


class PodDecision(Decision):
    pod_id: str
    #: The static constraints a DSO records with its validation (``pod.validate``).
    constraints: dict[str, Any] | None = None


class UvamDecision(Decision):
    uvam_id: str


REGISTRATION_PAYLOADS: Mapping[str, type[OperationPayload]] = {
    "pod.register": PodRegistration,
    "pod.update": PodRecordUpdate,
    "pod.status": PodStatusChange,
    "device.register": DeviceRegistration,
    "attachment.create": AttachmentCreation,
    "attachment.update": AttachmentMetadataUpdate,
    "uvam.register": UvamRegistration,
    "uvam.update": UvamRecordUpdate,
    "uvam.status": UvamStatusChange,
    "membership.add": MembershipAddition,
    "membership.end": MembershipEnding,
    "connection.set": ConnectionSetting,
    "pod.verify": PodDecision,
    "pod.validate": PodDecision,
    "pod.reject": PodDecision,
    "uvam.qualify": UvamDecision,
    "uvam.reject": UvamDecision,
}
