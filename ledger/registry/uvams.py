"""UVAMs (resource groups): services 6, 7, 8, 11, 12, 13 and 14 of the CBP connector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from ledger.core import operations
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, events_named, seal, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.enums import UvamStatus
from ledger.core.domain.errors import field_errors_from_validation
from ledger.core.errors import Forbidden, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id
from ledger.core.runtime import Runtime
from ledger.payloads import read
from ledger.payloads.registration import (
    ConnectionSetting,
    MembershipAddition,
    MembershipEnding,
    UvamRecordUpdate,
    UvamRegistration,
    UvamStatusChange,
)
from ledger.registry import files
from ledger.registry.common import owned_pod, owned_uvam, sync_status_events
from ledger.registry.schemas import (
    ConnectionCreate,
    ConnectionUpdate,
    MembershipCreate,
    UvamCreate,
    UvamStatusUpdate,
    UvamUpdate,
)
from ledger.registry.tables import Membership, Pod, Uvam

REGISTRY = "ResourceRegistry"
TASK_TSO_QUALIFY_UVAM = "cbp.flows.tso_qualify_uvam"

UVAM_ERROR_FIELDS = {
    "RegistryInvalidUvamTransition": "status",
    "RegistryNotEditable": "status",
    "RegistryNotOwner": "resourceGroup",
    "RegistryUnauthorized": "flexibilityServiceProviderId",
    "RegistryPodNotValidated": "resource",
    "RegistryPodAlreadyGrouped": "resource",
    "RegistryRelationNotActive": "relationId",
    "RegistryUnknownId": "resourceGroup",
}


def _own_eic(organisation: Organisation, eic: str | None) -> None:
    if eic is not None and eic != organisation.eic:
        raise Forbidden("must be your own EIC", field="flexibilityServiceProviderId")


def _record(model: UvamCreate) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def register_uvam(
    runtime: Runtime, session: Session, *, bsp: Organisation, uvam: UvamCreate
) -> Operation:
    """Register Resource Group (service 6)."""
    _own_eic(bsp, uvam.flexibility_service_provider_id)
    uvam_id = new_id()
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="uvam.register",
        target_id=uvam_id,
        payload={"uvamId": uvam_id, "chainKey": chain_key("uvam", uvam_id), **seal(_record(uvam))},
    )
    simulate(runtime, bsp, UvamRegister().calls(session, operation), error_fields=UVAM_ERROR_FIELDS)
    return operation


def update_uvam(
    runtime: Runtime, session: Session, *, bsp: Organisation, uvam_id: str, patch: UvamUpdate
) -> Operation:
    """Update Resource Group (service 7): only while Registered or Open."""
    uvam = owned_uvam(session, uvam_id, bsp)
    try:
        updated = patch.apply_to(UvamCreate.model_validate(uvam.record))
    except ValidationError as exc:
        problem = field_errors_from_validation(exc)[0]
        raise InvalidInput(f"{problem.field}: {problem.message}", field=problem.field) from exc
    _own_eic(bsp, updated.flexibility_service_provider_id)
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="uvam.update",
        target_id=uvam.id,
        payload={"uvamId": uvam.id, **seal(_record(updated))},
    )
    simulate(
        runtime, bsp, UvamUpdateHandler().calls(session, operation), error_fields=UVAM_ERROR_FIELDS
    )
    return operation


def set_uvam_status(
    runtime: Runtime,
    session: Session,
    *,
    bsp: Organisation,
    uvam_id: str,
    request: UvamStatusUpdate,
) -> Operation:
    """Update Resource Group Status (service 13): open it, or send it for qualification."""
    uvam = owned_uvam(session, uvam_id, bsp)
    _own_eic(bsp, request.flexibility_service_provider_id)
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="uvam.status",
        target_id=uvam.id,
        payload={"uvamId": uvam.id, "status": UvamStatus(request.status).label},
    )
    simulate(
        runtime, bsp, UvamStatusHandler().calls(session, operation), error_fields=UVAM_ERROR_FIELDS
    )
    return operation


def add_member(
    runtime: Runtime, session: Session, *, bsp: Organisation, membership: MembershipCreate
) -> Operation:
    """Register Resource in Resource Group (service 8): only validated PODs of the same BSP."""
    _own_eic(bsp, membership.flexibility_service_provider_id)
    uvam = owned_uvam(session, membership.resource_group, bsp)
    try:
        pod = owned_pod(session, membership.resource, bsp)
    except (NotFound, Forbidden) as exc:
        exc.field = "resource"
        raise
    relation_id = new_id()
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="membership.add",
        target_id=relation_id,
        payload={
            "relationId": relation_id,
            "chainKey": chain_key("relation", relation_id),
            "uvamId": uvam.id,
            "podId": pod.id,
        },
    )
    simulate(
        runtime, bsp, MembershipAdd().calls(session, operation), error_fields=UVAM_ERROR_FIELDS
    )
    return operation


def end_relation(
    runtime: Runtime, session: Session, *, bsp: Organisation, relation_id: str
) -> Operation:
    """End Relation (service 14)."""
    membership = session.get(Membership, relation_id)
    if membership is None:
        raise NotFound(f"no relation {relation_id}", field="relationId")
    owned_uvam(session, membership.uvam_id, bsp)
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="membership.end",
        target_id=relation_id,
        payload={"relationId": relation_id},
    )
    simulate(
        runtime, bsp, MembershipEnd().calls(session, operation), error_fields=UVAM_ERROR_FIELDS
    )
    return operation


def set_connection(
    runtime: Runtime,
    session: Session,
    *,
    bsp: Organisation,
    uvam_id: str,
    connection: ConnectionCreate | ConnectionUpdate,
) -> Operation:
    """Register Connection (service 11) or Update Connection (service 12)."""
    uvam = owned_uvam(session, uvam_id, bsp)
    kept_document: str | None = None
    if isinstance(connection, ConnectionUpdate):
        if uvam.connection is None:
            raise NotFound(
                "this UVAM has no connection yet: register it first", field="resourceGroupId"
            )
        current = ConnectionCreate.model_validate(
            {k: v for k, v in uvam.connection.items() if k not in {"documentSha256", "salt"}}
        )
        kept_document = uvam.connection.get("documentSha256")  # unless the patch replaces it
        try:
            connection = connection.apply_to(current)
        except ValidationError as exc:
            problem = field_errors_from_validation(exc)[0]
            raise InvalidInput(f"{problem.field}: {problem.message}", field=problem.field) from exc
    if connection.resource_group_id not in (None, uvam.id):
        raise InvalidInput("must be the UVAM of the URL", field="resourceGroupId")
    record = connection.model_dump(mode="json", by_alias=True, exclude_none=True)
    document = record.pop("documentFile", None)
    if document is not None and connection.content is not None:
        record["documentSha256"] = files.store(runtime.settings.attachments_dir, connection.content)
    elif kept_document is not None:
        record["documentSha256"] = kept_document
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="connection.set",
        target_id=uvam.id,
        payload={"uvamId": uvam.id, **seal(record)},
    )
    simulate(
        runtime, bsp, ConnectionSet().calls(session, operation), error_fields=UVAM_ERROR_FIELDS
    )
    return operation


def _uvam_key(session: Session, uvam_id: str) -> bytes:
    uvam = session.get(Uvam, uvam_id)
    return bytes32(uvam.chain_key if uvam else chain_key("uvam", uvam_id))


# ------------------------------------------------------------------------- handlers


class UvamRegister(Handler):
    kind = "uvam.register"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        registration = read(operation, UvamRegistration)
        return [
            Call(
                REGISTRY,
                "registerUvam",
                (bytes32(registration.chain_key), bytes32(registration.record_hash)),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if not events_named(receipts, "UvamRegistered"):
            return []
        registration = read(operation, UvamRegistration)
        session.add(
            Uvam(
                id=registration.uvam_id,
                chain_key=registration.chain_key,
                bsp_id=operation.organisation_id,
                name=registration.name,
                status=UvamStatus.REGISTERED.label,
                record=registration.record,
                salt=registration.salt,
                record_hash=registration.record_hash,
            )
        )
        session.flush()
        sync_status_events(session, receipts)
        operation.result = {"uvamId": registration.uvam_id}
        return []


class UvamUpdateHandler(Handler):
    kind = "uvam.update"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        update = read(operation, UvamRecordUpdate)
        return [
            Call(
                REGISTRY,
                "updateUvam",
                (_uvam_key(session, update.uvam_id), bytes32(update.record_hash)),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if events_named(receipts, "UvamUpdated"):
            update = read(operation, UvamRecordUpdate)
            uvam = session.get(Uvam, update.uvam_id)
            assert uvam is not None
            uvam.record, uvam.salt, uvam.record_hash = (
                update.record,
                update.salt,
                update.record_hash,
            )
            uvam.name = update.name
            uvam.updated_at = utcnow()
        return []


class UvamStatusHandler(Handler):
    kind = "uvam.status"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        change = read(operation, UvamStatusChange)
        requested = UvamStatus.from_label(change.status)
        return [
            Call(REGISTRY, "setUvamStatus", (_uvam_key(session, change.uvam_id), int(requested)))
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        sync_status_events(session, receipts)
        change = read(operation, UvamStatusChange)
        if change.status == UvamStatus.UNDER_REVIEW.label and receipts:
            return [FollowUp(TASK_TSO_QUALIFY_UVAM, {"uvam_id": change.uvam_id})]
        return []


class MembershipAdd(Handler):
    kind = "membership.add"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        addition = read(operation, MembershipAddition)
        pod = session.get(Pod, addition.pod_id)
        assert pod is not None
        return [
            Call(
                REGISTRY,
                "addPodToUvam",
                (
                    bytes32(addition.chain_key),
                    _uvam_key(session, addition.uvam_id),
                    bytes32(pod.chain_key),
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if events_named(receipts, "RelationStarted"):
            addition = read(operation, MembershipAddition)
            session.add(
                Membership(
                    id=addition.relation_id,
                    chain_key=addition.chain_key,
                    uvam_id=addition.uvam_id,
                    pod_id=addition.pod_id,
                )
            )
            operation.result = {"relationId": addition.relation_id}
        return []


class MembershipEnd(Handler):
    kind = "membership.end"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        membership = session.get(Membership, read(operation, MembershipEnding).relation_id)
        assert membership is not None
        return [Call(REGISTRY, "endRelation", (bytes32(membership.chain_key),))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if events_named(receipts, "RelationEnded"):
            membership = session.get(Membership, read(operation, MembershipEnding).relation_id)
            assert membership is not None
            membership.active = False
            membership.ended_at = utcnow()
        return []


class ConnectionSet(Handler):
    kind = "connection.set"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        setting = read(operation, ConnectionSetting)
        return [
            Call(
                REGISTRY,
                "setConnection",
                (_uvam_key(session, setting.uvam_id), bytes32(setting.record_hash)),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if events_named(receipts, "ConnectionRegistered") or events_named(
            receipts, "ConnectionUpdated"
        ):
            setting = read(operation, ConnectionSetting)
            uvam = session.get(Uvam, setting.uvam_id)
            assert uvam is not None
            uvam.connection = {**setting.record, "salt": setting.salt}
            uvam.connection_hash = setting.record_hash
            uvam.updated_at = utcnow()
        return []


def active_members(session: Session, uvam_id: str) -> list[Pod]:
    return list(
        session.exec(
            select(Pod)
            .join(Membership, col(Membership.pod_id) == col(Pod.id))
            .where(Membership.uvam_id == uvam_id, Membership.active == True)  # noqa: E712
        ).all()
    )
