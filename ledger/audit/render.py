"""Readable forms of indexed event arguments: statuses by label, EICs as text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledger.domain.enums import PodStatus, UvamStatus
from ledger.domain.identifiers import is_valid_eic

ZERO_HASH = "0x" + "00" * 32


def status_label(event: str, value: int) -> str:
    statuses = UvamStatus if event.startswith("Uvam") else PodStatus
    try:
        return statuses(value).label
    except ValueError:
        return str(value)


def readable(value: Any) -> Any:
    """A ``0x`` hex ``bytes16`` holding an EIC as the EIC; anything else unchanged."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 34:
        text = bytes.fromhex(value[2:]).rstrip(b"\x00").decode("ascii", errors="replace")
        if is_valid_eic(text):
            return text
    return value


def summary(event: str, args: dict[str, Any], *, skip: str | None = None) -> str:
    """One line about an event: ``Open -> UnderReview`` for status changes, else ``k=v`` pairs."""
    if event.endswith("StatusChanged"):
        line = f"{status_label(event, args['from'])} -> {status_label(event, args['to'])}"
        detail = args.get("detailHash")
        return line if detail in (None, ZERO_HASH) else f"{line} detail={detail}"
    parts = [f"{key}={readable(value)}" for key, value in args.items() if key != skip]
    return " ".join(parts)


def timestamp_text(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
