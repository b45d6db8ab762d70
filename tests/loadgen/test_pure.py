"""The load generator's pure parts: schedule, mix, percentiles, step figures, saturation."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from loadgen import bodies, mix
from loadgen.monitor import Sample, window_evidence
from loadgen.plan import BspAssets, Plan
from loadgen.report import diagnose
from loadgen.session import logged_errors
from loadgen.stats import (
    ALL,
    Bounds,
    Latency,
    Record,
    StepResult,
    StepWindow,
    backlog_at,
    flag_steps,
    percentile,
    saturation_point,
    summarise_step,
)

# ------------------------------------------------------------------ schedule and mix


def test_even_schedule_has_rate_times_duration_arrivals_evenly_spaced():
    arrivals = mix.schedule(4, 5, seed=3, poisson=False, first_sequence=7)
    assert len(arrivals) == 20
    assert [a.at for a in arrivals] == [i / 4 for i in range(20)]
    assert [a.sequence for a in arrivals] == list(range(7, 27))


def test_poisson_schedule_is_reproducible_ordered_and_inside_the_step():
    first = mix.schedule(20, 10, seed=5)
    again = mix.schedule(20, 10, seed=5)
    other = mix.schedule(20, 10, seed=6)
    assert first == again
    assert first != other
    offsets = [a.at for a in first]
    assert offsets == sorted(offsets)
    assert all(0 <= at < 10 for at in offsets)


def test_poisson_offsets_have_the_rate_on_average():
    rng = random.Random(11)
    counts = [len(mix.arrival_offsets(10, 100, poisson=True, rng=rng)) for _ in range(20)]
    assert 950 <= sum(counts) / len(counts) <= 1050


def test_no_arrivals_at_zero_rate_or_duration():
    rng = random.Random(1)
    assert mix.arrival_offsets(0, 10, poisson=True, rng=rng) == []
    assert mix.arrival_offsets(5, 0, poisson=False, rng=rng) == []


def test_every_hundred_picks_hold_the_mix_exactly():
    picks = mix.weighted_sequence(mix.DEFAULT_MIX, 300)
    assert sum(mix.DEFAULT_MIX.values()) == 100
    for block in range(3):
        assert Counter(picks[100 * block : 100 * (block + 1)]) == Counter(mix.DEFAULT_MIX)


def test_steps_continue_the_weighted_sequence():
    whole = mix.weighted_sequence(mix.DEFAULT_MIX, 100)
    first = mix.schedule(4, 10, seed=1, poisson=False, first_sequence=0)
    second = mix.schedule(6, 10, seed=2, poisson=False, first_sequence=len(first))
    assert [a.endpoint for a in first + second] == whole


def test_the_mix_needs_a_positive_weight():
    with pytest.raises(ValueError, match="positive weight"):
        mix.weighted_sequence({"GET /pods": 0}, 3)


# ------------------------------------------------------------------ bodies


def _plan() -> Plan:
    bsp = BspAssets("bsp1", "21XBSP-ALPHA---X", "uvam-1", 100, ["dev-1", "dev-2"])
    return Plan(
        api_url="http://127.0.0.1:1",
        tokens={},
        tso_eic="10X1001A1001A345",
        dso_eics=["26X00000105128-9"],
        bsps=[bsp],
        product_id="LOAD-1",
        rates=[1],
        step_s=1,
    )


def test_pod_codes_are_unique_per_request_and_row():
    codes = {bodies.pod_code(seq, row) for seq in range(50) for row in range(20)}
    assert len(codes) == 1000
    assert all(len(code) == len("IT007E") + 9 for code in codes)


def test_bids_stay_within_the_uvam_power_and_offer_something():
    plan = _plan()
    for sequence in range(50):
        body = bodies.bids_body(plan, plan.bsps[0], sequence, now=1_700_000_000)
        assert 1 <= len(body["bids"]) <= 5
        for bid in body["bids"]:
            assert all(0 <= kw <= 100 for kw in bid["quantitiesKw"])
            assert any(bid["quantitiesKw"])


def test_readings_end_before_now_and_align_to_the_resolution():
    plan = _plan()
    now = 1_700_000_123
    body = bodies.measurements_json(plan, plan.bsps[0], 5, now)
    for series in body["series"]:
        last = series["start"] + 60 * (len(series["values"]) - 1)
        assert series["start"] % 60 == 0
        assert last + 60 <= now
    csv_lines = bodies.measurements_csv(plan, plan.bsps[0], 5, now).decode().splitlines()
    assert csv_lines[0] == "resourceId,timestamp,powerW"
    assert len(csv_lines) == 1 + 2 * plan.readings_per_device


# ------------------------------------------------------------------ percentiles


def test_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([5.0, 1.0], 0.5) == 1.0


@pytest.mark.parametrize("values", [[0.2, 0.1, 0.4], [1.0] * 7, [float(i % 13) for i in range(99)]])
def test_percentiles_are_ordered(values):
    p = [percentile(values, q) for q in (0.5, 0.95, 0.99, 1.0)]
    assert p == sorted(p)
    assert p[-1] == max(values)


def test_percentile_refuses_nonsense():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="fraction"):
        percentile([1.0], 0)


# ------------------------------------------------------------------ step figures


def _record(step: int, due: float, latency: float | None, status: int | None, **extra) -> Record:
    return Record(step, "POST /pods", "bsp1", due, 0.0, latency, latency, status, **extra)


def test_a_step_counts_answers_inside_its_window_and_statuses_of_its_requests():
    window = StepWindow(0, 10, start=100.0, end=110.0, scheduled=4)
    records = [
        _record(0, 100.0, 0.1, 202, operation_id="op-1"),
        _record(0, 101.0, 0.1, 200),
        _record(0, 109.9, 0.5, 200),  # answered after the window: not achieved in it
        _record(0, 105.0, None, None, error="ReadTimeout"),
        _record(1, 110.5, 0.1, 200),  # the next step's
    ]
    step = summarise_step(window, records, [(99.0, 0), (105.0, 3), (111.0, 1)])
    assert step.offered_per_s == pytest.approx(0.4)
    assert step.achieved_per_s == pytest.approx(0.2)
    assert step.statuses == {"200": 2, "202": 1, "transport": 1}
    assert step.transport_errors == 1
    assert step.accepted_operations == 1
    assert (step.backlog_start, step.backlog_end, step.backlog_max) == (0, 3, 3)
    assert step.latency[ALL].count == 3
    assert step.latency["POST /pods"].max == pytest.approx(0.5)


def test_backlog_at_takes_the_last_sample_before():
    samples = [(1.0, 5), (2.0, 7), (3.0, 2)]
    assert backlog_at(samples, 0.5) == 0
    assert backlog_at(samples, 2.5) == 7
    assert backlog_at(samples, 9.0) == 2


# ------------------------------------------------------------------ saturation


def _step(
    index: int,
    offered: float,
    achieved: float,
    *,
    p99: float = 0.1,
    backlog: tuple[int, int] = (0, 0),
    accepted: int = 100,
    errors: int = 0,
) -> StepResult:
    return StepResult(
        index=index,
        rate=offered,
        seconds=10,
        scheduled=int(offered * 10),
        offered_per_s=offered,
        achieved_per_s=achieved,
        statuses={},
        endpoint_statuses={},
        errors_5xx=errors,
        status_503=0,
        transport_errors=0,
        accepted_operations=accepted,
        latency={ALL: Latency(10, p99 / 2, p99, p99, p99)},
        lag_p99_s=0.0,
        service_p50_s=p99 / 2,
        service_p99_s=p99,
        in_flight_at_end=0,
        backlog_start=backlog[0],
        backlog_end=backlog[1],
        backlog_max=max(backlog),
    )


def test_no_saturation_when_throughput_latency_and_backlog_keep_up():
    steps = [_step(0, 5, 5), _step(1, 10, 9.8, backlog=(3, 8)), _step(2, 20, 19.5)]
    flag_steps(steps, Bounds())
    assert saturation_point(steps) is None


def test_throughput_below_ninety_percent_saturates():
    steps = [_step(0, 10, 10), _step(1, 20, 17.5), _step(2, 40, 18)]
    flag_steps(steps, Bounds())
    point = saturation_point(steps)
    assert point is not None
    assert point.index == 1
    assert point.flags[0].startswith("throughput")


def test_p99_beyond_the_bound_saturates():
    steps = [_step(0, 10, 10, p99=0.5), _step(1, 20, 20, p99=2.5)]
    flag_steps(steps, Bounds(p99_s=2.0))
    point = saturation_point(steps)
    assert point is not None
    assert point.index == 1
    assert point.flags == ["latency: p99 2500 ms > 2000 ms"]


def test_a_growing_backlog_saturates_while_the_api_still_keeps_up():
    steps = [
        _step(0, 10, 10, backlog=(0, 4), accepted=40),
        _step(1, 20, 20, backlog=(4, 9), accepted=80),  # +5: under the floor of 10
        _step(2, 40, 40, backlog=(9, 70), accepted=160),  # +61 > 25 % of 160
    ]
    flag_steps(steps, Bounds())
    point = saturation_point(steps)
    assert point is not None
    assert point.index == 2
    assert [flag.split(":")[0] for flag in point.flags] == ["backlog"]


def test_server_errors_saturate():
    steps = [_step(0, 10, 10, errors=1)]
    flag_steps(steps, Bounds())
    assert saturation_point(steps) is steps[0]


# ------------------------------------------------------------------ monitor arithmetic


def test_window_evidence_turns_cpu_seconds_into_percent_of_a_core():
    samples = [
        Sample(100.0, {"api": 10.0, "worker": 1.0}, 50),
        Sample(105.0, {"api": 12.5, "worker": 6.0}, 100),
        Sample(110.0, {"api": 15.0, "worker": 11.0}, 150),
        Sample(120.0, {"api": 99.0, "worker": 99.0}, 999),
    ]
    evidence = window_evidence(samples, 100.0, 110.0)
    assert evidence["cpu_api_pct"] == pytest.approx(50.0)
    assert evidence["cpu_worker_pct"] == pytest.approx(100.0)
    assert evidence["anvil_tx_per_s"] == pytest.approx(10.0)
    assert window_evidence(samples[:1], 100.0, 110.0) == {}


# ------------------------------------------------------------------ diagnosis


def test_a_growing_backlog_with_a_flat_chain_blames_the_chain_submission_workers():
    before = _step(0, 10, 10, accepted=100)
    before.evidence = {"anvil_tx_per_s": 5.5, "cpu_worker_pct": 30.0, "cpu_machine_pct": 120.0}
    after = _step(1, 20, 20, backlog=(5, 80), accepted=200)
    after.evidence = {"anvil_tx_per_s": 5.4, "cpu_worker_pct": 33.0, "cpu_machine_pct": 130.0}
    flag_steps([before, after], Bounds())
    verdict, *evidence = diagnose(after, before, cores=2)
    assert verdict.startswith("the chain-submission workers")
    assert any(line.startswith("chain: Anvil mined 5.5 -> 5.4 tx/s") for line in evidence)


def test_busy_cores_without_a_backlog_blame_the_cpu():
    step = _step(0, 40, 30)
    step.evidence = {"cpu_api_pct": 95.0, "cpu_machine_pct": 195.0}
    flag_steps([step], Bounds())
    assert diagnose(step, None, cores=2)[0] == "the machine's CPU: every core busy"


def test_logged_exceptions_are_counted_by_kind_and_message(tmp_path):
    line = "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached"
    (tmp_path / "api.log").write_text(f"Traceback\n  File x\n{line}\n{line}\nINFO fine\n")
    assert logged_errors(tmp_path) == [f"api.log: 2 x {line}"]
