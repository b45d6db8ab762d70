"""PODs and their flex devices: services 1, 2 and 5 of the CBP connector, and mass loading."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, or_, select

from ledger.core import operations
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import add_or_conflict, bytes32, chunks, events_named, seal, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.enums import PodStatus, Role
from ledger.core.domain.errors import FieldError, field_errors_from_validation
from ledger.core.domain.identifiers import eic_to_bytes16
from ledger.core.errors import Conflict, Forbidden, InvalidInput
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id
from ledger.core.runtime import Runtime
from ledger.payloads import read
from ledger.payloads.registration import (
    DeviceRegistration,
    PodRecordUpdate,
    PodRegistration,
    PodStatusChange,
)
from ledger.registry.common import owned_pod, sync_status_events
from ledger.registry.schemas import FlexDeviceCreate, PodCreate, PodStatusUpdate, PodUpdate
from ledger.registry.tables import FlexDevice, MeteringPointClaim, Pod

REGISTRY = "ResourceRegistry"
TASK_TSO_VERIFY_POD = "cbp.flows.tso_verify_pod"

POD_ERROR_FIELDS = {
    "RegistryUnknownDso": "distributionGridOperatorName",
    "RegistryInvalidPodTransition": "status",
    "RegistryNotEditable": "status",
    "RegistryNotOwner": "podId",
    "RegistryUnauthorized": "flexibilityServiceProviderId",
    "RegistryAlreadyExists": "podId",
    "RegistryUnknownId": "podId",
}


def pod_record(pod: PodCreate) -> dict[str, Any]:
    return pod.model_dump(mode="json", by_alias=True, exclude_none=True)


def pod_problems(session: Session, bsp: Organisation, pod: PodCreate) -> list[FieldError]:
    """What the platform refuses in a POD that is valid on its own."""
    problems = []
    if pod.flexibility_service_provider_id != bsp.eic:
        problems.append(FieldError("flexibilityServiceProviderId", "must be your own EIC"))
    # the TSO, and the organisation the POD names as its DSO: one query
    named = {
        (role, eic)
        for role, eic in session.exec(
            select(Organisation.role, Organisation.eic).where(
                or_(
                    col(Organisation.role) == Role.TSO,
                    col(Organisation.eic) == pod.distribution_grid_operator_name,
                )
            )
        )
    }
    if (Role.TSO, pod.receiver_id) not in named:
        problems.append(FieldError("receiverId", "must be the EIC of this platform's TSO"))
    if (Role.DSO, pod.distribution_grid_operator_name) not in named:
        problems.append(
            FieldError("distributionGridOperatorName", "no DSO with this EIC on the platform")
        )
    claim = session.get(MeteringPointClaim, pod.metering_point_id)
    if claim is not None:
        problems.append(FieldError("meteringPointId", f"already registered as POD {claim.pod_id}"))
    return problems


def register_pods(
    runtime: Runtime, session: Session, *, bsp: Organisation, pods: Sequence[PodCreate]
) -> Operation:
    """Register one POD (service 1) or many (mass loading) in one operation."""
    if bsp.role != Role.BSP:
        raise Forbidden("only a BSP registers PODs", field="flexibilityServiceProviderId")
    for pod in pods:
        problems = pod_problems(session, bsp, pod)
        if problems:
            raise _as_error(
                problems[0], Forbidden if problems[0].field.startswith("flex") else None
            )
    items = []
    for pod in pods:
        pod_id = new_id()
        items.append({"id": pod_id, "chainKey": chain_key("pod", pod_id), **seal(pod_record(pod))})
    # Dry-run before writing anything: the node's answer is not waited for while this
    # request holds the database's write lock (SQLite) or its rows' locks.
    draft = Operation(
        id="draft", organisation_id=bsp.id, kind="pod.register", payload={"pods": items}
    )
    simulate(runtime, bsp, PodRegister().calls(session, draft), error_fields=POD_ERROR_FIELDS)
    for pod, item in zip(pods, items, strict=True):
        _claim(session, pod.metering_point_id, item["id"])
    return operations.accept(
        session,
        organisation=bsp,
        kind="pod.register",
        payload={"pods": items},
        target_id=items[0]["id"] if len(items) == 1 else None,
    )


def update_pod(
    runtime: Runtime, session: Session, *, bsp: Organisation, pod_id: str, patch: PodUpdate
) -> Operation:
    """Update Resource Information (service 2): only while the POD is Registered or Open."""
    pod = owned_pod(session, pod_id, bsp)
    try:
        updated = patch.apply_to(PodCreate.model_validate(pod.record))
    except ValidationError as exc:
        raise _as_error(field_errors_from_validation(exc)[0]) from exc
    problems = [
        p
        for p in pod_problems(session, bsp, updated)
        if not (p.field == "meteringPointId" and updated.metering_point_id == pod.metering_point_id)
    ]
    if problems:
        raise _as_error(problems[0])
    if updated.metering_point_id != pod.metering_point_id:
        _claim(session, updated.metering_point_id, pod.id)
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="pod.update",
        payload={"podId": pod.id, **seal(pod_record(updated))},
        target_id=pod.id,
    )
    simulate(
        runtime, bsp, PodUpdateHandler().calls(session, operation), error_fields=POD_ERROR_FIELDS
    )
    return operation


def set_pod_status(
    runtime: Runtime, session: Session, *, bsp: Organisation, request: PodStatusUpdate
) -> Operation:
    """Update Resource Status (service 5): the BSP opens its POD or sends it for review."""
    pod = owned_pod(session, request.flex_resource_id, bsp)
    if request.flexibility_service_provider_id != bsp.eic:
        raise Forbidden("must be your own EIC", field="flexibilityServiceProviderId")
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="pod.status",
        payload={"podId": pod.id, "status": PodStatus(request.status).label},
        target_id=pod.id,
    )
    simulate(
        runtime, bsp, PodStatusHandler().calls(session, operation), error_fields=POD_ERROR_FIELDS
    )
    return operation


def register_flex_devices(
    runtime: Runtime, session: Session, *, bsp: Organisation, devices: Sequence[FlexDeviceCreate]
) -> Operation:
    """Register Flex Resource (service 1) for flex devices behind the BSP's PODs."""
    items = []
    for device in devices:
        pod = owned_pod(session, device.parent_resource_id, bsp)
        device_id = new_id()
        record = device.model_dump(mode="json", by_alias=True, exclude_none=True)
        items.append(
            {
                "id": device_id,
                "chainKey": chain_key("device", device_id),
                "podId": pod.id,
                **seal(record),
            }
        )
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="device.register",
        payload={"devices": items},
        target_id=items[0]["id"] if len(items) == 1 else None,
    )
    simulate(
        runtime, bsp, DeviceRegister().calls(session, operation), error_fields=POD_ERROR_FIELDS
    )
    return operation


