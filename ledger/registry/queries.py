"""Reads: lists with search and paging, details with history. Each row is checked for who may
see it: a BSP its own resources, a DSO the PODs on its grid, the TSO and auditors everything."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from ledger.core.access import may_see_registry_record
from ledger.core.db.models import Operation, Organisation
from ledger.core.domain.enums import Role
from ledger.core.errors import NotFound
from ledger.core.operations import public_views
from ledger.core.runtime import Runtime
from ledger.registry.access import visible_pods, visible_uvams
from ledger.registry.tables import Attachment, FlexDevice, Membership, Pod, StatusChange, Uvam

MAX_PAGE = 500


def _page(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE)), max(0, offset)


def list_pods(
    session: Session,
    organisation: Organisation,
    *,
    status: str | None = None,
    search: str | None = None,
    uvam_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    query = visible_pods(select(Pod), organisation)
    if status:
        query = query.where(Pod.status == status)
    if search:
        pattern = f"%{search}%"
        query = query.where(
            or_(col(Pod.metering_point_id).ilike(pattern), col(Pod.resource_name).ilike(pattern))
        )
    if uvam_id:
        query = query.join(Membership, col(Membership.pod_id) == col(Pod.id)).where(
            Membership.uvam_id == uvam_id,
            Membership.active == True,  # noqa: E712
        )
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    limit, offset = _page(limit, offset)
    rows = session.exec(
        query.order_by(col(Pod.created_at).desc(), col(Pod.id)).offset(offset).limit(limit)
    ).all()
    return {"data": [pod_view(p) for p in rows], "count": int(count)}


def list_uvams(
    session: Session,
    organisation: Organisation,
    *,
    status: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    query = visible_uvams(select(Uvam), organisation)
    if status:
        query = query.where(Uvam.status == status)
    if search:
        query = query.where(col(Uvam.name).ilike(f"%{search}%"))
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    limit, offset = _page(limit, offset)
    rows = session.exec(
        query.order_by(col(Uvam.created_at).desc(), col(Uvam.id)).offset(offset).limit(limit)
    ).all()
    return {"data": [uvam_view(u) for u in rows], "count": int(count)}


def pod_detail(session: Session, organisation: Organisation, pod_id: str) -> dict[str, Any]:
    pod = session.get(Pod, pod_id)
    if pod is None or not may_see_registry_record(
        organisation, bsp_id=pod.bsp_id, dso_eic=pod.dso_eic
    ):
        raise NotFound(f"no POD {pod_id}", field="podId")
    devices = session.exec(select(FlexDevice).where(FlexDevice.pod_id == pod.id)).all()
    relations = session.exec(select(Membership).where(Membership.pod_id == pod.id)).all()
    return {
        **pod_view(pod),
        "flexDevices": [
            {"id": d.id, "chainKey": d.chain_key, "recordHash": d.record_hash, **d.record}
            for d in devices
        ],
        "attachments": attachments_of(session, "pod", pod.id),
        "relations": [membership_view(m) for m in relations],
        "history": history(session, pod.id),
    }


def uvam_detail(session: Session, organisation: Organisation, uvam_id: str) -> dict[str, Any]:
    uvam = session.get(Uvam, uvam_id)
    if uvam is None or not may_see_registry_record(organisation, bsp_id=uvam.bsp_id, dso_eic=None):
        raise NotFound(f"no UVAM {uvam_id}", field="uvamId")
    members = session.exec(select(Membership).where(Membership.uvam_id == uvam.id)).all()
    return {
        **uvam_view(uvam),
        "connection": uvam.connection and {k: v for k, v in uvam.connection.items() if k != "salt"},
        "connectionHash": uvam.connection_hash,
        "members": [membership_view(m) for m in members],
        "attachments": attachments_of(session, "uvam", uvam.id),
        "history": history(session, uvam.id),
    }


def attachment_row(session: Session, organisation: Organisation, attachment_id: str) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is not None:
        owner = (
            session.get(Pod, row.owner_id)
            if row.owner_kind == "pod"
            else session.get(Uvam, row.owner_id)
        )
        dso = owner.dso_eic if isinstance(owner, Pod) else None
        if owner is not None and may_see_registry_record(
            organisation, bsp_id=owner.bsp_id, dso_eic=dso
        ):
            return row
    raise NotFound(f"no attachment {attachment_id}", field="attachmentId")


def attachments_of(session: Session, owner_kind: str, owner_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Attachment).where(
            Attachment.owner_kind == owner_kind, Attachment.owner_id == owner_id
        )
    ).all()
    return [
        {"id": a.id, "chainKey": a.chain_key, "metadataHash": a.metadata_hash, **a.metadata_record}
        for a in rows
    ]


def history(session: Session, resource_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(StatusChange)
        .where(StatusChange.resource_id == resource_id)
        .order_by(col(StatusChange.id))
    ).all()
    return [
        {
            "from": None if h.from_status == "None" else h.from_status,
            "to": h.to_status,
            "actor": h.actor_id,
            "reasons": h.reasons,
            "transactionHash": h.transaction_hash,
            "blockNumber": h.block_number,
            "at": h.at.isoformat(),
        }
        for h in rows
    ]


def list_operations(
    runtime: Runtime,
    session: Session,
    organisation: Organisation,
    *,
    status: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    query = select(Operation).where(Operation.organisation_id == organisation.id)
    if status:
        query = query.where(Operation.status == status)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    limit, offset = _page(limit, offset)
    rows = session.exec(
        query.order_by(col(Operation.created_at).desc()).offset(offset).limit(limit)
    ).all()
    return {"data": public_views(runtime, session, rows), "count": int(count)}


def review_queue(session: Session, organisation: Organisation) -> dict[str, Any]:
    """What waits for this organisation's decision."""
    if organisation.role == Role.TSO:
        pods = session.exec(select(Pod).where(Pod.status == "UnderReview")).all()
        uvams = session.exec(select(Uvam).where(Uvam.status == "UnderReview")).all()
    elif organisation.role == Role.DSO:
        pods = session.exec(
            select(Pod).where(Pod.status == "Verified", Pod.dso_eic == organisation.eic)
        ).all()
        uvams = []
    else:
        pods, uvams = [], []
    return {"pods": [pod_view(p) for p in pods], "uvams": [uvam_view(u) for u in uvams]}


def pod_view(pod: Pod) -> dict[str, Any]:
    return {
        "id": pod.id,
        "status": pod.status,
        "bsp": pod.bsp_id,
        "chainKey": pod.chain_key,
        "recordHash": pod.record_hash,
        "constraints": pod.constraints,
        "reasons": pod.reasons,
        "createdAt": pod.created_at.isoformat(),
        "updatedAt": pod.updated_at.isoformat(),
        **pod.record,
    }


def uvam_view(uvam: Uvam) -> dict[str, Any]:
    return {
        "id": uvam.id,
        "status": uvam.status,
        "bsp": uvam.bsp_id,
        "chainKey": uvam.chain_key,
        "recordHash": uvam.record_hash,
        "reasons": uvam.reasons,
        "createdAt": uvam.created_at.isoformat(),
        "updatedAt": uvam.updated_at.isoformat(),
        **uvam.record,
    }


def membership_view(m: Membership) -> dict[str, Any]:
    return {
        "relationId": m.id,
        "resource": m.pod_id,
        "resourceGroup": m.uvam_id,
        "active": m.active,
        "chainKey": m.chain_key,
        "startedAt": m.started_at.isoformat(),
        "endedAt": m.ended_at.isoformat() if m.ended_at else None,
    }
