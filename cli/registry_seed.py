"""PODs validated and grouped into UVAMs fast, for benchmarks of what comes after registration.

Through the API each POD costs five operations after its registration (Open, UnderReview, the
TSO's verification, the DSO's validation, the membership), about 34 a second on this machine
(``cbp bench registration``): 10,000 PODs would take far longer than the settlement measured
after them. Here the same contract calls go straight to ``ResourceRegistry`` in multicalls of
200 (:data:`ledger.core.coalescing.MAX_ITEMS`), each signed by the organisation the API
would sign with (the BSP, the TSO, the competent DSO), and the database mirrors them as the
operation handlers do: statuses from the receipts' events, the DSO's default constraints, the
memberships. Nothing is skipped that the contract checks. The platform's own nonce counters
catch up with these transactions by themselves (``ledger.core.chain.nonces.reserve``); call this
only while no operation of these organisations is in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlmodel import col, select

from cli.world import World
from ledger.core.chain.client import Call
from ledger.core.coalescing import MAX_ITEMS, multicall_of
from ledger.core.common import bytes32
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import PodStatus
from ledger.core.ids import chain_key, new_id
from ledger.registry.common import sync_status_events
from ledger.registry.reviews import default_constraints, detail_hash
from ledger.registry.schemas import PodCreate
from ledger.registry.tables import Membership, Pod, Uvam

__all__ = ["group_pods", "validate_pods"]

REGISTRY: Final = "ResourceRegistry"


def _send(world: World, organisation: Organisation, calls: Sequence[Call]) -> None:
    """``calls`` to the registry as ``organisation``, in multicalls; statuses mirrored."""
    runtime = world.runtime
    signer = runtime.signer_for(organisation)
    for first in range(0, len(calls), MAX_ITEMS):
        chunk = calls[first : first + MAX_ITEMS]
        receipts = runtime.chain.transact(signer, [multicall_of(runtime.chain, REGISTRY, chunk)])
        with runtime.session() as session:
            sync_status_events(session, receipts)
            session.commit()


def validate_pods(world: World, *, bsp: str, dso: str, pod_ids: Sequence[str]) -> None:
    """Registered PODs of ``bsp`` on ``dso``'s grid to Validated, with the DSO's default
    constraints (what the automatic reviews record)."""
    with world.runtime.session() as session:
        pods = session.exec(select(Pod).where(col(Pod.id).in_(list(pod_ids)))).all()
        keys = {pod.id: bytes32(pod.chain_key) for pod in pods}
        constraints = {
            pod.id: default_constraints(PodCreate.model_validate(pod.record)) for pod in pods
        }
    organisations = world.organisations
    ordered = [keys[pod] for pod in pod_ids]
    for status in (PodStatus.OPEN, PodStatus.UNDER_REVIEW):
        _send(
            world,
            organisations[bsp],
            [Call(REGISTRY, "setPodStatus", (k, status)) for k in ordered],
        )
    _send(world, organisations["tso"], [Call(REGISTRY, "verifyPod", (k,)) for k in ordered])
    _send(
        world,
        organisations[dso],
        [
            Call(
                REGISTRY,
                "validatePod",
                (keys[pod], bytes32(detail_hash({"constraints": dict(constraints[pod])}))),
            )
            for pod in pod_ids
        ],
    )
    with world.runtime.session() as session:
        for pod in session.exec(select(Pod).where(col(Pod.id).in_(list(pod_ids)))).all():
            if pod.status != "Validated":
                raise RuntimeError(f"POD {pod.id} is {pod.status}, not Validated")
            pod.constraints = dict(constraints[pod.id])
            session.add(pod)
        session.commit()


def group_pods(world: World, *, bsp: str, groups: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Each ``(uvam id, POD ids)``: the PODs made members of the UVAM (Registered or Open)."""
    relations = [(new_id(), uvam, pod) for uvam, pods in groups for pod in pods]
    with world.runtime.session() as session:
        uvam_keys = {
            u.id: bytes32(u.chain_key)
            for u in session.exec(select(Uvam).where(col(Uvam.id).in_([g for g, _ in groups])))
        }
        pod_ids = [pod for _, _, pod in relations]
        pod_keys = {
            p.id: bytes32(p.chain_key)
            for p in session.exec(select(Pod).where(col(Pod.id).in_(pod_ids)))
        }
    calls = [
        Call(
            REGISTRY,
            "addPodToUvam",
            (bytes32(chain_key("relation", relation)), uvam_keys[uvam], pod_keys[pod]),
        )
        for relation, uvam, pod in relations
    ]
    _send(world, world.organisations[bsp], calls)
    with world.runtime.session() as session:
        for relation, uvam, pod in relations:
            session.add(
                Membership(
                    id=relation, chain_key=chain_key("relation", relation), uvam_id=uvam, pod_id=pod
                )
            )
        session.commit()
