"""Readable forms of indexed event arguments: statuses by label, EICs as text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from ledger.core.domain.enums import ActivationStatus, BidStatus, PodStatus, UvamStatus
from ledger.core.domain.identifiers import is_valid_eic

ZERO_HASH = "0x" + "00" * 32


#: The status enum of each contract's ``...StatusChanged`` event, by the event's first word.
STATUS_ENUMS: dict[str, type[IntEnum]] = {
    "Pod": PodStatus,
    "Uvam": UvamStatus,
    "Bid": BidStatus,
    "Activation": ActivationStatus,
}


def status_label(event: str, value: int) -> str:
    statuses = next(
        (enum for prefix, enum in STATUS_ENUMS.items() if event.startswith(prefix)), PodStatus
    )
    try:
        return str(statuses(value).label)  # type: ignore[attr-defined]
    except ValueError:
        return str(value)


def status_change(event: str, args: dict[str, Any]) -> tuple[int, int] | None:
    """(from, to) of a status change: the registry names them ``from``/``to``, the market
    ``fromStatus``/``toStatus``."""
    if not event.endswith("StatusChanged"):
        return None
    for before, after in (("from", "to"), ("fromStatus", "toStatus")):
        if before in args and after in args:
            return int(args[before]), int(args[after])
    return None


def readable(value: Any) -> Any:
    """A ``0x`` hex ``bytes16`` holding an EIC as the EIC; anything else unchanged."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 34:
        text = bytes.fromhex(value[2:]).rstrip(b"\x00").decode("ascii", errors="replace")
        if is_valid_eic(text):
            return text
    return value


def summary(event: str, args: dict[str, Any], *, skip: str | None = None) -> str:
    """One line about an event: ``Open -> UnderReview`` for status changes, else ``k=v`` pairs."""
    change = status_change(event, args)
    if change is not None:
        line = f"{status_label(event, change[0])} -> {status_label(event, change[1])}"
        detail = args.get("detailHash")
        return line if detail in (None, ZERO_HASH) else f"{line} detail={detail}"
    parts = [f"{key}={readable(value)}" for key, value in args.items() if key != skip]
    return " ".join(parts)


#: Words spelled as acronyms when an event's name is read out.
ACRONYMS = {"pod": "POD", "uvam": "UVAM", "tso": "TSO", "dso": "DSO", "bsp": "BSP", "ev": "EV"}


def event_label(event: str) -> str:
    """An event's name as a person reads it: ``PodRegistered`` -> ``POD registered``."""
    words = [word.lower() for word in re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", event)]
    spoken = [ACRONYMS.get(word, word) for word in words]
    if not spoken:
        return event
    return " ".join([spoken[0][:1].upper() + spoken[0][1:], *spoken[1:]])


def change_text(event: str, args: dict[str, Any]) -> str | None:
    """A status change in words: ``Status: Open → UnderReview``; the first one (from the
    empty status a record has before it exists) is ``Status: Registered``. None otherwise."""
    change = status_change(event, args)
    if change is None:
        return None
    before, after = change
    if before == 0:
        return f"Status: {status_label(event, after)}"
    return f"Status: {status_label(event, before)} → {status_label(event, after)}"


def timestamp_text(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
