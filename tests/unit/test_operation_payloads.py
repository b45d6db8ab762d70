"""Typed operations: the payload of each kind has a pydantic model, checked when the operation
is accepted and read by its handler; one that does not fit is refused naming the field, and
nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from ledger import payloads
from ledger.capabilities import CAPABILITIES, HANDLERS
from ledger.core import operations
from ledger.core.common import seal
from ledger.core.db.models import Operation, Organisation
from ledger.core.ids import chain_key
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.payloads import InvalidOperationPayload
from ledger.payloads.registration import PodDecision, PodRegistration
from ledger.schema.migrate import upgrade


def _pod_item(code: str = "IT001E00000001") -> dict[str, object]:
    record = {
        "meteringPointId": code,
        "resourceName": "site",
        "distributionGridOperatorName": "26X00000105128-9",
    }
    return {"id": "pod-1", "chainKey": chain_key("pod", "pod-1"), **seal(record)}


def test_every_kind_of_operation_has_a_payload_model() -> None:
    assert set(payloads.PAYLOADS) == set(HANDLERS), sorted(set(payloads.PAYLOADS) ^ set(HANDLERS))


def test_a_stored_payload_is_read_as_built_and_stays_as_built() -> None:
    built = {"pods": [_pod_item()]}
    read = payloads.parse(PodRegistration, "pod.register", built)
    [pod] = read.pods
    assert pod.metering_point_id == "IT001E00000001"
    assert pod.dso_eic == "26X00000105128-9"
    assert pod.record == built["pods"][0]["record"]  # type: ignore[index]
    decision = payloads.parse(PodDecision, "pod.verify", {"podId": "p", "detailHash": None})
    assert decision.detail_bytes == b"\x00" * 32
    assert decision.reasons is None


@pytest.mark.parametrize(
    ("kind", "payload", "field", "reason"),
    [
        ("pod.status", {"podId": "p"}, "payload.status", "Field required"),
        ("pod.status", {"podId": "p", "status": "Open", "n": 1}, "payload.n", "not permitted"),
        (
            "pod.register",
            {"pods": [{**_pod_item(), "recordHash": "0x12"}]},
            "payload.pods.0.recordHash",
            "should match pattern",
        ),
        (
            "pod.register",
            {"pods": [{**_pod_item(), "record": {"resourceName": "x"}}]},
            "payload.pods.0.record",
            "the record has no meteringPointId, distributionGridOperatorName",
        ),
        (
            "uvam.reject",
            {"uvamId": "u", "detailHash": None, "reasons": "no"},
            "payload.reasons",
            "",
        ),
    ],
)
def test_a_payload_that_does_not_fit_is_refused_naming_the_field(
    kind: str, payload: dict[str, object], field: str, reason: str
) -> None:
    with pytest.raises(InvalidOperationPayload) as caught:
        payloads.check(kind, payload)
    assert caught.value.field == field
    assert caught.value.http_status == 422
    assert caught.value.message.startswith(f"{field}: ")
    assert reason in caught.value.message
    assert f"(operation kind {kind})" in caught.value.message


def test_accepting_an_operation_with_a_bad_payload_stores_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings.sqlalchemy_url)
    runtime = Runtime(
        settings=settings,
        rpc_url="http://127.0.0.1:9",
        dispatcher=RecordingDispatcher(),
        capabilities=CAPABILITIES,
    )
    with runtime.session() as session:
        organisation = Organisation(
            id="bsp", name="BSP", role="BSP", eic="21XBSP-ALPHA---L", address="0x" + "11" * 20
        )
        session.add(organisation)
        session.commit()
        with pytest.raises(InvalidOperationPayload):
            operations.accept(
                session, organisation=organisation, kind="pod.status", payload={"podId": "p"}
            )
        session.commit()
    with runtime.session() as session:
        assert session.exec(select(Operation)).all() == []


def test_a_handler_reads_its_stored_payload_through_the_model() -> None:
    stored = Operation(
        id="op", organisation_id="bsp", kind="pod.register", payload={"pods": [_pod_item()]}
    )
    corrupted = Operation(
        id="op2", organisation_id="bsp", kind="pod.register", payload={"pods": [{"id": "x"}]}
    )
    handler = HANDLERS["pod.register"]
    [call] = handler.calls(None, stored)  # type: ignore[arg-type]
    assert call.function == "registerPods"
    with pytest.raises(InvalidOperationPayload) as caught:
        handler.calls(None, corrupted)  # type: ignore[arg-type]
    assert caught.value.field == "payload.pods.0.record"
