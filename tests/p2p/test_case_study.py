"""The case study: the source's fleet, reproducible, with its table and its figures."""

from __future__ import annotations

from decimal import Decimal

from typer.testing import CliRunner

from cli.main import app
from ledger.p2p.case_study import CaseStudyParameters, run_case_study
from ledger.p2p.energy import EvRole
from ledger.p2p.plots import FIGURES, render

PNG = b"\x89PNG\r\n\x1a\n"


def test_fleet_follows_the_source_set_up() -> None:
    study = run_case_study(CaseStudyParameters(evs=40, seed=7))
    assert {ev.capacity_kwh for ev in study.evs} == {40, 60, 80, 100}
    for ev in study.evs:
        if ev.role is EvRole.SELLER:
            assert Decimal(80) < ev.soc_percent <= Decimal(95)
        else:
            assert ev.role is EvRole.BUYER
            assert Decimal(30) <= ev.soc_percent <= Decimal(60)
    assert run_case_study(CaseStudyParameters(evs=40, seed=7)).as_json() == study.as_json()


def test_p2p_lowers_grid_energy_peak_and_buyers_cost() -> None:
    study = run_case_study()
    s = study.summary
    assert s["tradedKwh"] == min(s["demandKwh"], s["supplyKwh"]) > 0
    assert s["gridEnergyWithP2PKwh"] == s["gridEnergyWithoutP2PKwh"] - s["tradedKwh"]
    assert s["peakLoadWithP2PKw"] < s["peakLoadWithoutP2PKw"]
    assert s["buyersCostP2PEur"] < s["buyersCostGridEur"]
    for ev in study.evs:
        assert ev.cost_p2p_eur <= ev.cost_grid_eur  # nobody pays more with P2P
    energy_wh = sum(study.load_without_kw) * Decimal(study.parameters.step_minutes) / 60 * 1000
    assert energy_wh == sum(ev.grid_wh_without for ev in study.evs)


def test_figures_are_png() -> None:
    study = run_case_study(CaseStudyParameters(evs=12))
    for name in FIGURES:
        assert render(study, name).startswith(PNG)


def test_case_study_command_writes_table_and_figures(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["p2p", "case-study", "--evs", "16", "--out", str(tmp_path), "--no-rows"]
    )
    assert result.exit_code == 0, result.output
    assert "peak grid load" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{name}.png" for name in FIGURES] + ["case_study.json"]
    )