def _claim(session: Session, metering_point_id: str, pod_id: str) -> None:
    """Reserve a POD code; a concurrent registration of the same code loses with 409."""
    add_or_conflict(
        session,
        [MeteringPointClaim(metering_point_id=metering_point_id, pod_id=pod_id)],
        conflict="meteringPointId: already registered or being registered",
        field="meteringPointId",
    )


def _release_claims(session: Session, metering_point_ids: Sequence[str]) -> None:
    for code in metering_point_ids:
        claim = session.get(MeteringPointClaim, code)
        if claim is not None:
            session.delete(claim)


def _as_error(
    problem: FieldError, kind: type[InvalidInput] | type[Forbidden] | None = None
) -> Exception:
    if problem.field == "meteringPointId" and "already registered" in problem.message:
        return Conflict(f"meteringPointId: {problem.message}", field=problem.field)
    error_type = kind or InvalidInput
    return error_type(f"{problem.field}: {problem.message}", field=problem.field)


def _pod_key(session: Session, pod_id: str) -> bytes:
    pod = session.get(Pod, pod_id)
    return bytes32(pod.chain_key if pod else chain_key("pod", pod_id))


# ------------------------------------------------------------------------- handlers


class PodRegister(Handler):
    kind = "pod.register"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        return [
            Call(
                REGISTRY,
                "registerPods",
                (
                    [bytes32(item.chain_key) for item in batch],
                    [eic_to_bytes16(item.dso_eic) for item in batch],
                    [bytes32(item.record_hash) for item in batch],
                ),
            )
            for batch in chunks(read(operation, PodRegistration).pods)
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        pods = read(operation, PodRegistration).pods
        by_key = {item.chain_key: item for item in pods}
        added = []
        for event in events_named(receipts, "PodRegistered"):
            item = by_key["0x" + event["podId"].hex()]
            added.append(
                Pod(
                    id=item.id,
                    chain_key=item.chain_key,
                    bsp_id=operation.organisation_id,
                    dso_eic=item.dso_eic,
                    metering_point_id=item.metering_point_id,
                    resource_name=item.resource_name,
                    status=PodStatus.REGISTERED.label,
                    record=item.record,
                    salt=item.salt,
                    record_hash=item.record_hash,
                )
            )
        session.add_all(added)
        sync_status_events(session, receipts, added=added)
        operation.result = {"podIds": [item.id for item in pods]}
        return []

    def release(self, session: Session, operation: Operation) -> None:
        """Free the codes of the PODs that did not make it on chain."""
        _release_claims(
            session,
            [
                item.metering_point_id
                for item in read(operation, PodRegistration).pods
                if session.get(Pod, item.id) is None
            ],
        )


class PodUpdateHandler(Handler):
    kind = "pod.update"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        update = read(operation, PodRecordUpdate)
        return [
            Call(
                REGISTRY,
                "updatePod",
                (_pod_key(session, update.pod_id), bytes32(update.record_hash)),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if not events_named(receipts, "PodUpdated"):
            return []
        update = read(operation, PodRecordUpdate)
        pod = session.get(Pod, update.pod_id)
        assert pod is not None
        moved_from = pod.metering_point_id
        pod.record, pod.salt, pod.record_hash = update.record, update.salt, update.record_hash
        pod.metering_point_id = update.metering_point_id
        if moved_from != pod.metering_point_id:
            _release_claims(session, [moved_from])
        pod.resource_name = update.resource_name
        pod.updated_at = utcnow()
        return []

    def release(self, session: Session, operation: Operation) -> None:
        update = read(operation, PodRecordUpdate)
        pod = session.get(Pod, update.pod_id)
        if pod is not None and pod.metering_point_id != update.metering_point_id:
            _release_claims(session, [update.metering_point_id])


class PodStatusHandler(Handler):
    kind = "pod.status"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        change = read(operation, PodStatusChange)
        requested = PodStatus.from_label(change.status)
        return [Call(REGISTRY, "setPodStatus", (_pod_key(session, change.pod_id), int(requested)))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        sync_status_events(session, receipts)
        change = read(operation, PodStatusChange)
        if change.status == PodStatus.UNDER_REVIEW.label and receipts:
            return [FollowUp(TASK_TSO_VERIFY_POD, {"pod_id": change.pod_id})]
        return []


class DeviceRegister(Handler):
    kind = "device.register"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        return [
            Call(
                REGISTRY,
                "registerFlexDevices",
                (
                    [bytes32(item.chain_key) for item in batch],
                    [_pod_key(session, item.pod_id) for item in batch],
                    [bytes32(item.record_hash) for item in batch],
                ),
            )
            for batch in chunks(read(operation, DeviceRegistration).devices)
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        devices = read(operation, DeviceRegistration).devices
        by_key = {item.chain_key: item for item in devices}
        for event in events_named(receipts, "FlexDeviceRegistered"):
            item = by_key["0x" + event["deviceId"].hex()]
            session.add(
                FlexDevice(
                    id=item.id,
                    chain_key=item.chain_key,
                    pod_id=item.pod_id,
                    record=item.record,
                    salt=item.salt,
                    record_hash=item.record_hash,
                )
            )
        operation.result = {"deviceIds": [item.id for item in devices]}
        return []
