"""The settlement record: content, canonical JSON and hash."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
from eth_utils.crypto import keccak

from ledger.settlement import (
    RECORD_SCHEMA,
    RECORD_SCHEMA_ACTIVATION_TERMS,
    RECORD_SCHEMA_WITHOUT_TERMS,
    DeclaredBaseline,
    MeterBeforeBaseline,
    PeriodEnergy,
    SameDayAdjustment,
    SettlementRecord,
    XOfYBaseline,
    settle,
    settlement_hashes,
)
from tests.settlement.builders import ROOT, activation, energy, history, settlement_day

#: The hash of :func:`sample_record`; see :func:`test_the_hash_is_pinned`.
PINNED_HASH = "a90692e7429a351a20f4439b8c6531bc4ed3570edd7cacb28dfbcfafff8345da"


def sample_record(**changes: object) -> SettlementRecord:
    day = settlement_day(
        energy([[1000, 1000, 900, 1400], [500, 520, 300, 310]]),
        bsp=energy([[1000, 1000, 905, 1500], [500, 520, 300, 310]]),
        declared=energy([[0, 0, 1500, 1500], [0, 0, 500, 500]]),
        data_roots={"dsoPodMeter": ROOT, "bspDevices": bytes(32)},
    )
    act = activation(first=2, ordered=[600, 600], rows=(0, 1))
    method = changes.pop("method", MeterBeforeBaseline(2, 0))
    (record,) = settle(day=day, activations=[act], method=method, **changes)  # type: ignore[arg-type]
    return record


def test_record_content() -> None:
    record = sample_record()
    body = record.as_dict()
    assert body["schema"] == RECORD_SCHEMA_WITHOUT_TERMS
    assert "terms" not in body
    assert body["method"] == {
        "name": "meterBefore",
        "version": 1,
        "params": {"windowPeriods": 2, "gapPeriods": 0},
    }
    assert set(body["dataRoots"]) == {"dsoPodMeter", "bspDevices"}
    # Baselines: POD 0 (1000 + 1000) / 2 = 1000, POD 1 (500 + 520) / 2 = 510.
    assert record.pods.baseline_wh == ((1000, 1000), (510, 510))
    # Delivered: POD 0: 100, -400; POD 1: 210, 200. UVAM: 310, -200.
    assert record.pods.delivered_wh == ((100, -400), (210, 200))
    assert [p.delivered_wh for p in record.periods] == [310, -200]
    assert [p.start for p in record.periods] == [1_741_132_800 + 1800, 1_741_132_800 + 2700]
    # BSP 1,500 against DSO 1,400: beyond 14 + 10 Wh.
    assert record.pods.disagreement == ((False, True), (False, False))
    # The same baselines against the BSP's devices: POD 0: 1000 - 905 = 95, 1000 - 1500 = -500;
    # POD 1 as the DSO: 210, 200. UVAM: 305, -300.
    assert [p.other_source_delivered_wh for p in record.periods] == [305, -300]
    assert [p["otherSourceDeliveredWh"] for p in body["periods"]] == [305, -300]
    alone = settle(
        day=settlement_day(energy([[1000, 1000, 900, 1400], [500, 520, 300, 310]])),
        activations=[activation(first=2, ordered=[600, 600], rows=(0, 1))],
        method=MeterBeforeBaseline(2, 0),
    )[0]
    assert "otherSourceDeliveredWh" not in alone.as_dict()["periods"][0]


def test_canonical_json_is_sorted_compact_and_float_free() -> None:
    record = sample_record()
    text = record.canonical_json()
    parsed = json.loads(text)
    assert (
        text
        == json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert not list(_floats(parsed))
    assert list(parsed) == sorted(parsed)
    assert parsed["periods"][0]["priceEurMwh"] == "120"
    assert parsed["dataRoots"]["dsoPodMeter"] == "0x" + ROOT.hex()


def _floats(value: object) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats(item)]
    return []


def test_settlement_hash_is_keccak_of_the_canonical_json() -> None:
    record = sample_record()
    assert record.settlement_hash() == keccak(record.canonical_json())
    assert len(record.settlement_hash()) == 32
    assert settlement_hashes([record]) == {"act-1": record.settlement_hash()}


def test_recomputation_gives_the_same_hash() -> None:
    assert sample_record().settlement_hash() == sample_record().settlement_hash()


def test_the_hash_is_pinned() -> None:
    """If this changes, old settlements no longer recompute: bump the schema or the method
    version instead of changing what a version computes."""
    assert sample_record().settlement_hash().hex() == PINNED_HASH


def test_everything_recorded_changes_the_hash() -> None:
    base = sample_record().settlement_hash()
    assert sample_record(version=2).settlement_hash() != base
    assert sample_record(method=MeterBeforeBaseline(1, 0)).settlement_hash() != base
    other_root = replace(sample_record(), data_roots=(("dsoPodMeter", bytes(32)),))
    assert other_root.settlement_hash() != base


TERMS = {
    "pricesEurMwh": ["120", "120"],
    "sanctionEurMwh": "150",
    "tolerance": {"relative": "0.01", "absoluteWh": 10},
    "missingData": "incomplete",
}


def test_terms_are_recorded_as_given_and_hashed() -> None:
    """The settlement terms fixed once per activation go into every version's record (schema
    /3); a record without them keeps schema /2 and its bytes, so older settlements recompute."""
    with_terms = sample_record(terms=TERMS)
    body = json.loads(with_terms.canonical_json())
    assert body["schema"] == RECORD_SCHEMA_ACTIVATION_TERMS == "cbp.settlement/3"
    assert body["terms"] == TERMS
    assert with_terms.settlement_hash() != sample_record().settlement_hash()
    other_sanction = sample_record(terms={**TERMS, "sanctionEurMwh": "200"})
    assert other_sanction.settlement_hash() != with_terms.settlement_hash()
    assert sample_record(terms=dict(TERMS)).settlement_hash() == with_terms.settlement_hash()


def test_terms_frozen_at_award_say_schema_4() -> None:
    """Issue 14: terms that name the award they were frozen at (and carry its pricing rule and
    baseline method) make a /4 record; the award is part of what is hashed."""
    award = {"needId": "n-1", "resultHash": "0x" + "11" * 32}
    frozen = {**TERMS, "pricing": "payAsBid", "baseline": {"name": "meterBefore"}}
    record = sample_record(terms={**frozen, "award": award})
    body = json.loads(record.canonical_json())
    assert body["schema"] == RECORD_SCHEMA == "cbp.settlement/4"
    assert body["terms"]["award"] == award
    other = sample_record(terms={**frozen, "award": {**award, "needId": "n-2"}})
    assert other.settlement_hash() != record.settlement_hash()


def test_x_of_y_records_its_days_and_factor() -> None:
    dates = (date(2025, 3, 3), date(2025, 3, 4))
    data = history(
        ([[100, 100, 100, 100]], [[120, 120, 120, 120]]),
        dates,
    )
    day = settlement_day(PeriodEnergy.complete(np.array([[110, 132, 50, 50]])), history=data)
    method = XOfYBaseline(
        x=2, y=2, min_days=2, adjustment=SameDayAdjustment(window_periods=2, gap_periods=0)
    )
    (record,) = settle(day=day, activations=[activation(first=2, ordered=[50, 50])], method=method)
    # Window periods 0-1: actual 242 against the mean 220: factor 11/10; 110 x 1.1 = 121.
    assert record.pods.baseline_days == (dates,)
    assert record.pods.adjustment == ((11, 10),)
    assert record.pods.baseline_wh == ((121, 121),)
    body = record.as_dict()
    assert body["pods"]["baselineDays"] == (tuple(d.isoformat() for d in dates),)
    assert json.loads(record.canonical_json())["pods"]["baselineDays"] == [
        ["2025-03-03", "2025-03-04"]
    ]


def test_declared_method_has_no_parameters() -> None:
    record = sample_record(method=DeclaredBaseline())
    assert record.method == {"name": "declared", "version": 1, "params": {}}
