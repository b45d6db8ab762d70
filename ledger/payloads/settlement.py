"""Payloads of the settlement operations: recording a settlement (and a new version), the BSP's
answer, the TSO's confirmation of a dispute, and the finalisation of a lapsed window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.payloads.base import Hex32, OperationPayload


class SettlementRequest(OperationPayload):
    """The TSO asks for an activation's settlement; a worker computes it, then fills in the
    stored settlement's id, the activation's chain key and the settlement hash."""

    activation_id: str
    version: int
    request: dict[str, Any]
    method: dict[str, Any] | None
    answer_window_s: int
    settlement_id: str | None = None
    activation_key: Hex32 | None = None
    settlement_hash: Hex32 | None = None

    @property
    def computed(self) -> bool:
        return self.settlement_id is not None


class Resettlement(SettlementRequest):
    """A new version after a dispute, with the previous version it supersedes."""

    previous_id: str


class SettlementStep(OperationPayload):
    """A step on one version of a settlement: accept, confirm or finalise."""

    settlement_id: str
    activation_key: Hex32
    version: int


class SettlementDispute(SettlementStep):
    reason: str
    reason_hash: Hex32


class DisputeConfirmation(SettlementStep):
    #: The TSO's reply, kept with the version's history (off chain).
    reply: str | None


SETTLEMENT_PAYLOADS: Mapping[str, type[OperationPayload]] = {
    "settlement.record": SettlementRequest,
    "settlement.resettle": Resettlement,
    "settlement.accept": SettlementStep,
    "settlement.dispute": SettlementDispute,
    "settlement.confirm": DisputeConfirmation,
    "settlement.finalise": SettlementStep,
}
