"""TSO verification and DSO validation of PODs, TSO qualification of UVAMs.

A decision comes either from a person (the TSO's or DSO's dashboard or system, through the API)
or from the automatic flows the workers run when a resource is sent for review. Both go through
:func:`decide_pod` / :func:`decide_uvam`, and the contracts check who may decide what.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils import keccak
from sqlmodel import Session, func, select

from ledger.core import operations
from ledger.core.access import may_see_registry_record
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, simulate
from ledger.core.db.models import Operation, Organisation
from ledger.core.domain.canonical import canonical_json
from ledger.core.domain.enums import PodStatus, Role
from ledger.core.errors import Forbidden, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.runtime import Runtime
from ledger.payloads import read
from ledger.payloads.registration import PodDecision, UvamDecision
from ledger.registry.common import sync_status_events
from ledger.registry.rules import pod_validation_reasons, uvam_qualification_reasons
from ledger.registry.schemas import PodCreate, UvamCreate, ValidationDecision
from ledger.registry.tables import Pod, StatusChange, Uvam
from ledger.registry.uvams import active_members

REGISTRY = "ResourceRegistry"
TASK_DSO_VALIDATE_POD = "cbp.flows.dso_validate_pod"
ERROR_FIELDS = {
    "RegistryInvalidPodTransition": "status",
    "RegistryInvalidUvamTransition": "status",
    "RegistryNotCompetentDso": "podId",
    "RegistryUnauthorized": "approve",
}


def detail_hash(detail: dict[str, Any]) -> str:
    """Hash of the reasons or constraints recorded with a decision (no personal data in them)."""
    return "0x" + keccak(canonical_json(detail)).hex()


def decide_pod(
    runtime: Runtime,
    session: Session,
    *,
    actor: Organisation,
    pod_id: str,
    decision: ValidationDecision,
    idempotency_key: str | None = None,
) -> Operation:
    """The TSO verifies (UnderReview) or the competent DSO validates (Verified) a POD."""
    pod = session.get(Pod, pod_id)
    # A DSO outside the POD's grid is told what GET tells it: no such POD (a 403 would leak it).
    if pod is None or not may_see_registry_record(actor, bsp_id=pod.bsp_id, dso_eic=pod.dso_eic):
        raise NotFound(f"no POD {pod_id}", field="podId")
    if actor.role not in {Role.TSO, Role.DSO}:
        raise Forbidden("only the TSO or the POD's DSO decide on a POD", field="approve")
    detail: dict[str, Any]
    if not decision.approve:
        kind, detail = "pod.reject", {"reasons": list(decision.reasons)}
    elif actor.role == Role.TSO:
        kind, detail = "pod.verify", {}
    else:
        constraints = decision.constraints or default_constraints(
            PodCreate.model_validate(pod.record)
        )
        kind, detail = "pod.validate", {"constraints": dict(constraints)}
    operation = operations.accept(
        session,
        organisation=actor,
        kind=kind,
        target_id=pod.id,
        idempotency_key=idempotency_key,
        payload={"podId": pod.id, **detail, "detailHash": detail_hash(detail) if detail else None},
    )
    simulate(
        runtime, actor, PodDecisionHandler().calls(session, operation), error_fields=ERROR_FIELDS
    )
    return operation


def decide_uvam(
    runtime: Runtime,
    session: Session,
    *,
    actor: Organisation,
    uvam_id: str,
    decision: ValidationDecision,
    idempotency_key: str | None = None,
) -> Operation:
    """The TSO qualifies a UVAM under review for the market, or rejects it with reasons."""
    uvam = session.get(Uvam, uvam_id)
    if uvam is None:
        raise NotFound(f"no UVAM {uvam_id}", field="uvamId")
    if actor.role != Role.TSO:
        raise Forbidden("only the TSO qualifies a UVAM", field="approve")
    detail: dict[str, Any] = {} if decision.approve else {"reasons": list(decision.reasons)}
    operation = operations.accept(
        session,
        organisation=actor,
        kind="uvam.qualify" if decision.approve else "uvam.reject",
        target_id=uvam.id,
        idempotency_key=idempotency_key,
        payload={
            "uvamId": uvam.id,
            **detail,
            "detailHash": detail_hash(detail) if detail else None,
        },
    )
    simulate(
        runtime, actor, UvamDecisionHandler().calls(session, operation), error_fields=ERROR_FIELDS
    )
    return operation


def default_constraints(pod: PodCreate) -> dict[str, int]:
    """Static constraints a DSO records when it declares none: the contracted limits."""
    exports = pod.contracted_power if pod.direction != "consumption" else 0
    return {"maxImportKw": pod.contracted_power, "maxExportKw": exports}


# ------------------------------------------------------------------- automatic flows


def _review_round(session: Session, resource_id: str) -> int:
    """How many transitions the resource has had: names one review round for idempotency."""
    count = session.exec(
        select(func.count())
        .select_from(StatusChange)
        .where(StatusChange.resource_id == resource_id)
    ).one()
    return int(count)


def tso_verify_pod(runtime: Runtime, pod_id: str) -> str | None:
    """The TSO's automatic checks of a POD under review; returns the decision's operation id."""
    with runtime.session() as session:
        pod = session.get(Pod, pod_id)
        if (
            pod is None
            or pod.status != PodStatus.UNDER_REVIEW.label
            or not runtime.settings.auto_review
        ):
            return None
        tso = session.exec(select(Organisation).where(Organisation.role == Role.TSO)).one()
        reasons = pod_validation_reasons(PodCreate.model_validate(pod.record), dso_eic=pod.dso_eic)
        operation = decide_pod(
            runtime,
            session,
            actor=tso,
            pod_id=pod.id,
            decision=ValidationDecision(approve=not reasons, reasons=reasons),
            idempotency_key=f"tso-verify:{pod.id}:{_review_round(session, pod.id)}",
        )
    operations.submit(runtime, operation)
    return operation.id


def dso_validate_pod(runtime: Runtime, pod_id: str) -> str | None:
    """The DSO's automatic checks of a POD the TSO verified."""
    with runtime.session() as session:
        pod = session.get(Pod, pod_id)
        if (
            pod is None
            or pod.status != PodStatus.VERIFIED.label
            or not runtime.settings.auto_review
        ):
            return None
        dso = session.exec(select(Organisation).where(Organisation.eic == pod.dso_eic)).one()
        record = PodCreate.model_validate(pod.record)
        reasons = pod_validation_reasons(record, dso_eic=dso.eic)
        operation = decide_pod(
            runtime,
            session,
            actor=dso,
            pod_id=pod.id,
            decision=ValidationDecision(approve=not reasons, reasons=reasons),
            idempotency_key=f"dso-validate:{pod.id}:{_review_round(session, pod.id)}",
        )
    operations.submit(runtime, operation)
    return operation.id


