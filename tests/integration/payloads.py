"""Valid request bodies of the CBP connector, for the integration tests.

Each builder returns a fresh ``dict`` that the API accepts as it is; a test changes one field to
make it invalid. Field names are the source's camelCase (FLOW D5.5 Tables 3-16).
"""

from __future__ import annotations

import base64
from typing import Any

from cli.flows import pod_code

TSO_EIC = "10X1001A1001A345"
START = "2025-01-01T00:00:00+01:00"

#: The smallest document the platform accepts as application/pdf: it starts with ``%PDF-``.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)

#: A POD code (``IT001E`` + 8 digits) not handed out before in this process: one generator for
#: the tests, the fault suite and the load generator, so their codes never collide.
metering_point_id = pod_code


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def pdf(marker: str = "") -> bytes:
    """A tiny valid PDF; ``marker`` makes its bytes (and hash) distinct."""
    return PDF_BYTES + f"% {marker}\n".encode() if marker else PDF_BYTES


def pod_body(bsp_eic: str, dso_eic: str, **changes: Any) -> dict[str, Any]:
    """Register Flex Resource (service 1): a POD that the TSO and the DSO will accept."""
    code = changes.pop("meteringPointId", None) or metering_point_id()
    body: dict[str, Any] = {
        "registrationPeriod": 1_735_686_000,
        "receiverId": TSO_EIC,
        "receiverCodingSchemeType": "A01",
        "flexibilityServiceProviderId": bsp_eic,
        "flexibilityServiceProviderCodingSchemeType": "A01",
        "meteringPointId": code,
        "locationId": "Milano Nord",
        "brpContractId": "DC-2025-001",
        "resourceName": f"Site {code}",
        "direction": "mixed",
        "contractedPower": 80,
        "maximumFlexUp": 30,
        "maximumFlexDown": 40,
        "gridVoltageLevel": "LV",
        "distributionGridOperatorName": dso_eic,
        "startDateTime": START,
    }
    body.update(changes)
    return body


def flex_device_body(pod_id: str, **changes: Any) -> dict[str, Any]:
    """Register Flex Resource (service 1): a flex device behind the POD ``pod_id``."""
    body: dict[str, Any] = {
        "parentResourceId": pod_id,
        "resourceName": "EV charger 1",
        "deviceType": "EVCharger",
        "contractedPower": 22,
        "maximumFlexUp": 11,
        "maximumFlexDown": 22,
        "startDateTime": START,
    }
    body.update(changes)
    return body


def pod_status_body(pod_id: str, status: str, bsp_eic: str) -> dict[str, Any]:
    """Update Resource Status (service 5)."""
    return {
        "registrationPeriod": 1_735_686_000,
        "flexResourceId": pod_id,
        "status": status,
        "flexibilityServiceProviderId": bsp_eic,
        "receiverId": TSO_EIC,
    }


def attachment_body(sender_eic: str, content: bytes = PDF_BYTES, **changes: Any) -> dict[str, Any]:
    """Create Attachment (services 3 and 9): a PDF connection diagram."""
    body: dict[str, Any] = {
        "senderId": sender_eic,
        "senderCodingSchemeType": "A01",
        "receiverId": TSO_EIC,
        "receiverCodingSchemeType": "A01",
        "externalDocumentId": "diagram.pdf",
        "documentFile": b64(content),
        "documentType": "ConnectionDiagram",
        "mimeType": "application/pdf",
    }
    body.update(changes)
    return body


def uvam_body(bsp_eic: str, **changes: Any) -> dict[str, Any]:
    """Register Resource Group (service 6): a UVAM that one default POD can cover."""
    body: dict[str, Any] = {
        "flexibilityServiceProviderId": bsp_eic,
        "flexibilityServiceProviderCodingSchemeType": "A01",
        "receiverId": TSO_EIC,
        "receiverCodingSchemeType": "A01",
        "type": "UVAM",
        "name": f"UVAM {metering_point_id()[-6:]}",
        "perimeter": "NORD",
        "maximumQualifiedPower": 25,
        "minimumQualifiedPower": 35,
        "marketType": "MSD",
        "period": "2025",
        "startDateTime": START,
    }
    body.update(changes)
    return body


def uvam_status_body(status: str, bsp_eic: str, **changes: Any) -> dict[str, Any]:
    """Update Resource Group Status (service 13)."""
    body: dict[str, Any] = {
        "status": status,
        "flexibilityServiceProviderId": bsp_eic,
        "receiverId": TSO_EIC,
    }
    body.update(changes)
    return body


def membership_body(pod_id: str, uvam_id: str, bsp_eic: str) -> dict[str, Any]:
    """Register Resource in Resource Group (service 8)."""
    return {
        "resource": pod_id,
        "resourceGroup": uvam_id,
        "flexibilityServiceProviderId": bsp_eic,
        "flexibilityServiceProviderCodingSchemeType": "A01",
        "receiverId": TSO_EIC,
        "receiverCodingSchemeType": "A01",
    }


def connection_body(uvam_id: str, bsp_eic: str, **changes: Any) -> dict[str, Any]:
    """Register Connection (service 11), with its PDF document."""
    body: dict[str, Any] = {
        "resourceGroupId": uvam_id,
        "type": "IEC104",
        "manufacturer": "ABB",
        "ipAddress": "10.20.30.40",
        "fullScaleMin": -100,
        "fullScaleMax": 500,
        "externalDocumentId": "connection.pdf",
        "documentFile": b64(pdf("connection")),
        "flexibilityServiceProviderId": bsp_eic,
        "receiverId": TSO_EIC,
        "receiverCodingSchemeType": "A01",
    }
    body.update(changes)
    return body


def decision_body(approve: bool, *reasons: str, **changes: Any) -> dict[str, Any]:
    """A TSO/DSO decision on a POD or a UVAM."""
    body: dict[str, Any] = {"approve": approve, "reasons": list(reasons)}
    body.update(changes)
    return body
