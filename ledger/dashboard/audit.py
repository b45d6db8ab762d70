"""The auditor's search: a POD code (IT001E...), a UVAM name, a settlement id or any record id,
resolved to the record whose audit trail (``GET /audit/history/{id}``) holds its events.

A settlement's events on chain name its activation, so a settlement resolves to the history
of its activation. Ids and chain keys that match no row are still offered: the event index
may know them (a device, a relation, an attachment, a bid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from ledger.core.access import require_role
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.errors import InvalidInput
from ledger.market.tables import MarketActivation
from ledger.registry.tables import Pod, Uvam
from ledger.settlement.tables import Settlement

MAX_MATCHES = 20


@dataclass(frozen=True)
class AuditMatch:
    """One record the search found, and the id its audit trail is kept under."""

    kind: str
    id: str
    label: str
    history_id: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "label": self.label, "historyId": self.history_id}


def find_records(session: Session, organisation: Organisation, query: str) -> list[AuditMatch]:
    """Records matching ``query``: POD codes and UVAM names by prefix (any case), ids exactly."""
    require_role(organisation, Role.AUDITOR, Role.TSO, field="q")
    text = query.strip()
    if len(text) < 3:
        raise InvalidInput("type at least 3 characters of a POD code, name or id", field="q")
    prefix = f"{text.lower()}%"
    matches: list[AuditMatch] = []
    pods = session.exec(
        select(Pod)
        .where((func.lower(Pod.metering_point_id).like(prefix)) | (col(Pod.id) == text))
        .order_by(col(Pod.metering_point_id))
        .limit(MAX_MATCHES)
    ).all()
    matches += [
        AuditMatch("POD", pod.id, f"POD {pod.metering_point_id} · {pod.resource_name}", pod.id)
        for pod in pods
    ]
    uvams = session.exec(
        select(Uvam)
        .where((func.lower(Uvam.name).like(prefix)) | (col(Uvam.id) == text))
        .order_by(col(Uvam.name))
        .limit(MAX_MATCHES)
    ).all()
    matches += [AuditMatch("UVAM", uvam.id, f"UVAM {uvam.name}", uvam.id) for uvam in uvams]
    settlement = session.get(Settlement, text)
    if settlement is not None:
        matches.append(
            AuditMatch(
                "Settlement",
                settlement.id,
                f"Settlement version {settlement.version} of activation "
                f"{settlement.activation_id[:8]} ({settlement.status})",
                settlement.activation_id,
            )
        )
    activation = session.get(MarketActivation, text)
    if activation is not None:
        matches.append(
            AuditMatch(
                "Activation", activation.id, f"Activation {activation.id[:8]}", activation.id
            )
        )
    if not matches and (len(text) == 36 or (text.startswith("0x") and len(text) == 66)):
        matches.append(AuditMatch("Record", text, f"Record {text}", text))
    return matches[:MAX_MATCHES]