def tso_qualify_uvam(runtime: Runtime, uvam_id: str) -> str | None:
    """The TSO's automatic qualification checks of a UVAM under review."""
    with runtime.session() as session:
        uvam = session.get(Uvam, uvam_id)
        if uvam is None or uvam.status != "UnderReview" or not runtime.settings.auto_review:
            return None
        tso = session.exec(select(Organisation).where(Organisation.role == Role.TSO)).one()
        members = [
            (
                p.metering_point_id,
                PodStatus.from_label(p.status),
                int(p.record["maximumFlexUp"]),
                int(p.record["maximumFlexDown"]),
            )
            for p in active_members(session, uvam.id)
        ]
        reasons = uvam_qualification_reasons(
            uvam=UvamCreate.model_validate(uvam.record),
            members=members,
            minimum_qualified_kw=runtime.settings.minimum_uvam_qualified_kw,
        )
        operation = decide_uvam(
            runtime,
            session,
            actor=tso,
            uvam_id=uvam.id,
            decision=ValidationDecision(approve=not reasons, reasons=reasons),
            idempotency_key=f"tso-qualify:{uvam.id}:{_review_round(session, uvam.id)}",
        )
    operations.submit(runtime, operation)
    return operation.id


# ------------------------------------------------------------------------- handlers


class PodDecisionHandler(Handler):
    """pod.verify (TSO), pod.validate (DSO) and pod.reject (either)."""

    kind = "pod.decision"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        decision = read(operation, PodDecision)
        pod = session.get(Pod, decision.pod_id)
        assert pod is not None
        key = bytes32(pod.chain_key)
        if operation.kind == "pod.verify":
            return [Call(REGISTRY, "verifyPod", (key,))]
        if operation.kind == "pod.validate":
            return [Call(REGISTRY, "validatePod", (key, decision.detail_bytes))]
        return [Call(REGISTRY, "rejectPod", (key, decision.detail_bytes))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        decision = read(operation, PodDecision)
        sync_status_events(session, receipts, reasons=decision.reasons)
        if not receipts:
            return []
        pod = session.get(Pod, decision.pod_id)
        assert pod is not None
        if operation.kind == "pod.validate":
            pod.constraints = decision.constraints
        if operation.kind == "pod.reject":
            pod.reasons = decision.reasons
        if operation.kind == "pod.verify":
            return [FollowUp(TASK_DSO_VALIDATE_POD, {"pod_id": pod.id})]
        return []


class UvamDecisionHandler(Handler):
    """uvam.qualify and uvam.reject (TSO)."""

    kind = "uvam.decision"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        decision = read(operation, UvamDecision)
        uvam = session.get(Uvam, decision.uvam_id)
        assert uvam is not None
        key = bytes32(uvam.chain_key)
        if operation.kind == "uvam.qualify":
            return [Call(REGISTRY, "qualifyUvam", (key,))]
        return [Call(REGISTRY, "rejectUvam", (key, decision.detail_bytes))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        decision = read(operation, UvamDecision)
        sync_status_events(session, receipts, reasons=decision.reasons)
        if receipts and operation.kind == "uvam.reject":
            uvam = session.get(Uvam, decision.uvam_id)
            assert uvam is not None
            uvam.reasons = decision.reasons
        return []
