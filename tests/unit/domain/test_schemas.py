"""Input models of the connector's services: every error names its camelCase field."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from ledger.core.domain.enums import (
    CodingScheme,
    Direction,
    GridVoltageLevel,
    MimeType,
    PodStatus,
    UvamStatus,
)
from ledger.core.domain.errors import FieldError, field_errors_from_validation
from ledger.registry.schemas import (
    MAX_ATTACHMENT_BYTES,
    AttachmentCreate,
    AttachmentUpdate,
    ConnectionCreate,
    ConnectionUpdate,
    EndRelation,
    FlexDeviceCreate,
    MembershipCreate,
    PodCreate,
    PodStatusUpdate,
    PodUpdate,
    UvamCreate,
    UvamStatusUpdate,
    UvamUpdate,
    ValidationDecision,
)

TSO = "10X1001A1001A345"
DSO = "26X00000105128-9"
BSP = "21Z000000000163R"
PDF = b"%PDF-1.7\n%minimal\n"
XML = b"<?xml version='1.0'?><diagram/>"


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def pod_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "registrationPeriod": 1_717_200_000,
        "receiverId": TSO,
        "flexibilityServiceProviderId": BSP,
        "meteringPointId": "IT001E12345678",
        "accountingPointId": "IT001E87654321",
        "locationId": "NORD",
        "brpContractId": "DC-2024-17",
        "resourceName": "Warehouse Milano 3",
        "direction": "mixed",
        "contractedPower": 400,
        "contractedPowerSecondaryPOD": 50,
        "maximumFlexUp": 150,
        "maximumFlexDown": 200,
        "gridVoltageLevel": "MV",
        "distributionGridOperatorName": DSO,
        "startDateTime": "2024-06-01T00:00:00+02:00",
        "endDateTime": "2025-06-01T00:00:00+02:00",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def attachment_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "senderId": BSP,
        "senderCodingSchemeType": "A01",
        "receiverId": TSO,
        "receiverCodingSchemeType": "A01",
        "externalDocumentId": "diagram.pdf",
        "documentFile": b64(PDF),
        "documentType": "ConnectionDiagram",
        "mimeType": "application/pdf",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def uvam_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "flexibilityServiceProviderId": BSP,
        "receiverId": TSO,
        "type": "UVAM",
        "name": "UVAM Nord 1",
        "perimeter": "NORD",
        "maximumQualifiedPower": 300,
        "minimumQualifiedPower": 200,
        "marketType": "MSD",
        "startDateTime": "2024-07-01T00:00:00Z",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def connection_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceGroupId": "uvam-1",
        "type": "IEC104",
        "manufacturer": "ABB",
        "ipAddress": "192.0.2.10",
        "fullScaleMin": -500,
        "fullScaleMax": 500,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def errors_of(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {error.field: error.message for error in field_errors_from_validation(caught.value)}


# --- POD --------------------------------------------------------------------------------------


def test_valid_pod() -> None:
    pod = PodCreate.model_validate(pod_json())
    assert pod.metering_point_id == "IT001E12345678"
    assert pod.direction is Direction.MIXED
    assert pod.grid_voltage_level is GridVoltageLevel.MV
    assert pod.receiver_coding_scheme_type is CodingScheme.EIC
    assert pod.contracted_power_secondary_pod == 50
    dumped = pod.model_dump(mode="json", by_alias=True)
    assert dumped["contractedPowerSecondaryPOD"] == 50
    assert dumped["meteringPointId"] == "IT001E12345678"
    assert PodCreate.model_validate(dumped) == pod


def test_pod_accepts_snake_case_names_and_strips_whitespace() -> None:
    pod = PodCreate.model_validate(
        {
            "receiver_id": TSO,
            "flexibility_service_provider_id": f"  {BSP} ",
            "metering_point_id": "IT001E12345678",
            "resource_name": " Warehouse ",
            "direction": "generation",
            "contracted_power": 80,
            "maximum_flex_up": 80,
            "maximum_flex_down": 0,
            "grid_voltage_level": "LV",
            "distribution_grid_operator_name": DSO,
            "start_date_time": 1_717_200_000,
        }
    )
    assert pod.flexibility_service_provider_id == BSP
    assert pod.resource_name == "Warehouse"
    assert pod.start_date_time.utcoffset() is not None


def test_pod_json_schema_uses_source_spelling() -> None:
    properties = PodCreate.model_json_schema(by_alias=True)["properties"]
    assert "contractedPowerSecondaryPOD" in properties
    assert "distributionGridOperatorName" in properties
    assert properties["contractedPower"]["description"].startswith('"Contracted Power"')


@pytest.mark.parametrize(
    ("changes", "field", "message_part"),
    [
        ({"contractedPower": -1}, "contractedPower", "greater than or equal to 0"),
        ({"maximumFlexDown": -5}, "maximumFlexDown", "greater than or equal to 0"),
        ({"contractedPowerSecondaryPOD": -1}, "contractedPowerSecondaryPOD", "greater than"),
        ({"contractedPower": 1.5}, "contractedPower", "integer"),
        ({"direction": "both"}, "direction", "consumption"),
        ({"gridVoltageLevel": "XV"}, "gridVoltageLevel", "LV"),
        ({"receiverCodingSchemeType": "A10"}, "receiverCodingSchemeType", "A01"),
        ({"receiverId": "10X1001A1001A346"}, "receiverId", "check character mismatch"),
        (
            {"flexibilityServiceProviderId": "21Z000000000164R"},
            "flexibilityServiceProviderId",
            "check character mismatch",
        ),
        ({"distributionGridOperatorName": "ENEL"}, "distributionGridOperatorName", "EIC"),
        ({"meteringPointId": "IT001X12345678"}, "meteringPointId", "not a valid POD code"),
        ({"accountingPointId": "12345"}, "accountingPointId", "not a valid POD code"),
        ({"maximumFlexUp": 401}, "maximumFlexUp", "exceeds contractedPower 400 kW"),
        ({"maximumFlexDown": 500}, "maximumFlexDown", "exceeds contractedPower 400 kW"),
        ({"startDateTime": "2024-06-01T00:00:00"}, "startDateTime", "timezone"),
        ({"endDateTime": "2024-05-01T00:00:00Z"}, "endDateTime", "after startDateTime"),
        ({"status": "Validated"}, "status", "Extra inputs are not permitted"),
        ({"contractedPowerSecondaryPod": 5}, "contractedPowerSecondaryPod", "Extra inputs"),
        ({"resourceName": "two\nlines"}, "resourceName", "control characters"),
        ({"resourceName": "x" * 201}, "resourceName", "at most 200"),
        ({"resourceName": "   "}, "resourceName", "at least 1"),
        ({"registrationPeriod": -1}, "registrationPeriod", "greater than or equal to 0"),
        ({"meteringPointId": None}, "meteringPointId", "Field required"),
    ],
)
def test_invalid_pod_names_the_field(
    changes: dict[str, Any], field: str, message_part: str
) -> None:
    data = pod_json()
    data.update(changes)
    data = {key: value for key, value in data.items() if value is not None}
    errors = errors_of(PodCreate, data)
    assert field in errors, errors
    assert message_part in errors[field]


def test_field_errors_drop_the_value_error_prefix() -> None:
    errors = errors_of(PodCreate, pod_json(receiverId="10X1001A1001A346"))
    assert errors["receiverId"] == "not a valid EIC code: check character mismatch"


def test_pod_update_is_a_patch() -> None:
    patch = PodUpdate.model_validate({"maximumFlexUp": 300, "locationId": "CNOR"})
    assert patch.model_dump(by_alias=True, exclude_unset=True) == {
        "maximumFlexUp": 300,
        "locationId": "CNOR",
    }
    updated = patch.apply_to(PodCreate.model_validate(pod_json()))
    assert updated.maximum_flex_up == 300
    assert updated.location_id == "CNOR"
    assert updated.resource_name == "Warehouse Milano 3"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"contractedPower": -1}, "contractedPower"),
        ({"receiverId": "10X1001A1001A34"}, "receiverId"),
        ({"contractedPower": 100, "maximumFlexUp": 101}, "maximumFlexUp"),
        ({"startDateTime": "2024-01-01T00:00:00"}, "startDateTime"),
        ({"resourceId": "x"}, "resourceId"),
    ],
)
def test_pod_update_validates_each_field(data: dict[str, Any], field: str) -> None:
    assert field in errors_of(PodUpdate, data)


def test_pod_update_rechecks_the_merged_pod() -> None:
    current = PodCreate.model_validate(pod_json())
    patch = PodUpdate.model_validate({"contractedPower": 100})
    with pytest.raises(ValidationError) as caught:
        patch.apply_to(current)
    fields = {error.field for error in field_errors_from_validation(caught.value)}
    assert fields == {"maximumFlexUp", "maximumFlexDown"}


def test_flex_device() -> None:
    device = FlexDeviceCreate.model_validate(
        {
            "parentResourceId": "pod-1",
            "resourceName": "Wallbox 1",
            "deviceType": "EVCharger",
            "contractedPower": 22,
            "maximumFlexUp": 22,
            "maximumFlexDown": 11,
        }
    )
    assert device.start_date_time is None
    errors = errors_of(
        FlexDeviceCreate,
        {
            "parentResourceId": "pod-1",
            "resourceName": "Wallbox 1",
            "deviceType": "EVCharger",
            "contractedPower": 22,
            "maximumFlexUp": 23,
            "maximumFlexDown": 11,
        },
    )
    assert set(errors) == {"maximumFlexUp"}
    assert "deviceType" in errors_of(
        FlexDeviceCreate, {"parentResourceId": "p", "resourceName": "r", "deviceType": "Fridge"}
    )


def test_pod_status_update_allows_only_bsp_statuses() -> None:
    base = {"flexResourceId": "pod-1", "flexibilityServiceProviderId": BSP, "receiverId": TSO}
    for label, status in (("Open", PodStatus.OPEN), ("UnderReview", PodStatus.UNDER_REVIEW)):
        update = PodStatusUpdate.model_validate({**base, "status": label})
        assert update.status is status
        assert update.model_dump(mode="json", by_alias=True)["status"] == label
    assert PodStatusUpdate.model_validate({**base, "status": PodStatus.OPEN}).status is (
        PodStatus.OPEN
    )
    for refused in ("Validated", "Verified", "Rejected", "Registered", "open", 2):
        errors = errors_of(PodStatusUpdate, {**base, "status": refused})
        assert set(errors) == {"status"}
        assert "Open or UnderReview" in errors["status"]


# --- attachments ------------------------------------------------------------------------------


def test_valid_pdf_attachment() -> None:
    attachment = AttachmentCreate.model_validate(attachment_json())
    assert attachment.content == PDF
    assert attachment.content is attachment.content  # decoded once, then cached
    assert MAX_ATTACHMENT_BYTES == 5 * 1024 * 1024


@pytest.mark.parametrize("mime", ["application/xml", "text/xml"])
def test_valid_xml_attachment_with_bom_and_whitespace(mime: str) -> None:
    content = b"\xef\xbb\xbf \r\n" + XML
    attachment = AttachmentCreate.model_validate(
        attachment_json(externalDocumentId="meter.XML", documentFile=b64(content), mimeType=mime)
    )
    assert attachment.content == content
    assert attachment.mime_type is MimeType(mime)


def test_attachment_of_exactly_five_mib_is_accepted() -> None:
    content = PDF + b"0" * (MAX_ATTACHMENT_BYTES - len(PDF))
    attachment = AttachmentCreate.model_validate(attachment_json(documentFile=b64(content)))
    assert len(attachment.content) == MAX_ATTACHMENT_BYTES


@pytest.mark.parametrize(
    ("changes", "field", "message_part"),
    [
        (
            {"documentFile": b64(PDF + b"0" * (MAX_ATTACHMENT_BYTES + 1 - len(PDF)))},
            "documentFile",
            "larger than 5242880 bytes",
        ),
        ({"documentFile": "A" * 7_000_000}, "documentFile", "larger than"),
        ({"documentFile": b64(b"PK\x03\x04 zip")}, "documentFile", "not a PDF"),
        (
            {
                "documentFile": b64(b"%PDF-1.7"),
                "externalDocumentId": "d.xml",
                "mimeType": "text/xml",
            },
            "documentFile",
            "not an XML document",
        ),
        ({"documentFile": "JVBERi0x!!"}, "documentFile", "not valid base64"),
        ({"documentFile": "JVBERi0"}, "documentFile", "not valid base64"),
        ({"documentFile": "JVBE Ri0x"}, "documentFile", "not valid base64"),
        ({"documentFile": "JVBERi0xé"}, "documentFile", "not valid base64"),
        ({"documentFile": ""}, "documentFile", "empty"),
        ({"externalDocumentId": "diagram.xml"}, "mimeType", "does not match the extension .xml"),
        ({"mimeType": "text/xml"}, "mimeType", "does not match the extension .pdf"),
        ({"mimeType": "image/png"}, "mimeType", "application/pdf"),
        ({"externalDocumentId": "diagram"}, "externalDocumentId", ".pdf or .xml"),
        ({"externalDocumentId": "diagram.docx"}, "externalDocumentId", ".pdf or .xml"),
        ({"externalDocumentId": "../etc/d.pdf"}, "externalDocumentId", "not a path"),
        ({"documentType": "Selfie"}, "documentType", "ConnectionDiagram"),
        ({"senderId": "21Z000000000163S"}, "senderId", "check character mismatch"),
    ],
)
def test_invalid_attachment_names_the_field(
    changes: dict[str, Any], field: str, message_part: str
) -> None:
    errors = errors_of(AttachmentCreate, attachment_json(**changes))
    assert field in errors, errors
    assert message_part in errors[field]


def test_attachment_update_replaces_the_document_as_a_whole() -> None:
    assert AttachmentUpdate.model_validate({"documentType": "Contract"}).content is None
    errors = errors_of(AttachmentUpdate, {"documentFile": b64(PDF)})
    assert set(errors) == {"externalDocumentId", "mimeType"}
    assert "required together with documentFile" in errors["mimeType"]
    patch = AttachmentUpdate.model_validate(
        {"externalDocumentId": "new.xml", "documentFile": b64(XML), "mimeType": "text/xml"}
    )
    assert patch.content == XML
    updated = patch.apply_to(AttachmentCreate.model_validate(attachment_json()))
    assert updated.external_document_id == "new.xml"
    assert updated.content == XML
    assert "documentFile" in errors_of(
        AttachmentUpdate,
        {"externalDocumentId": "new.pdf", "documentFile": b64(XML), "mimeType": "application/pdf"},
    )


# --- UVAM -------------------------------------------------------------------------------------


def test_valid_uvam_and_patch() -> None:
    uvam = UvamCreate.model_validate(uvam_json())
    assert uvam.maximum_qualified_power == 300
    assert uvam.end_date_time is None
    updated = UvamUpdate.model_validate({"name": "UVAM Nord 2"}).apply_to(uvam)
    assert updated.name == "UVAM Nord 2"
    assert updated.perimeter == "NORD"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"maximumQualifiedPower": -1}, "maximumQualifiedPower"),
        ({"minimumQualifiedPower": -1}, "minimumQualifiedPower"),
        ({"marketType": "MGP"}, "marketType"),
        ({"type": "UVAX"}, "type"),
        ({"technicalFlexibilityServiceProviderId": "X"}, "technicalFlexibilityServiceProviderId"),
        ({"endDateTime": "2024-07-01T00:00:00Z"}, "endDateTime"),
        ({"startDateTime": "2024-07-01T00:00:00"}, "startDateTime"),
        ({"perimeter": None}, "perimeter"),
    ],
)
def test_invalid_uvam_names_the_field(changes: dict[str, Any], field: str) -> None:
    assert field in errors_of(UvamCreate, uvam_json(**changes))


def test_uvam_update_checks_its_period() -> None:
    errors = errors_of(
        UvamUpdate,
        {"startDateTime": "2024-07-02T00:00:00Z", "endDateTime": "2024-07-01T00:00:00Z"},
    )
    assert set(errors) == {"endDateTime"}


def test_membership() -> None:
    membership = MembershipCreate.model_validate(
        {
            "resource": "pod-1",
            "resourceGroup": "uvam-1",
            "flexibilityServiceProviderId": BSP,
            "receiverId": TSO,
        }
    )
    assert membership.resource_group == "uvam-1"
    assert "resourceGroup" in errors_of(
        MembershipCreate,
        {"resource": "pod-1", "flexibilityServiceProviderId": BSP, "receiverId": TSO},
    )


def test_valid_connection() -> None:
    connection = ConnectionCreate.model_validate(
        connection_json(
            ipAddress="2001:DB8:0:0::1",
            externalDocumentId="params.xml",
            documentFile=b64(XML),
        )
    )
    assert connection.ip_address == "2001:db8::1"
    assert connection.content == XML
    assert ConnectionCreate.model_validate(connection_json()).content is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ipAddress": "300.1.1.1"}, "ipAddress"),
        ({"ipAddress": "controller.local"}, "ipAddress"),
        ({"ipAddress": "0.0.0.0"}, "ipAddress"),
        ({"type": "SCADA"}, "type"),
        ({"fullScaleMax": -500}, "fullScaleMax"),
        ({"fullScaleMin": 600}, "fullScaleMax"),
        ({"documentFile": b64(PDF)}, "externalDocumentId"),
        ({"documentFile": b64(XML), "externalDocumentId": "params.pdf"}, "documentFile"),
        ({"documentFile": "%%%", "externalDocumentId": "params.pdf"}, "documentFile"),
    ],
)
def test_invalid_connection_names_the_field(changes: dict[str, Any], field: str) -> None:
    assert field in errors_of(ConnectionCreate, connection_json(**changes))


def test_connection_update() -> None:
    patch = ConnectionUpdate.model_validate({"fullScaleMax": 900})
    current = ConnectionCreate.model_validate(connection_json())
    assert patch.apply_to(current).full_scale_max == 900
    assert "fullScaleMax" in errors_of(ConnectionUpdate, {"fullScaleMin": 5, "fullScaleMax": 5})


def test_uvam_status_update_allows_only_bsp_statuses() -> None:
    base = {"flexibilityServiceProviderId": BSP, "receiverId": TSO}
    update = UvamStatusUpdate.model_validate({**base, "status": "UnderReview"})
    assert update.status is UvamStatus.UNDER_REVIEW
    assert set(errors_of(UvamStatusUpdate, {**base, "status": "Qualified"})) == {"status"}


def test_end_relation() -> None:
    assert EndRelation.model_validate({"relationId": "rel-1"}).relation_id == "rel-1"
    assert "relationId" in errors_of(EndRelation, {"relationId": ""})


# --- decisions --------------------------------------------------------------------------------


def test_validation_decision() -> None:
    approval = ValidationDecision.model_validate(
        {"approve": True, "constraints": {"maxImportKw": 400, "maxExportKw": 0}}
    )
    assert approval.reasons == []
    assert approval.constraints == {"maxImportKw": 400, "maxExportKw": 0}
    rejection = ValidationDecision.model_validate(
        {"approve": False, "reasons": ["meter certificate expired"]}
    )
    assert rejection.reasons == ["meter certificate expired"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"approve": False}, "reasons"),
        ({"approve": False, "reasons": []}, "reasons"),
        ({"approve": False, "reasons": [""]}, "reasons.0"),
        ({"approve": True, "constraints": {"maxImportKw": -1}}, "constraints.maxImportKw"),
        ({"approve": True, "constraints": {"max import": 1}}, "constraints.max import.[key]"),
        ({"reasons": ["x"]}, "approve"),
    ],
)
def test_invalid_decision_names_the_field(data: dict[str, Any], field: str) -> None:
    assert field in errors_of(ValidationDecision, data)


def test_field_error_is_a_frozen_value() -> None:
    error = FieldError(field="receiverId", message="bad")
    assert error == FieldError("receiverId", "bad")
    with pytest.raises(AttributeError):
        error.field = "other"  # type: ignore[misc]
