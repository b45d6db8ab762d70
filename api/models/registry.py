"""Answers of the registry: PODs, flex devices, UVAMs, memberships, attachments, connections
(FLOW D5.5 Tables 3-16), their history, the review queue and the mass-load report.

A record's own fields are the source's camelCase names as registered; a field registered
without a value is left out of the answer (not ``null``)."""

from __future__ import annotations

from pydantic import Field

from api.models.common import Accepted, ErrorBody, FieldError, Hex32, Instant, JsonObject
from api.models.common import PublicModel as _Public


class StatusChangePublic(_Public):
    """One status change of a record, as mined."""

    from_: str | None = Field(alias="from")
    """The status before; null for the registration."""
    to: str
    actor: str
    """The organisation that made the change."""
    reasons: list[str] | None
    transaction_hash: str
    block_number: int
    at: Instant


class _RecordMeta(_Public):
    id: str
    status: str
    bsp: str
    """The id of the owning BSP organisation."""
    chain_key: Hex32
    """The record's key on chain."""
    record_hash: Hex32
    """keccak256(salt + canonical JSON of the record): the commitment on chain."""


class PodPublic(_RecordMeta):
    """A POD (grid connection point): Register Flex Resource, Table 3."""

    constraints: JsonObject | None
    """The DSO's static constraints on the POD (recorded at validation)."""
    reasons: list[str] | None
    """Reasons of the last rejection."""
    created_at: Instant
    updated_at: Instant
    registration_period: int | None = None
    receiver_id: str
    receiver_coding_scheme_type: str
    flexibility_service_provider_id: str
    flexibility_service_provider_coding_scheme_type: str
    accounting_point_id: str | None = None
    metering_point_id: str
    location_id: str | None = None
    brp_consumption_coding_scheme_type: str
    brp_contract_id: str | None = None
    resource_name: str
    direction: str
    contracted_power: int
    contracted_power_secondary_pod: int | None = Field(
        default=None, alias="contractedPowerSecondaryPOD"
    )
    maximum_flex_up: int
    maximum_flex_down: int
    grid_voltage_level: str
    distribution_grid_operator_name: str
    start_date_time: Instant
    end_date_time: Instant | None = None


class FlexDevicePublic(_Public):
    """A flex device behind a POD: Register Flex Resource, Table 4."""

    id: str
    chain_key: Hex32
    record_hash: Hex32
    parent_resource_id: str
    resource_name: str
    device_type: str
    contracted_power: int
    maximum_flex_up: int
    maximum_flex_down: int
    start_date_time: Instant | None = None


class AttachmentPublic(_Public):
    """An attachment's metadata (Tables 5-6, 11-12); the file: ``GET /attachments/{id}/content``."""

    id: str
    chain_key: Hex32
    metadata_hash: Hex32
    sender_id: str
    sender_coding_scheme_type: str
    receiver_id: str
    receiver_coding_scheme_type: str
    external_document_id: str
    document_type: str
    mime_type: str
    document_sha256: str
    """SHA-256 of the file (hex)."""
    size_bytes: int


class MembershipPublic(_Public):
    """A POD's membership of a UVAM (Table 10); End Relation takes its ``relationId``."""

    relation_id: str
    resource: str
    """The POD's id."""
    resource_group: str
    """The UVAM's id."""
    active: bool
    chain_key: Hex32
    started_at: Instant
    ended_at: Instant | None


class PodDetail(PodPublic):
    flex_devices: list[FlexDevicePublic]
    attachments: list[AttachmentPublic]
    relations: list[MembershipPublic]
    history: list[StatusChangePublic]


class UvamPublic(_RecordMeta):
    """A UVAM (resource group): Register Resource Group, Table 8."""

    reasons: list[str] | None
    created_at: Instant
    updated_at: Instant
    flexibility_service_provider_id: str
    flexibility_service_provider_coding_scheme_type: str
    technical_flexibility_service_provider_id: str | None = None
    receiver_id: str
    receiver_coding_scheme_type: str
    type: str
    name: str
    perimeter: str
    maximum_qualified_power: int
    minimum_qualified_power: int
    market_type: str
    period: str | None = None
    start_date_time: Instant
    end_date_time: Instant | None = None


class ConnectionPublic(_Public):
    """A UVAM's connection parameters (Register Connection, Table 13)."""

    resource_group_id: str | None = None
    type: str
    manufacturer: str
    ip_address: str
    full_scale_min: int
    full_scale_max: int
    external_document_id: str | None = None
    flexibility_service_provider_id: str | None = None
    receiver_id: str | None = None
    receiver_coding_scheme_type: str
    document_sha256: str | None = None
    """SHA-256 of the connection's document, when one was sent."""


class UvamDetail(UvamPublic):
    connection: ConnectionPublic | None
    connection_hash: Hex32 | None
    members: list[MembershipPublic]
    attachments: list[AttachmentPublic]
    history: list[StatusChangePublic]


class ReviewQueue(_Public):
    """What waits for this organisation's decision: the TSO verifies PODs and qualifies UVAMs,
    a DSO validates the verified PODs of its grid."""

    pods: list[PodPublic]
    uvams: list[UvamPublic]


class MassLoadRow(_Public):
    row: int
    """The CSV line number (the header is line 1)."""
    accepted: bool
    errors: list[FieldError]
    pod_id: str | None = None
    """The id given to the row's POD when the file was accepted."""


class MassLoadReport(_Public):
    """Row by row, what a mass load accepted and refused and why."""

    file_errors: list[str]
    rows: list[MassLoadRow]
    accepted_count: int
    rejected_count: int


class MassLoadRefused(ErrorBody, MassLoadReport):
    """422 of a mass load none of whose rows is accepted: the error body and the report."""


class PodAccepted(Accepted):
    pod_id: str | None


class DeviceAccepted(Accepted):
    device_id: str | None


class AttachmentAccepted(Accepted):
    attachment_id: str | None


class MassLoadAccepted(Accepted):
    report: MassLoadReport


class UvamAccepted(Accepted):
    uvam_id: str | None


class RelationAccepted(Accepted):
    relation_id: str | None
