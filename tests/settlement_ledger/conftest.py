"""A platform of the settlement tests' own: they move its clock forward (simulated time,
``ledger.core.clock``) past the activations' delivery and the upload window, which would upset the
periods of the other packages on the shared platform. Its settlement settings differ from the
defaults, so the tests also show that they reach the API and the workers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cli.world import World, build_world
from ledger.core.periods import iso
from ledger.settlement import day_type
from tests.market import flows
from tests.market.flows import advance_past  # noqa: F401  (one home; used by the tests here)

GRACE_S = 1800
FINALISE_EVERY_S = 1.0


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(
        tmp_path_factory.mktemp("platform-settlement"),
        "sqlite",
        None,
        settlement_grace_s=GRACE_S,
        settlement_tolerance_relative=Decimal("0.02"),
        settlement_tolerance_wh=20,
        settlement_finalise_every_s=FINALISE_EVERY_S,
        bid_expiry_every_s=1.0,
    )


def accepted_activation(world: World, bid_id: str, t: int, kw: int) -> str:
    """The TSO activates ``kw`` in the period starting at ``t``; bsp1 accepts it."""
    tso = world.client("tso")
    response = tso.post(
        "/market/activations", json={"bidId": bid_id, "firstPeriod": iso(t), "setPointsKw": [kw]}
    )
    assert flows.done(world, "tso", response)["status"] == "succeeded"
    activation_id: str = response.json()["activationId"]
    ack = world.client("bsp1").post(
        f"/market/activations/{activation_id}/acknowledgement", json={"accept": True}
    )
    assert flows.done(world, "bsp1", ack)["status"] == "succeeded"
    return activation_id


def history_day(t1: int) -> int:
    """The same period on the most recent earlier day of the same day type."""
    day = datetime.fromtimestamp(t1, UTC)
    for back in range(1, 8):
        earlier = day - timedelta(days=back)
        if day_type(earlier.date()) == day_type(day.date()):
            return t1 - back * 86_400
    raise AssertionError("no day of the same type in a week")


def readings(resource: str, start: int, watts: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """60 s readings from ``start``: ``(minutes, W)`` runs."""
    rows, t = [], start
    for minutes, power in watts:
        for _ in range(minutes):
            rows.append({"resourceId": resource, "timestamp": t, "powerW": power})
            t += 60
    return rows


def upload(world: World, slug: str, kind: str, rows: list[dict[str, Any]]) -> str:
    """A measurement batch of 60 s readings, committed on chain; returns its id."""
    response = world.client(slug).post(
        "/market/measurements", json={"kind": kind, "resolutionSeconds": 60, "readings": rows}
    )
    assert flows.done(world, slug, response)["status"] == "succeeded", response.text
    batch_id: str = response.json()["batch"]["id"]
    return batch_id
