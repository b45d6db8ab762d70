"""Input models of the CBP connector's 14 services (FLOW D5.5 Tables 3-16).

JSON field names are the source's camelCase spelling (``meteringPointId``); Python attributes
are snake_case (``metering_point_id``); both are accepted on input. Every error is located on
the camelCase field it concerns, including cross-field checks, so that
:func:`ledger.core.domain.errors.field_errors_from_validation` can name it. Powers are integer kW.

Decisions where the source is silent or garbled (its "mandatory" column is unreliable):

* required is whatever a POD or UVAM cannot be validated without; identifiers the platform
  assigns (``resourceId``, ``status``) are not inputs;
* every party identifier is an EIC, whatever its ``...CodingSchemeType`` says;
* ``...Update`` models have PATCH semantics: every field optional, only the fields sent are
  applied (``model_dump(exclude_unset=True)``). Cross-field checks run on the fields present;
  ``apply_to`` merges a patch into the current record and re-validates the whole.
"""

from __future__ import annotations

import base64
import ipaddress
import unicodedata
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, Final, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from ledger.core.domain.enums import (
    CodingScheme,
    ConnectionType,
    DeviceType,
    Direction,
    DocumentType,
    GridVoltageLevel,
    MarketType,
    MimeType,
    PodStatus,
    UvamStatus,
    UvamType,
)
from ledger.core.domain.identifiers import eic_problem, pod_code_problem

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MAX_POWER_KW",
    "MAX_TEXT_LENGTH",
    "AttachmentCreate",
    "AttachmentUpdate",
    "CbpModel",
    "ConnectionCreate",
    "ConnectionUpdate",
    "EndRelation",
    "FlexDeviceCreate",
    "MembershipCreate",
    "PodCreate",
    "PodStatusUpdate",
    "PodUpdate",
    "UvamCreate",
    "UvamStatusUpdate",
    "UvamUpdate",
    "ValidationDecision",
]

#: "The connector UI accepts PDF or XML, max 5 MB"; we read MB as MiB.
MAX_ATTACHMENT_BYTES: Final = 5 * 1024 * 1024
#: Longest free-text or identifier field.
MAX_TEXT_LENGTH: Final = 200
#: Longest reason in a validation decision.
MAX_REASON_LENGTH: Final = 1000
#: 10 GW: larger than any single connection, small enough for a uint32 on chain.
MAX_POWER_KW: Final = 10_000_000
#: 9999-12-31T23:59:59Z.
_MAX_UNIX_TIMESTAMP: Final = 253_402_300_799
#: Base64 text longer than this cannot decode to MAX_ATTACHMENT_BYTES or fewer.
_MAX_BASE64_CHARS: Final = 4 * -(-MAX_ATTACHMENT_BYTES // 3)

_MIME_TYPES_BY_EXTENSION: Final[dict[str, frozenset[MimeType]]] = {
    ".pdf": frozenset({MimeType.PDF}),
    ".xml": frozenset({MimeType.XML, MimeType.TEXT_XML}),
}
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_BSP_REQUESTABLE_LABELS: Final = ("Open", "UnderReview")


# --- field types ----------------------------------------------------------------------------


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(character) == "Cc" for character in value):
        raise ValueError("must not contain control characters")
    return value


def _valid_eic(value: str) -> str:
    problem = eic_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _valid_pod_code(value: str) -> str:
    problem = pod_code_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _decode_document(value: str) -> bytes:
    """Strict base64 decoding with the size limit checked before and after decoding."""
    too_large = f"document larger than {MAX_ATTACHMENT_BYTES} bytes (5 MiB)"
    if len(value) > _MAX_BASE64_CHARS:
        raise ValueError(too_large)
    try:
        content = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise ValueError("not valid base64") from None
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValueError(too_large)
    if not content:
        raise ValueError("document is empty")
    return content


def _valid_document_file(value: str) -> str:
    _decode_document(value)
    return value


def _valid_file_name(value: str) -> str:
    if "/" in value or "\\" in value:
        raise ValueError("must be a file name, not a path")
    if PurePosixPath(value).suffix.lower() not in _MIME_TYPES_BY_EXTENSION:
        allowed = " or ".join(_MIME_TYPES_BY_EXTENSION)
        raise ValueError(f"must be a file name ending in {allowed}, e.g. diagram.pdf")
    return value


