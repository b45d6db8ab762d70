"""The statement's arithmetic (docs/statements.md), recomputed by hand and with Hypothesis:
availability pay per ISP rounded half to even to the cent, totals as sums of rounded lines,
netting, the BRP perimeter correction's sign, and periods."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.errors import InvalidInput
from ledger.settlement.statements.availability import AwardedCapacity, availability_amount
from ledger.settlement.statements.export import COLUMNS, rows, to_csv, to_pdf
from ledger.settlement.statements.perimeter import UNASSIGNED, build_corrections, correction_wh
from ledger.settlement.statements.period import parse_period
from ledger.settlement.statements.statement import SettledActivation, build_statement, document_hash

DEC = parse_period("2026-12")
T0 = DEC.start_ts + 9 * 3600  # 09:00 UTC on 1 December 2026


def _record(
    activation: str, direction: str, start: int, pods: dict[str, list[int]]
) -> dict[str, Any]:
    """A final record with one period; 'money' fields filled as the settlement core would."""
    delivered = sum(v[0] for v in pods.values())
    return {
        "activationId": activation,
        "uvamId": "U1",
        "direction": direction,
        "version": 1,
        "periods": [
            {
                "start": start,
                "baselineWh": 10_000,
                "measuredWh": 10_000 - delivered,
                "orderedWh": 1_000,
                "deliveredWh": delivered,
                "deficiencyWh": max(1_000 - max(delivered, 0), 0),
                "priceEurMwh": "50",
                "sanctionEurMwh": "150",
                "remunerationEur": "0.04",
                "penaltyEur": "0.03",
                "netEur": "0.01",
            }
        ],
        "pods": {"podIds": list(pods), "deliveredWh": [v for v in pods.values()]},
    }


def test_availability_is_rounded_half_to_even_per_isp() -> None:
    # 3 kW x 0.0125 EUR = 0.0375 -> 0.04; 1 kW x 0.025 = 0.025 -> 0.02 (tie to even)
    assert availability_amount(3, Decimal("0.0125")) == Decimal("0.04")
    assert availability_amount(1, Decimal("0.025")) == Decimal("0.02")
    assert availability_amount(1, Decimal("0.035")) == Decimal("0.04")
    assert availability_amount(45, Decimal("0.5")) == Decimal("22.50")


@given(
    kw=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=8),
    micro=st.integers(min_value=0, max_value=10**9),
)
def test_availability_total_is_the_sum_of_the_rounded_isps(kw: list[int], micro: int) -> None:
    price = Decimal(micro) / Decimal(10**6)
    award = AwardedCapacity("B", "N", "U", T0, kw, price)
    statement = build_statement(bsp="bsp", period=DEC, settled=[], awards=[award])
    lines = [line for a in statement["availability"] for line in a["isps"]]
    assert [line["awardedKw"] for line in lines] == [k for k in kw if k > 0]
    for line in lines:
        exact = Decimal(line["awardedKw"]) * price  # exact: at most 16 significant digits
        assert line["availabilityEur"] == exact.quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    assert statement["totals"]["availabilityEur"] == sum(
        (line["availabilityEur"] for line in lines), Decimal(0)
    )
    assert statement["totals"]["netEur"] == statement["totals"]["availabilityEur"]


def test_the_statement_nets_energy_and_availability_and_ignores_other_periods() -> None:
    settled = [
        SettledActivation("S1", "0x" + "11" * 32, _record("A1", "up", T0, {"P1": [600]})),
        SettledActivation("S2", "0x" + "22" * 32, _record("A2", "up", T0 + 900, {"P1": [300]})),
    ]
    in_and_out = AwardedCapacity("B1", "N1", "U1", DEC.end_ts - 900, [10, 10], Decimal("0.1"))
    unpriced = AwardedCapacity("B0", "N0", "U1", T0, [10], None)
    statement = build_statement(
        bsp="bsp1",
        period=DEC,
        settled=list(reversed(settled)),
        awards=[in_and_out, unpriced],
        outstanding=[{"activationId": "A3", "status": "disputed"}],
    )
    assert [a["activationId"] for a in statement["activations"]] == ["A1", "A2"]
    line = statement["activations"][0]["isps"][0]
    assert (line["actualWh"], line["deliveredWh"], line["deficiencyWh"]) == (9_400, 600, 400)
    # the last ISP of December only: 10 kW x 0.1 EUR; the award cleared without a price: 0
    assert [a["availabilityEur"] for a in statement["availability"]] == [
        Decimal("0"),
        Decimal("1.0"),
    ]
    totals = statement["totals"]
    assert totals == {
        "activations": 2,
        "remunerationEur": Decimal("0.08"),
        "penaltyEur": Decimal("0.06"),
        "energyNetEur": Decimal("0.02"),
        "availabilityEur": Decimal("1.0"),
        "netEur": Decimal("1.02"),
    }
    assert statement["outstanding"] == [{"activationId": "A3", "status": "disputed"}]
    # the order given does not change the document, so not its hash
    again = build_statement(
        bsp="bsp1",
        period=DEC,
        settled=settled,
        awards=[unpriced, in_and_out],
        outstanding=[{"activationId": "A3", "status": "disputed"}],
    )
    assert document_hash(again) == document_hash(statement)
    assert "supersedes" not in statement  # a first statement keeps its bytes
    replacing = build_statement(
        bsp="bsp1",
        period=DEC,
        settled=settled,
        awards=[],
        supersedes={"statementId": "X", "statementHash": "0x01"},
    )
    assert replacing["supersedes"] == {"statementId": "X", "statementHash": "0x01"}


def test_csv_and_pdf_carry_every_line() -> None:
    settled = [SettledActivation("S1", "0x" + "11" * 32, _record("A1", "up", T0, {"P1": [600]}))]
    award = AwardedCapacity("B1", "N1", "U1", T0, [10], Decimal("0.1"))
    statement = build_statement(bsp="bsp1", period=DEC, settled=settled, awards=[award])
    text = to_csv(statement)
    header, *lines = text.splitlines()
    assert header.split(",") == list(COLUMNS)
    assert len(lines) == len(rows(statement)) == 3
    assert lines[0].startswith(
        "activation,A1,2026-12-01T09:00:00Z,10000,1000,9400,600,400,50,0.04,150,0.03"
    )
    assert lines[-1] == "total,bsp1,,,,,,,,0.04,,0.03,,,1.00,1.01"
    pdf = to_pdf(statement, statement_hash="0x" + "ab" * 32)
    assert pdf.startswith(b"%PDF-")
    assert to_pdf(statement, statement_hash="0x" + "ab" * 32) == pdf  # the same bytes


@given(wh=st.integers(min_value=-(10**9), max_value=10**9))
def test_the_correction_undoes_the_activation_in_net_import(wh: int) -> None:
    # up: the POD drew wh less, so the BRP's offtake is corrected by +wh; down: the opposite
    assert correction_wh(wh, "up") == wh
    assert correction_wh(wh, "down") == -wh


def test_corrections_are_per_brp_and_isp() -> None:
    settled = [
        SettledActivation("S1", "0xaa", _record("A1", "up", T0, {"P1": [600], "P2": [-50]})),
        SettledActivation("S2", "0xbb", _record("A2", "down", T0, {"P3": [200]})),
    ]
    reports = build_corrections(
        period=DEC, settled=settled, brp_of_pod={"P1": "DC-1", "P2": "DC-1", "P3": None}
    )
    assert sorted(reports) == ["DC-1", UNASSIGNED]
    assert reports["DC-1"]["isps"] == [{"start": T0, "correctionWh": 550}]
    assert reports[UNASSIGNED]["isps"] == [{"start": T0, "correctionWh": -200}]
    assert reports["DC-1"]["totals"] == {"correctionWh": 550, "lines": 2}


@pytest.mark.parametrize(
    ("text", "first", "end"),
    [
        ("2026-12", "2026-12-01", "2027-01-01"),
        ("2026-02-10/2026-03-01", "2026-02-10", "2026-03-01"),
    ],
)
def test_periods(text: str, first: str, end: str) -> None:
    period = parse_period(text)
    assert period.as_dict() == {"start": first, "end": end}


@pytest.mark.parametrize("bad", ["2026-13", "2026-12-05/2026-12-01", "december", 202612, None])
def test_bad_periods_name_the_field(bad: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(bad)
    assert caught.value.field == "period"


@given(
    activations=st.lists(
        st.tuples(
            st.sampled_from(["up", "down"]),
            st.lists(
                st.tuples(
                    st.sampled_from(["DC-1", "DC-2", None]),
                    st.integers(min_value=-(10**6), max_value=10**6),
                ),
                min_size=1,
                max_size=4,
            ),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_reports_together_correct_what_the_uvams_delivered(
    activations: list[tuple[str, list[tuple[str | None, int]]]],
) -> None:
    """Over every BRP, the corrections add up to the UVAMs' delivered energy, signed by the
    direction: no Wh is lost or counted twice between BRPs."""
    settled, brp_of_pod = [], {}
    expected = 0
    for index, (direction, pods) in enumerate(activations):
        rows = {}
        for number, (brp, wh) in enumerate(pods):
            pod = f"P{index}-{number}"
            rows[pod] = [wh]
            brp_of_pod[pod] = brp
        settled.append(
            SettledActivation(
                f"S{index}", f"0x{index:02x}", _record(f"A{index}", direction, T0, rows)
            )
        )
        delivered = sum(wh for _, wh in pods)
        expected += delivered if direction == "up" else -delivered
    reports = build_corrections(period=DEC, settled=settled, brp_of_pod=brp_of_pod)
    assert sum(r["totals"]["correctionWh"] for r in reports.values()) == expected
    assert sum(r["totals"]["lines"] for r in reports.values()) == sum(
        len(p) for _, p in activations
    )
