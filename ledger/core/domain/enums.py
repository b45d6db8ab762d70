"""Enumerations of the registration protocol (FLOW D5.5 Tables 3-16) and of the platform.

String enums carry the value the source spells on the wire; the status enums are ``IntEnum``s
whose order mirrors the Solidity enums on chain, with ``label`` giving the source's spelling.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self

from eth_utils.crypto import keccak

__all__ = [
    "CodingScheme",
    "ConnectionType",
    "DeviceType",
    "Direction",
    "DocumentType",
    "GridVoltageLevel",
    "MarketType",
    "MimeType",
    "PodStatus",
    "ResourceType",
    "Role",
    "UvamStatus",
    "UvamType",
]


class _LabelledStatus(IntEnum):
    """A status stored on chain as its integer and spoken in the API as its label."""

    @property
    def label(self) -> str:
        """The source's spelling: ``UNDER_REVIEW`` -> ``"UnderReview"``."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    @classmethod
    def from_label(cls, label: str) -> Self:
        """The member whose :attr:`label` is exactly ``label``; ``ValueError`` otherwise."""
        for member in cls:
            if member.label == label:
                return member
        allowed = ", ".join(member.label for member in cls)
        raise ValueError(f"unknown status {label!r}; expected one of {allowed}")


class PodStatus(_LabelledStatus):
    """POD status flow (FLOW D5.5 section 3, steps 1-8); mirrors the Solidity enum.

    "the BSP registers the POD and its flex devices (`Registered`); attachments and data make it
    `Open` (data may change only while Open); the BSP asks for review (`UnderReview`); the TSO
    verifies; the DSO [...] records static constraints per POD, and the POD becomes `Validated`
    (or is rejected, with reasons)."
    """

    NONE = 0
    REGISTERED = 1
    OPEN = 2
    UNDER_REVIEW = 3
    VERIFIED = 4
    VALIDATED = 5
    REJECTED = 6


class UvamStatus(_LabelledStatus):
    """UVAM (resource group) status flow: "same shape; [...] after review the TSO qualifies it
    for the market." Mirrors the Solidity enum."""

    NONE = 0
    REGISTERED = 1
    OPEN = 2
    UNDER_REVIEW = 3
    QUALIFIED = 4
    REJECTED = 5


class BidStatus(_LabelledStatus):
    """Bid states (InterConnect §3.2.5 plus the platform's): mirrors ``FlexMarket.BidStatus``."""

    NONE = 0
    RECEIVED = 1
    ACTIVE = 2
    SUSPENDED = 3
    EXPIRED = 4
    SELECTED = 5
    REJECTED = 6
    WITHDRAWN = 7
    BLOCKED = 8


class DsoOutcome(_LabelledStatus):
    """A DSO's verdict on a bid (traffic light: green, amber, red)."""

    CLEARED = 0
    CAPPED = 1
    BLOCKED = 2


class ActivationStatus(_LabelledStatus):
    """Activation states (InterConnect §3.2.6 plus stop and lapse): mirrors the contract."""

    NONE = 0
    SENT = 1
    ACCEPTED = 2
    CANCELLED = 3
    STOPPED = 4
    LAPSED = 5


class Role(StrEnum):
    """The role an organisation holds on the platform (one per chain account)."""

    TSO = "TSO"
    DSO = "DSO"
    BSP = "BSP"
    OPERATOR = "OPERATOR"
    AUDITOR = "AUDITOR"

    @property
    def chain_role_id(self) -> bytes:
        """The 32-byte role id used by the contracts: ``keccak256("<ROLE>_ROLE")``."""
        return keccak(text=f"{self.value}_ROLE")


class Direction(StrEnum):
    """``direction``: "Type of POD" - consumption, generation or mixed."""

    CONSUMPTION = "consumption"
    GENERATION = "generation"
    MIXED = "mixed"


class ResourceType(StrEnum):
    """``resourceType``: a grid connection point (POD) or a flex device behind it."""

    POD = "POD"
    FLEX_DEVICE = "FlexDevice"


class DeviceType(StrEnum):
    """``deviceType`` of a flex device registered under a POD."""

    EV_CHARGER = "EVCharger"
    BATTERY = "Battery"
    HEAT_PUMP = "HeatPump"
    PV = "PV"
    OTHER = "Other"


class GridVoltageLevel(StrEnum):
    """``gridVoltageLevel``: "Level of Voltage" of the connection."""

    LV = "LV"
    MV = "MV"
    HV = "HV"


class CodingScheme(StrEnum):
    """ENTSO-E ``codingScheme`` of an identifier (``...CodingSchemeType`` fields)."""

    EIC = "A01"
    NATIONAL_IT = "NIT"


class MarketType(StrEnum):
    """``marketType`` a UVAM is qualified for."""

    MSD = "MSD"  # Mercato per il Servizio di Dispacciamento: Italian ancillary services market
    MB = "MB"  # Mercato di Bilanciamento: balancing market


class UvamType(StrEnum):
    """``type`` of a resource group: mixed (UVAM), consumption-only (UVAC), production-only
    (UVAP)."""

    UVAM = "UVAM"
    UVAC = "UVAC"
    UVAP = "UVAP"


class DocumentType(StrEnum):
    """``documentType`` of an attachment."""

    CONNECTION_DIAGRAM = "ConnectionDiagram"
    METER_CERTIFICATE = "MeterCertificate"
    TECHNICAL_DATASHEET = "TechnicalDatasheet"
    CONTRACT = "Contract"
    OTHER = "Other"


class MimeType(StrEnum):
    """``mimeType`` of an attachment: "The connector UI accepts PDF or XML"."""

    PDF = "application/pdf"
    XML = "application/xml"
    TEXT_XML = "text/xml"


class ConnectionType(StrEnum):
    """``type`` of a UVAM connection (Tables 13-14): the telecontrol protocol."""

    IEC104 = "IEC104"
    IEC61850 = "IEC61850"
    MODBUS_TCP = "ModbusTCP"
    HTTPS = "HTTPS"
