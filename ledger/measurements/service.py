"""Measurement uploads: checks, compact storage, a Merkle root per batch on chain, proofs.

BSPs upload behind-the-meter readings of their flex devices, DSOs the meter readings of the PODs
on their grid (CSV or JSON, see :mod:`ledger.measurements.readings`), and BSPs the declared baseline
of their PODs (kind ``baseline``: average W per 15-minute period, before gate closure, see
:mod:`ledger.measurements.declared_baselines`). An upload is checked as a whole:
any problem refuses it, listing the problems (up to 50); gaps are reported, not refused. The
readings are stored per resource as one packed array (:class:`MeasurementSeries`), and the batch
is committed on chain by the uploader's own account as the root of a Merkle tree over its
readings (:mod:`ledger.market.merkle`). :func:`proof` answers the path of any single reading,
which anyone can check with ``MeasurementLedger.verifyReading``. A correction is a new version
of the batch with a new root, superseding the old one on chain; the old one stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from ledger import payloads
from ledger.core import operations
from ledger.core.access import sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.enums import Role
from ledger.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id
from ledger.core.periods import iso
from ledger.core.runtime import Runtime
from ledger.market import merkle
from ledger.market.common import (
    ERROR_FIELDS,
    METERS,
    ZERO32,
    hex32,
    now,
    settings,
)
from ledger.market.schemas import MeterKindName
from ledger.market.tables import MeasurementBatch, MeasurementSeries
from ledger.market.terms import MeterKind
from ledger.measurements import declared_baselines, readings
from ledger.payloads import market as payload_models
from ledger.registry.tables import FlexDevice, Pod

PENDING, COMMITTED = "pending", "committed"


class InvalidReadings(InvalidInput):
    code = "invalid_readings"


class ForeignResource(Forbidden):
    code = "not_entitled"


#: A batch's ``kind`` column and the ``MeasurementLedger.MeterKind`` it is committed as.
CHAIN_METER_KINDS = {
    MeterKindName.DEVICE.value: MeterKind.FLEX_DEVICE,
    MeterKindName.POD.value: MeterKind.POD,
    MeterKindName.BASELINE.value: MeterKind.BASELINE,
}


def _resources(
    session: Session, uploader: Organisation, kind: MeterKindName, names: Sequence[str]
) -> dict[str, readings.Resource]:
    factor = settings(session).plausibility_factor
    found: dict[str, readings.Resource] = {}
    if kind is MeterKindName.DEVICE:
        rows = session.exec(select(FlexDevice).where(col(FlexDevice.id).in_(list(names)))).all()
        pods = {
            p.id: p
            for p in session.exec(
                select(Pod).where(col(Pod.id).in_([d.pod_id for d in rows]))
            ).all()
        }
        for device in rows:
            pod = pods[device.pod_id]
            bound = int(Decimal(int(device.record["contractedPower"])) * 1000 * factor)
            found[device.id] = readings.Resource(
                device.id, bytes32(device.chain_key), bound, entitled=pod.bsp_id == uploader.id
            )
    else:
        for pod in session.exec(select(Pod).where(col(Pod.id).in_(list(names)))).all():
            bound = int(Decimal(int(pod.record["contractedPower"])) * 1000 * factor)
            entitled = (
                pod.bsp_id == uploader.id
                if kind is MeterKindName.BASELINE
                else pod.dso_eic == uploader.eic
            )
            found[pod.id] = readings.Resource(
                pod.id, bytes32(pod.chain_key), bound, entitled=entitled
            )
    return found


def _check_uploader(
    session: Session, uploader: Organisation, kind: MeterKindName, resolution_s: int
) -> None:
    if kind is MeterKindName.DEVICE and uploader.role != Role.BSP:
        raise Forbidden(
            "behind-the-meter readings of flex devices are uploaded by their BSP", field="kind"
        )
    if kind is MeterKindName.POD and uploader.role != Role.DSO:
        raise Forbidden("POD meter readings are uploaded by the POD's DSO", field="kind")
    if kind is MeterKindName.BASELINE and uploader.role != Role.BSP:
        raise Forbidden("a declared baseline is uploaded by the POD's BSP", field="kind")
    allowed: Sequence[int] = {
        MeterKindName.DEVICE: settings(session).device_resolutions_s,
        MeterKindName.POD: settings(session).pod_resolutions_s,
        MeterKindName.BASELINE: (declared_baselines.RESOLUTION_S,),
    }[kind]
    if resolution_s not in allowed:
        raise InvalidInput(
            f"{kind.value} readings come at {' or '.join(map(str, allowed))} s",
            field="resolutionSeconds",
        )


def _checked(
    session: Session,
    uploader: Organisation,
    kind: MeterKindName,
    resolution_s: int,
    raw: readings.RawReadings,
) -> readings.CheckedBatch:
    resources = _resources(session, uploader, kind, list(raw.by_resource))
    baseline = kind is MeterKindName.BASELINE
    checked = readings.check(
        raw,
        resources=resources,
        resolution_s=resolution_s,
        now=now(session),
        future_allowed=baseline,
    )
    if checked.problems:
        problems = [p.as_dict() for p in checked.problems]
        first = checked.problems[0]
        if any(p.kind == readings.ReadingProblemKind.FORBIDDEN for p in checked.problems):
            forbidden = next(
                p for p in checked.problems if p.kind == readings.ReadingProblemKind.FORBIDDEN
            )
            raise ForeignResource(forbidden.message, field="resourceId", problems=problems)
        raise InvalidReadings(
            f"{len(problems)} problem(s), first: {first.message}",
            field="readings",
            problems=problems,
        )
    if not checked.series:
        raise InvalidReadings("the upload holds no readings", field="readings")
    if baseline:
        declared_baselines.check_before_gate(session, raw, now(session))
    return checked


def _store(
    session: Session,
    *,
    uploader: Organisation,
    kind: MeterKindName,
    resolution_s: int,
    series: Sequence[readings.Series],
    keys: dict[str, bytes],
    gaps: dict[str, Any],
    source: str,
    previous: MeasurementBatch | None,
) -> MeasurementBatch:
    batch_id = new_id()
    roots = []
    rows = []
    for item in series:
        key = keys[item.resource_id]
        root = item.root(key)
        roots.append((key, root))
        rows.append(
            MeasurementSeries(
                batch_id=batch_id,
                resource_kind=kind.value,
                resource_id=item.resource_id,
                resource_key=hex32(key),
                start=item.start,
                resolution_s=resolution_s,
                count=item.count,
                values=item.pack(),
                series_root=hex32(root),
            )
        )
    batch = MeasurementBatch(
        id=batch_id,
        chain_key=chain_key("measurements", batch_id),
        uploader_id=uploader.id,
        kind=kind.value,
        resolution_s=resolution_s,
        lineage_id=previous.lineage_id if previous else batch_id,
        version=previous.version + 1 if previous else 1,
        supersedes_id=previous.id if previous else None,
        status=PENDING,
        root=hex32(readings.batch_root(roots)),
        reading_count=sum(s.count for s in series),
        resource_count=len(series),
        first_timestamp=min(s.start for s in series),
        last_timestamp=max(s.start + (len(s.values) - 1) * resolution_s for s in series),
        gaps=gaps or None,
        source=source,
    )
    session.add(batch)
    session.flush()
    session.add_all(rows)
    session.flush()
    return batch


def upload(
    runtime: Runtime,
    session: Session,
    *,
    uploader: Organisation,
    kind: MeterKindName,
    resolution_s: int,
    raw: readings.RawReadings,
    source: str,
) -> tuple[Operation, MeasurementBatch]:
    """Check and store a batch of readings; its root goes on chain through the operation."""
    _check_uploader(session, uploader, kind, resolution_s)
    checked = _checked(session, uploader, kind, resolution_s, raw)
    keys = {
        r.resource_id: r.key
        for r in _resources(
            session, uploader, kind, [s.resource_id for s in checked.series]
        ).values()
    }
    batch = _store(
        session,
        uploader=uploader,
        kind=kind,
        resolution_s=resolution_s,
        series=checked.series,
        keys=keys,
        gaps=checked.gaps,
        source=source,
        previous=None,
    )
    return _commit(runtime, session, uploader, batch), batch


def correct(
    runtime: Runtime,
    session: Session,
    *,
    uploader: Organisation,
    batch_id: str,
    raw: readings.RawReadings,
) -> tuple[Operation, MeasurementBatch]:
    """A new version of a committed batch: its readings with the corrected ones written over."""
    previous = session.get(MeasurementBatch, batch_id)
    if previous is None or not may_see(uploader, previous):
        raise NotFound(f"no measurement batch {batch_id}", field="batchId")
    if previous.uploader_id != uploader.id:
        raise Forbidden("only the uploader corrects a batch", field="batchId")
    if previous.status != COMMITTED or previous.superseded_by_id is not None:
        raise Conflict(f"batch {batch_id} is not the latest committed version", field="batchId")
    kind = MeterKindName(previous.kind)
    checked = _checked(session, uploader, kind, previous.resolution_s, raw)
    corrections = {s.resource_id: s for s in checked.series}
    merged = []
    old_rows = session.exec(
        select(MeasurementSeries).where(MeasurementSeries.batch_id == previous.id)
    ).all()
    for row in old_rows:
        series = readings.Series.unpack(row.resource_id, row.start, row.resolution_s, row.values)
        fix = corrections.pop(row.resource_id, None)
        merged.append(series.overlay(fix) if fix else series)
    merged.extend(corrections.values())
    keys = {
        r.resource_id: r.key
        for r in _resources(session, uploader, kind, [s.resource_id for s in merged]).values()
    }
    gaps = {s.resource_id: s.gaps() for s in merged if s.gaps()}
    batch = _store(
        session,
        uploader=uploader,
        kind=kind,
        resolution_s=previous.resolution_s,
        series=merged,
        keys=keys,
        gaps=gaps,
        source="correction",
        previous=previous,
    )
    return _commit(runtime, session, uploader, batch), batch


def _commit(
    runtime: Runtime, session: Session, uploader: Organisation, batch: MeasurementBatch
) -> Operation:
    operation = operations.accept(
        session,
        organisation=uploader,
        kind="market.measurements.commit",
        target_id=batch.id,
        payload={"batchId": batch.id},
    )
    batch.operation_id = operation.id
    simulate(
        runtime, uploader, MeasurementCommit().calls(session, operation), error_fields=ERROR_FIELDS
    )
    return operation


class MeasurementCommit(Handler):
    kind = "market.measurements.commit"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        batch = session.get(
            MeasurementBatch,
            payloads.read(operation, payload_models.MeasurementCommitment).batch_id,
        )
        assert batch is not None
        previous = (
            session.get(MeasurementBatch, batch.supersedes_id) if batch.supersedes_id else None
        )
        kind = CHAIN_METER_KINDS[batch.kind]
        return [
            Call(
                METERS,
                "commitBatch",
                (
                    bytes32(batch.chain_key),
                    int(kind),
                    bytes32(batch.root),
                    batch.reading_count,
                    bytes32(previous.chain_key) if previous else ZERO32,
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        committed = [e for r in receipts for e in r.events if e.name == "MeasurementsCommitted"]
        batch = session.get(
            MeasurementBatch,
            payloads.read(operation, payload_models.MeasurementCommitment).batch_id,
        )
        if not committed or batch is None:
            return []
        event = committed[0]
        batch.status = COMMITTED
        batch.transaction_hash, batch.block_number = event.transaction_hash, event.block_number
        batch.committed_at = utcnow()
        if batch.supersedes_id:
            previous = session.get(MeasurementBatch, batch.supersedes_id)
            if previous is not None:
                previous.superseded_by_id = batch.id
        operation.result = {"batchId": batch.id, "root": batch.root, "version": batch.version}
        return []


# ------------------------------------------------------------------------- reads and proofs


def may_see(organisation: Organisation, batch: MeasurementBatch) -> bool:
    return sees_everything(organisation) or batch.uploader_id == organisation.id


def _batch(session: Session, organisation: Organisation, batch_id: str) -> MeasurementBatch:
    batch = session.get(MeasurementBatch, batch_id)
    if batch is None or not may_see(organisation, batch):
        raise NotFound(f"no measurement batch {batch_id}", field="batchId")
    return batch


def batch_view(batch: MeasurementBatch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "chainKey": batch.chain_key,
        "uploader": batch.uploader_id,
        "kind": batch.kind,
        "resolutionSeconds": batch.resolution_s,
        "lineageId": batch.lineage_id,
        "version": batch.version,
        "supersedes": batch.supersedes_id,
        "supersededBy": batch.superseded_by_id,
        "status": batch.status,
        "root": batch.root,
        "readingCount": batch.reading_count,
        "resourceCount": batch.resource_count,
        "from": iso(batch.first_timestamp),
        "to": iso(batch.last_timestamp),
        "gaps": batch.gaps or {},
        "source": batch.source,
        "operationId": batch.operation_id,
        "transactionHash": batch.transaction_hash,
        "blockNumber": batch.block_number,
        "createdAt": batch.created_at.isoformat(),
        "committedAt": batch.committed_at.isoformat() if batch.committed_at else None,
    }


def get_batch(session: Session, organisation: Organisation, batch_id: str) -> dict[str, Any]:
    batch = _batch(session, organisation, batch_id)
    versions = session.exec(
        select(MeasurementBatch)
        .where(MeasurementBatch.lineage_id == batch.lineage_id)
        .order_by(col(MeasurementBatch.version))
    ).all()
    return {
        **batch_view(batch),
        "versions": [
            {
                "id": v.id,
                "version": v.version,
                "root": v.root,
                "status": v.status,
                "supersededBy": v.superseded_by_id,
            }
            for v in versions
        ],
    }


def proof(
    session: Session, organisation: Organisation, batch_id: str, resource_id: str, timestamp: int
) -> dict[str, Any]:
    """The Merkle path of one reading of a batch (any version), to check against the chain."""
    batch = _batch(session, organisation, batch_id)
    rows = session.exec(
        select(MeasurementSeries).where(MeasurementSeries.batch_id == batch.id)
    ).all()
    by_key = sorted(rows, key=lambda r: r.resource_key)
    row = next((r for r in by_key if r.resource_id == resource_id), None)
    if row is None:
        raise NotFound(f"batch {batch_id} holds no readings of {resource_id}", field="resourceId")
    series = readings.Series.unpack(row.resource_id, row.start, row.resolution_s, row.values)
    present = list(series.readings())
    index = next((i for i, (t, _) in enumerate(present) if t == timestamp), None)
    if index is None:
        raise NotFound(
            f"no reading of {resource_id} at {timestamp} in batch {batch_id}", field="timestamp"
        )
    key = bytes32(row.resource_key)
    leaves = [merkle.reading_leaf(key, t, v) for t, v in present]
    path = merkle.merkle_proof(merkle.tree_levels(leaves), index)
    top = [bytes32(r.series_root) for r in by_key]
    path += merkle.merkle_proof(merkle.tree_levels(top), by_key.index(row))
    leaf = leaves[index]
    return {
        "batchId": batch.id,
        "batchKey": batch.chain_key,
        "version": batch.version,
        "status": batch.status,
        "resourceId": resource_id,
        "resourceKey": row.resource_key,
        "timestamp": timestamp,
        "valueW": present[index][1],
        "leaf": hex32(leaf),
        "proof": [hex32(p) for p in path],
        "root": batch.root,
        "verified": merkle.verify(leaf, path, bytes32(batch.root)),
        "howToVerify": "MeasurementLedger.verifyReading(batchKey, leaf, proof) on chain; leaf ="
        " readingLeaf(resourceKey, timestamp, valueW)",
    }


def series_readings(
    session: Session, organisation: Organisation, *, resource_id: str, start: int, end: int
) -> dict[str, Any]:
    """Readings of a resource in ``[start, end)``, from the latest committed version of each
    batch."""
    rows = session.exec(
        select(MeasurementSeries, MeasurementBatch)
        .join(MeasurementBatch, MeasurementBatch.id == MeasurementSeries.batch_id)  # type: ignore[arg-type]
        .where(
            MeasurementSeries.resource_id == resource_id,
            MeasurementBatch.status == COMMITTED,
            col(MeasurementBatch.superseded_by_id).is_(None),
            MeasurementSeries.start < end,
        )
    ).all()
    points: dict[int, dict[str, Any]] = {}
    for row, batch in rows:
        if not may_see(organisation, batch):
            continue
        for timestamp, value in readings.Series.unpack(
            row.resource_id, row.start, row.resolution_s, row.values
        ).readings():
            if start <= timestamp < end:
                points[timestamp] = {
                    "timestamp": iso(timestamp),
                    "powerW": value,
                    "batchId": batch.id,
                    "version": batch.version,
                }
    data = [points[t] for t in sorted(points)]
    return {"resourceId": resource_id, "data": data, "count": len(data)}


def list_batches(
    session: Session, organisation: Organisation, *, limit: int, offset: int
) -> dict[str, Any]:
    query = select(MeasurementBatch)
    if not sees_everything(organisation):
        query = query.where(MeasurementBatch.uploader_id == organisation.id)
    rows = session.exec(
        query.order_by(col(MeasurementBatch.created_at).desc())
        .offset(max(0, offset))
        .limit(min(limit, 500))
    ).all()
    return {"data": [batch_view(b) for b in rows], "count": len(rows)}


def handlers() -> dict[str, Handler]:
    """The measurements' operation kind and its handler."""
    return {MeasurementCommit.kind: MeasurementCommit()}
