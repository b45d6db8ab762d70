"""What the registry's services share: the POD or UVAM a BSP owns, the status changes the
receipts report, the record a refusal names (given to the core as a refusal context)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from ledger.core.access import may_see_registry_record
from ledger.core.chain.client import Receipt
from ledger.core.chain.errors import ContractRevert
from ledger.core.db.models import Organisation, utcnow
from ledger.core.domain.enums import PodStatus, UvamStatus
from ledger.core.errors import Forbidden, NotFound
from ledger.registry.tables import Pod, StatusChange, Uvam

#: Key of the organisations by address in a session's ``info`` (:func:`_actors`).
ACTORS = "cbp_registry_actors"


def not_editable_context(session: Session, revert: ContractRevert) -> dict[str, str]:
    """``RegistryNotEditable`` names a record but not its status: the POD or UVAM and its
    current status, for the refusal's sentence."""
    key = str(revert.arguments.get("id", ""))
    pod = session.exec(select(Pod).where(Pod.chain_key == key)).first()
    if pod is not None:
        return {"record": f"POD {pod.id}", "status": pod.status}
    uvam = session.exec(select(Uvam).where(Uvam.chain_key == key)).first()
    if uvam is not None:
        return {"record": f"UVAM {uvam.id}", "status": uvam.status}
    return {}


def owned_pod(session: Session, pod_id: str, organisation: Organisation) -> Pod:
    pod = session.get(Pod, pod_id)
    if pod is None or not may_see_registry_record(
        organisation, bsp_id=pod.bsp_id, dso_eic=pod.dso_eic
    ):
        raise NotFound(f"no POD {pod_id}", field="podId")
    if pod.bsp_id != organisation.id:
        raise Forbidden(f"POD {pod_id} belongs to another BSP", field="podId")
    return pod


def owned_uvam(session: Session, uvam_id: str, organisation: Organisation) -> Uvam:
    uvam = session.get(Uvam, uvam_id)
    if uvam is None or not may_see_registry_record(organisation, bsp_id=uvam.bsp_id, dso_eic=None):
        raise NotFound(f"no UVAM {uvam_id}", field="uvamId")
    if uvam.bsp_id != organisation.id:
        raise Forbidden(f"UVAM {uvam_id} belongs to another BSP", field="uvamId")
    return uvam


def sync_status_events(
    session: Session,
    receipts: Sequence[Receipt],
    *,
    reasons: list[str] | None = None,
    added: Sequence[Pod | Uvam] = (),
) -> None:
    """Apply the status transitions the receipts report to the mirrored rows and history
    (uncommitted, unflushed: the rows of every operation confirmed together are written in
    one go). ``added``: rows the caller has just added to the session (not looked up)."""
    changes: list[tuple[type[Pod] | type[Uvam], str, str, str, Any]] = []
    for receipt in receipts:
        for event in receipt.events:
            if event.name == "PodStatusChanged":
                labels = PodStatus(event.args["from"]).label, PodStatus(event.args["to"]).label
                changes.append((Pod, "0x" + event.args["podId"].hex(), *labels, event))
            elif event.name == "UvamStatusChanged":
                labels = UvamStatus(event.args["from"]).label, UvamStatus(event.args["to"]).label
                changes.append((Uvam, "0x" + event.args["uvamId"].hex(), *labels, event))
    if not changes:
        return
    actors = _actors(session)
    # One query per kind of row, not one per event (a multicall carries up to 200 of them).
    rows: dict[str, Pod | Uvam] = {row.chain_key: row for row in added}
    pod_keys = {key for kind, key, *_ in changes if kind is Pod and key not in rows}
    uvam_keys = {key for kind, key, *_ in changes if kind is Uvam and key not in rows}
    if pod_keys:
        rows.update(
            (pod.chain_key, pod)
            for pod in session.exec(select(Pod).where(col(Pod.chain_key).in_(pod_keys))).all()
        )
    if uvam_keys:
        rows.update(
            (uvam.chain_key, uvam)
            for uvam in session.exec(select(Uvam).where(col(Uvam.chain_key).in_(uvam_keys))).all()
        )
    for model, key, from_label, to_label, event in changes:
        row = rows[key]
        row.status = to_label
        row.updated_at = utcnow()
        session.add(
            StatusChange(
                resource_kind="pod" if model is Pod else "uvam",
                resource_id=row.id,
                from_status=from_label,
                to_status=to_label,
                actor_id=actors.get(event.args["actor"].lower(), event.args["actor"]),
                reasons=reasons if to_label == "Rejected" else None,
                transaction_hash=event.transaction_hash,
                block_number=event.block_number,
            )
        )


def _actors(session: Session) -> dict[str, str]:
    """Organisations' ids by lower-case address, read once per session (the operations one
    multicall carried are confirmed in one)."""
    actors = session.info.get(ACTORS)
    if actors is None:
        actors = {o.address.lower(): o.id for o in session.exec(select(Organisation)).all()}
        session.info[ACTORS] = actors
    return actors