def _normalised_ip_address(value: str) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("not a valid IPv4 or IPv6 address") from None
    if address.is_unspecified or address.is_multicast:
        raise ValueError("must be a unicast address")
    return str(address)


def _bsp_requested_status(value: object, status_type: type[PodStatus] | type[UvamStatus]) -> object:
    if isinstance(value, status_type):
        value = value.label
    if not isinstance(value, str) or value not in _BSP_REQUESTABLE_LABELS:
        raise ValueError(f"a BSP may only request {' or '.join(_BSP_REQUESTABLE_LABELS)}")
    return status_type.from_label(value)


Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH),
    AfterValidator(_no_control_characters),
]
ReasonText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_REASON_LENGTH),
    AfterValidator(_no_control_characters),
]
Eic = Annotated[str, AfterValidator(_valid_eic)]
PodCode = Annotated[str, AfterValidator(_valid_pod_code)]
PowerKw = Annotated[int, Field(ge=0, le=MAX_POWER_KW)]
SignedPowerKw = Annotated[int, Field(ge=-MAX_POWER_KW, le=MAX_POWER_KW)]
UnixTimestamp = Annotated[int, Field(ge=0, le=_MAX_UNIX_TIMESTAMP)]
FileName = Annotated[Text, AfterValidator(_valid_file_name)]
DocumentFile = Annotated[str, AfterValidator(_valid_document_file)]
IpAddress = Annotated[str, StringConstraints(max_length=64), AfterValidator(_normalised_ip_address)]
ConstraintName = Annotated[str, StringConstraints(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]
_REQUESTABLE_STATUS_SCHEMA: Final = {"type": "string", "enum": list(_BSP_REQUESTABLE_LABELS)}
RequestedPodStatus = Annotated[
    PodStatus,
    BeforeValidator(lambda value: _bsp_requested_status(value, PodStatus)),
    PlainSerializer(lambda status: status.label, return_type=str),
    WithJsonSchema(_REQUESTABLE_STATUS_SCHEMA),
]
RequestedUvamStatus = Annotated[
    UvamStatus,
    BeforeValidator(lambda value: _bsp_requested_status(value, UvamStatus)),
    PlainSerializer(lambda status: status.label, return_type=str),
    WithJsonSchema(_REQUESTABLE_STATUS_SCHEMA),
]


# --- cross-field checks ---------------------------------------------------------------------

_Problem = tuple[str, str, object]  # (camelCase field, message, offending value)


def _raise_problems(model: BaseModel, problems: list[_Problem]) -> None:
    """Raise the problems as one ValidationError located on their fields.

    pydantic merges a ValidationError raised inside a validator into the outer one, keeping
    each ``loc``; a plain ValueError would be reported on the model as a whole instead.
    """
    if not problems:
        return
    details = [
        InitErrorDetails(
            type=PydanticCustomError("value_error", "{message}", {"message": message}),
            loc=(field,),
            input=value,
        )
        for field, message, value in problems
    ]
    raise ValidationError.from_exception_data(type(model).__name__, details)


def _flex_problems(contracted: int | None, up: int | None, down: int | None) -> list[_Problem]:
    if contracted is None:
        return []
    problems: list[_Problem] = []
    for field, value in (("maximumFlexUp", up), ("maximumFlexDown", down)):
        if value is not None and value > contracted:
            message = f"{field} {value} kW exceeds contractedPower {contracted} kW"
            problems.append((field, message, value))
    return problems


def _period_problems(start: datetime | None, end: datetime | None) -> list[_Problem]:
    if start is not None and end is not None and end <= start:
        return [("endDateTime", "endDateTime must be after startDateTime", end.isoformat())]
    return []


def _full_scale_problems(minimum: int | None, maximum: int | None) -> list[_Problem]:
    if minimum is not None and maximum is not None and maximum <= minimum:
        message = f"fullScaleMax {maximum} kW must be greater than fullScaleMin {minimum} kW"
        return [("fullScaleMax", message, maximum)]
    return []


def _content_problem(content: bytes, mime_type: MimeType) -> str | None:
    if mime_type is MimeType.PDF:
        if not content.startswith(b"%PDF-"):
            return "content is not a PDF document (it must start with %PDF-)"
    elif not content.removeprefix(_UTF8_BOM).lstrip().startswith(b"<"):
        return f"content is not an XML document as declared by {mime_type.value}"
    return None


def _document_problems(
    external_document_id: str | None,
    content: bytes | None,
    mime_type: MimeType | None,
) -> list[_Problem]:
    """Extension, declared MIME type and content must agree with one another.

    Without ``mimeType`` (connections) the type follows from the extension; an XML file is then
    checked as ``application/xml``.
    """
    problems: list[_Problem] = []
    extension = PurePosixPath(external_document_id or "").suffix.lower()
    allowed = _MIME_TYPES_BY_EXTENSION.get(extension, frozenset())
    if mime_type is not None and external_document_id is not None and mime_type not in allowed:
        message = f"mimeType {mime_type.value} does not match the extension {extension or '(none)'}"
        problems.append(("mimeType", message, mime_type.value))
        return problems
    declared = mime_type or min(allowed, default=None)
    if content is not None and declared is not None:
        problem = _content_problem(content, declared)
        if problem is not None:
            problems.append(("documentFile", problem, "<document>"))
    return problems


def _missing_together(model: BaseModel, fields: tuple[str, ...]) -> list[_Problem]:
    """Fields that must be sent together: report the absent ones when any is present."""
    values = {name: getattr(model, name) for name in fields}
    if all(value is None for value in values.values()):
        return []
    present = [to_camel(name) for name, value in values.items() if value is not None]
    return [
        (to_camel(name), f"required together with {', '.join(present)}", None)
        for name, value in values.items()
        if value is None
    ]


_Target = TypeVar("_Target", bound=BaseModel)


def _apply_patch(patch: BaseModel, current: BaseModel, target: type[_Target]) -> _Target:
    merged: dict[str, Any] = current.model_dump(by_alias=True)
    merged.update(patch.model_dump(by_alias=True, exclude_unset=True))
    return target.model_validate(merged)


# --- base -----------------------------------------------------------------------------------


class CbpModel(BaseModel):
    """Base of every connector input: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
        use_attribute_docstrings=True,
    )


class _CarriesDocument(CbpModel):
    """A model with a base64 ``documentFile``; keeps the decoded bytes for ``content``."""

    _decoded: tuple[str, bytes] | None = PrivateAttr(default=None)

    def _decoded_document(self, document_file: str) -> bytes:
        cached = self._decoded
        if cached is None or cached[0] is not document_file:
            cached = (document_file, _decode_document(document_file))
            self._decoded = cached
        return cached[1]


# --- POD (Tables 3-4, 7) --------------------------------------------------------------------


class PodCreate(CbpModel):
    """Register Flex Resource (service 1, Table 3) for a grid connection point (POD)."""

    registration_period: UnixTimestamp | None = None
    """"Timestamp in unix version"."""
    receiver_id: Eic
    """"EIC Code of the service recipient" (the TSO)."""
    receiver_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"Call Recipient Type Code Schema"."""
    flexibility_service_provider_id: Eic
    """"BSP EIC Code"."""
    flexibility_service_provider_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"BSP Code Schema Type"."""
    accounting_point_id: PodCode | None = None
    """"secondary POD"."""
    metering_point_id: PodCode
    """"POD", e.g. IT001E12345678."""
    location_id: Text | None = None
    """"Location ID"."""
    brp_consumption_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"Dispatching Contract Schema Type"."""
    brp_contract_id: Text | None = None
    """"Dispatching Contract code"."""
    resource_name: Text
    """"resource name"."""
    direction: Direction
    """"Type of POD": consumption, generation or mixed."""
    contracted_power: PowerKw
    """"Contracted Power", kW."""
    contracted_power_secondary_pod: PowerKw | None = Field(
        default=None, alias="contractedPowerSecondaryPOD"
    )
    """"Contracted Power secondary POD", kW."""
    maximum_flex_up: PowerKw
    """"Maximum Flex Up", kW; at most contractedPower."""
    maximum_flex_down: PowerKw
    """"Maximum Flex Down", kW; at most contractedPower."""
    grid_voltage_level: GridVoltageLevel
    """"Level of Voltage"."""
    distribution_grid_operator_name: Eic
    """"DSO EIC Code"."""
    start_date_time: AwareDatetime
    """"Start Date Time" (ISO 8601 with offset, or unix seconds)."""
    end_date_time: AwareDatetime | None = None
    """"End Date Time"; after startDateTime."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = _flex_problems(
            self.contracted_power, self.maximum_flex_up, self.maximum_flex_down
        )
        problems += _period_problems(self.start_date_time, self.end_date_time)
        _raise_problems(self, problems)
        return self


class PodUpdate(CbpModel):
    """Update Resource Information (service 2, Table 4): "data may change only while Open".

    PATCH semantics; see :meth:`apply_to`.
    """

    registration_period: UnixTimestamp | None = None
    receiver_id: Eic | None = None
    receiver_coding_scheme_type: CodingScheme | None = None
    flexibility_service_provider_id: Eic | None = None
    flexibility_service_provider_coding_scheme_type: CodingScheme | None = None
    accounting_point_id: PodCode | None = None
    metering_point_id: PodCode | None = None
    location_id: Text | None = None
    brp_consumption_coding_scheme_type: CodingScheme | None = None
    brp_contract_id: Text | None = None
    resource_name: Text | None = None
    direction: Direction | None = None
    contracted_power: PowerKw | None = None
    contracted_power_secondary_pod: PowerKw | None = Field(
        default=None, alias="contractedPowerSecondaryPOD"
    )
    maximum_flex_up: PowerKw | None = None
    maximum_flex_down: PowerKw | None = None
    grid_voltage_level: GridVoltageLevel | None = None
    distribution_grid_operator_name: Eic | None = None
    start_date_time: AwareDatetime | None = None
    end_date_time: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = _flex_problems(
            self.contracted_power, self.maximum_flex_up, self.maximum_flex_down
        )
        problems += _period_problems(self.start_date_time, self.end_date_time)
        _raise_problems(self, problems)
        return self

    def apply_to(self, current: PodCreate) -> PodCreate:
        """The POD after this patch, re-validated as a whole (raises ``ValidationError``)."""
        return _apply_patch(self, current, PodCreate)


class FlexDeviceCreate(CbpModel):
    """Register Flex Resource (service 1) for a flex device behind a POD."""

    parent_resource_id: Text
    """"Id del POD del flex device": the id of the POD the device sits behind."""
    resource_name: Text
    """"resource name"."""
    device_type: DeviceType
    """"Device Type"."""
    contracted_power: PowerKw
    """Rated power of the device, kW."""
    maximum_flex_up: PowerKw
    """"Maximum Flex Up", kW; at most contractedPower."""
    maximum_flex_down: PowerKw
    """"Maximum Flex Down", kW; at most contractedPower."""
    start_date_time: AwareDatetime | None = None
    """"Start Date Time"."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _raise_problems(
            self,
            _flex_problems(self.contracted_power, self.maximum_flex_up, self.maximum_flex_down),
        )
        return self


