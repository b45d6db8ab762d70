"""The payload of each kind of operation, as a pydantic model: one home for what an operation
carries from acceptance (API process) to its handler (worker and block follower).

The stored payload stays the JSON the service built (camelCase keys, hex strings): a model
only reads it. :func:`check` validates a payload when its operation is accepted, and a handler
parses the stored one with :func:`parse`; either names the field that is missing or wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from ledger.core.errors import InvalidInput
from ledger.payloads.base import OperationPayload
from ledger.payloads.market import MARKET_PAYLOADS
from ledger.payloads.p2p import P2P_PAYLOADS
from ledger.payloads.registration import REGISTRATION_PAYLOADS
from ledger.payloads.settlement import SETTLEMENT_PAYLOADS
from ledger.payloads.statements import STATEMENT_PAYLOADS

__all__ = [
    "PAYLOADS",
    "InvalidOperationPayload",
    "OperationPayload",
    "StoredOperation",
    "check",
    "parse",
    "read",
]

#: The payload model of every typed kind of operation.
PAYLOADS: Mapping[str, type[OperationPayload]] = {
    **REGISTRATION_PAYLOADS,
    **P2P_PAYLOADS,
    **SETTLEMENT_PAYLOADS,
    **STATEMENT_PAYLOADS,
    **MARKET_PAYLOADS,
}

P = TypeVar("P", bound=OperationPayload)


class InvalidOperationPayload(InvalidInput):
    """An operation's payload does not fit the model of its kind."""

    code = "invalid_operation_payload"


def parse(model: type[P], kind: str, payload: Mapping[str, Any]) -> P:
    """``payload`` of an operation of ``kind`` read into ``model``; InvalidOperationPayload
    (naming the field, e.g. ``payload.pods.0.recordHash``) when it does not fit."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(["payload", *(str(part) for part in problem["loc"])])
        raise InvalidOperationPayload(
            f"{where}: {problem['msg']} (operation kind {kind})", field=where
        ) from exc


def check(kind: str, payload: Mapping[str, Any]) -> OperationPayload | None:
    """Validate the payload of a new operation of ``kind`` against its model (None for a kind
    not typed yet)."""
    model = PAYLOADS.get(kind)
    return None if model is None else parse(model, kind, payload)


class StoredOperation(Protocol):
    """What :func:`read` needs of an operation row."""

    kind: str
    payload: dict[str, Any]


def read(operation: StoredOperation, model: type[P]) -> P:
    """The stored payload of ``operation`` (a handler's input), read into ``model``."""
    return parse(model, operation.kind, operation.payload)
