"""Bids whose validity has ended are expired by the worker's periodic task, with no call from
anyone (on this package's platform, whose clock the tests move; see ``conftest.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from ledger.core import clock
from ledger.core.periods import PERIOD_SECONDS, next_period
from tests.market import flows
from tests.settlement_ledger.conftest import advance_past


def test_a_bid_past_its_validity_is_expired_by_the_worker(world: Any) -> None:
    settings = world.platform.settings
    uvam_id, _ = flows.qualified_uvam(
        world, "bsp2", [("dso1", 30, 30, f"ZE-{uuid.uuid4().hex[:6]}")], up_kw=30, down_kw=30
    )
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product = flows.product(world, flows.unique_product("EXPIRY"), gate_closure_s=60)
    start = next_period(clock.clock_for(settings).now() + 300)
    bids = [
        flows.bid(uvam_id, product, start, [10], "40.00"),  # valid to the end of its period
        flows.bid(uvam_id, product, start, [10, 10, 10], "41.00"),  # valid two periods longer
    ]
    response = world.client("bsp2").post("/market/bids", json={"bids": bids})
    assert flows.done(world, "bsp2", response)["status"] == "succeeded"
    short, long = response.json()["bidIds"]
    flows.wait_bids(world, "bsp2", [short, long], {"Active"})

    advance_past(world, start + PERIOD_SECONDS)

    expired = flows.wait_status(world, "bsp2", f"/market/bids/{short}", {"Expired"})
    last = expired["history"][-1]
    assert (last["from"], last["to"]) == ("Active", "Expired")
    assert last["actor"] == world.organisations["tso"].id  # the housekeeping account
    assert last["transactionHash"]
    assert world.client("bsp2").get(f"/market/bids/{long}").json()["status"] == "Active"