class PodStatusUpdate(CbpModel):
    """Update Resource Status (service 5, Table 7): the BSP opens a POD or sends it for review.

    The other statuses are the TSO's and DSO's to give.
    """

    registration_period: UnixTimestamp | None = None
    """"Timestamp in unix version"."""
    flex_resource_id: Text
    """"POD ID"."""
    status: RequestedPodStatus
    """"POD status": ``"Open"`` or ``"UnderReview"``."""
    flexibility_service_provider_id: Eic
    """"BSP EIC Code"."""
    receiver_id: Eic
    """"TSO EIC Code"."""


# --- attachments (Tables 5-6, 11-12) --------------------------------------------------------


class AttachmentCreate(_CarriesDocument):
    """Create Attachment (services 3 and 9, Tables 5 and 11): a PDF or XML document."""

    sender_id: Eic
    """"BSP EIC Code"."""
    sender_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"BSP Code Schema Type"."""
    receiver_id: Eic
    """"TSO EIC Code"."""
    receiver_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"TSO Code Schema Type"."""
    external_document_id: FileName
    """"Type of document + extension": a file name such as diagram.pdf."""
    document_file: DocumentFile
    """"Content in base64"; at most 5 MiB once decoded."""
    document_type: DocumentType
    """"Document Type"."""
    mime_type: MimeType
    """"File extension": the MIME type, agreeing with the extension and the content."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = _document_problems(self.external_document_id, self.content, self.mime_type)
        _raise_problems(self, problems)
        return self

    @property
    def content(self) -> bytes:
        """The decoded document."""
        return self._decoded_document(self.document_file)


class AttachmentUpdate(_CarriesDocument):
    """Update Attachment (services 4 and 10, Tables 6 and 12); PATCH semantics.

    Replacing the document needs ``externalDocumentId``, ``documentFile`` and ``mimeType``
    together, so that the three can be checked against one another.
    """

    sender_id: Eic | None = None
    sender_coding_scheme_type: CodingScheme | None = None
    receiver_id: Eic | None = None
    receiver_coding_scheme_type: CodingScheme | None = None
    external_document_id: FileName | None = None
    document_file: DocumentFile | None = None
    document_type: DocumentType | None = None
    mime_type: MimeType | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = _missing_together(self, ("external_document_id", "document_file", "mime_type"))
        if not problems:
            problems = _document_problems(self.external_document_id, self.content, self.mime_type)
        _raise_problems(self, problems)
        return self

    @property
    def content(self) -> bytes | None:
        """The decoded replacement document, if one was sent."""
        if self.document_file is None:
            return None
        return self._decoded_document(self.document_file)

    def apply_to(self, current: AttachmentCreate) -> AttachmentCreate:
        """The attachment after this patch, re-validated as a whole."""
        return _apply_patch(self, current, AttachmentCreate)


# --- UVAM (Tables 8-10, 13-16) --------------------------------------------------------------


class UvamCreate(CbpModel):
    """Register Resource Group (service 6, Table 8): a UVAM aggregating validated PODs."""

    flexibility_service_provider_id: Eic
    """"BSP EIC Code"."""
    flexibility_service_provider_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"BSP Code Schema Type"."""
    technical_flexibility_service_provider_id: Eic | None = None
    """"SC Web Operator EIC Code"."""
    receiver_id: Eic
    """"EIC Code of the service recipient"."""
    receiver_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"Call Recipient Type Code Schema"."""
    type: UvamType = UvamType.UVAM
    """"resource Type"."""
    name: Text
    """"resource name"."""
    perimeter: Text
    """"Location ID": the zone the UVAM lies in."""
    maximum_qualified_power: PowerKw
    """"Maximum Flex Up", kW."""
    minimum_qualified_power: PowerKw
    """"Maximum Flex Down", kW."""
    market_type: MarketType
    """"Market Type"."""
    period: Text | None = None
    """"period"."""
    start_date_time: AwareDatetime
    """"Start Date Time"."""
    end_date_time: AwareDatetime | None = None
    """"End Date Time"; after startDateTime."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _raise_problems(self, _period_problems(self.start_date_time, self.end_date_time))
        return self


class UvamUpdate(CbpModel):
    """Update Resource Group (service 7, Table 9), "only while Open"; PATCH semantics."""

    flexibility_service_provider_id: Eic | None = None
    flexibility_service_provider_coding_scheme_type: CodingScheme | None = None
    technical_flexibility_service_provider_id: Eic | None = None
    receiver_id: Eic | None = None
    receiver_coding_scheme_type: CodingScheme | None = None
    type: UvamType | None = None
    name: Text | None = None
    perimeter: Text | None = None
    maximum_qualified_power: PowerKw | None = None
    minimum_qualified_power: PowerKw | None = None
    market_type: MarketType | None = None
    period: Text | None = None
    start_date_time: AwareDatetime | None = None
    end_date_time: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _raise_problems(self, _period_problems(self.start_date_time, self.end_date_time))
        return self

    def apply_to(self, current: UvamCreate) -> UvamCreate:
        """The UVAM after this patch, re-validated as a whole."""
        return _apply_patch(self, current, UvamCreate)


class MembershipCreate(CbpModel):
    """Register Resource in Resource Group (service 8, Table 10): a validated POD joins a UVAM."""

    resource: Text
    """"POD ID"."""
    resource_group: Text
    """"Aggregator ID": the UVAM's id."""
    flexibility_service_provider_id: Eic
    """"BSP EIC Code"."""
    flexibility_service_provider_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"BSP Code Schema Type"."""
    receiver_id: Eic
    """"TSO EIC Code"."""
    receiver_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"Call Recipient Type Code Schema"."""


class ConnectionCreate(_CarriesDocument):
    """Register Connection (service 11, Table 13): how the TSO reaches the UVAM's controller."""

    resource_group_id: Text
    """"Resource Group ID"."""
    type: ConnectionType
    """Telecontrol protocol of the connection."""
    manufacturer: Text
    """Manufacturer of the controller, e.g. "ABB"."""
    ip_address: IpAddress
    """"Ip Address" (IPv4 or IPv6), stored in normalised form."""
    full_scale_min: SignedPowerKw
    """"Connection parameters": lower end of the measurement full scale, kW."""
    full_scale_max: SignedPowerKw
    """"Connection parameters": upper end of the measurement full scale, kW."""
    external_document_id: FileName | None = None
    """"Type of document + extension"; required with documentFile."""
    document_file: DocumentFile | None = None
    """"Content in base64" (optional); PDF or XML as its extension says."""
    flexibility_service_provider_id: Eic | None = None
    """"BSP EIC Code"."""
    receiver_id: Eic | None = None
    """"TSO EIC Code"."""
    receiver_coding_scheme_type: CodingScheme = CodingScheme.EIC
    """"TSO Code Schema Type"."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _raise_problems(self, _connection_problems(self))
        return self

    @property
    def content(self) -> bytes | None:
        """The decoded document, if one was sent."""
        if self.document_file is None:
            return None
        return self._decoded_document(self.document_file)


class ConnectionUpdate(_CarriesDocument):
    """Update Connection (service 12, Table 14); PATCH semantics."""

    resource_group_id: Text | None = None
    type: ConnectionType | None = None
    manufacturer: Text | None = None
    ip_address: IpAddress | None = None
    full_scale_min: SignedPowerKw | None = None
    full_scale_max: SignedPowerKw | None = None
    external_document_id: FileName | None = None
    document_file: DocumentFile | None = None
    flexibility_service_provider_id: Eic | None = None
    receiver_id: Eic | None = None
    receiver_coding_scheme_type: CodingScheme | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _raise_problems(self, _connection_problems(self))
        return self

    @property
    def content(self) -> bytes | None:
        """The decoded replacement document, if one was sent."""
        if self.document_file is None:
            return None
        return self._decoded_document(self.document_file)

    def apply_to(self, current: ConnectionCreate) -> ConnectionCreate:
        """The connection after this patch, re-validated as a whole."""
        return _apply_patch(self, current, ConnectionCreate)


def _connection_problems(connection: ConnectionCreate | ConnectionUpdate) -> list[_Problem]:
    problems = _full_scale_problems(connection.full_scale_min, connection.full_scale_max)
    if connection.document_file is not None and connection.external_document_id is None:
        problems.append(("externalDocumentId", "required together with documentFile", None))
    else:
        problems += _document_problems(connection.external_document_id, connection.content, None)
    return problems


class UvamStatusUpdate(CbpModel):
    """Update Resource Group Status (service 13, Table 15): the BSP opens a UVAM or sends it
    for review; qualifying or rejecting it is the TSO's."""

    status: RequestedUvamStatus
    """"Status of the aggregator": ``"Open"`` or ``"UnderReview"``."""
    flexibility_service_provider_id: Eic
    """"BSP EIC Code"."""
    receiver_id: Eic
    """"TSO EIC Code"."""
    resource_group_id: Text | None = None
    """"Resource Group ID" (optional: the UVAM is usually named by the URL)."""


class EndRelation(CbpModel):
    """End Relation (service 14, Table 16): end a POD-UVAM membership."""

    relation_id: Text
    """"unique id of the relationship between POD and UVAM"."""
    receiver_id: Eic | None = None
    """"TSO EIC Code"."""


# --- TSO / DSO decisions --------------------------------------------------------------------


class ValidationDecision(CbpModel):
    """A TSO verification or DSO validation of a POD, or a TSO qualification of a UVAM.

    "the POD becomes `Validated` (or is rejected, with reasons)": a rejection must say why.
    A DSO may attach static constraints per POD, e.g. ``{"maxImportKw": 400,
    "maxExportKw": 0}`` (camelCase names, integer kW >= 0).
    """

    approve: bool
    """True to approve, false to reject."""
    reasons: list[ReasonText] = Field(default_factory=list, max_length=50)
    """Why; required (non-empty) when rejecting."""
    constraints: dict[ConstraintName, PowerKw] | None = Field(default=None, max_length=20)
    """DSO static constraints per POD, integer kW."""

    @model_validator(mode="after")
    def _reasons_when_rejecting(self) -> Self:
        if not self.approve and not self.reasons:
            _raise_problems(self, [("reasons", "give at least one reason when rejecting", [])])
        return self
