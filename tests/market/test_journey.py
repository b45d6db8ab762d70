"""The market journey on the running platform (Anvil, Redis, Celery worker, API):
bids -> DSO checks (one bid blocked, one capped) -> TSO needs cleared pay-as-bid and
pay-as-clear (results worked out by hand below) -> activations and acknowledgements.

Periods: T1 is the first quarter-hour starting at least 21 minutes from now (the product's gate
closes 20 minutes before delivery), T2 and T3 the two after it. Prices in EUR/MWh. A need is
cleared once its gate has closed: the test moves the platform's and the chain's clocks there.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.core.chain.client import Call
from ledger.core.chain.errors import ContractRevert
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso
from tests.market import flows
from tests.market.conftest import Market


def _bids(world: Any, slug: str, *bodies: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    response = world.client(slug).post("/market/bids", json={"bids": list(bodies)})
    operation = flows.done(world, slug, response)
    assert operation["status"] == "succeeded", operation
    return response.json()["bidIds"], operation


def _constraint(
    world: Any, dso: str, zone: str, start: int, end: int, light: str, **extra: Any
) -> None:
    body = {
        "constraints": [
            {
                "scope": "zone",
                "target": zone,
                "start": iso(start),
                "end": iso(end),
                "light": light,
                **extra,
            }
        ]
    }
    response = world.client(dso).post("/market/grid-constraints", json=body)
    assert response.status_code == 201, response.text


def _need(world: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The TSO states a need at its gate closure; it is cleared at once."""
    operation = flows.need_at_gate(world, body)
    assert operation["status"] == "succeeded", operation
    need_id = operation["result"]["needId"]
    return flows.wait_status(world, "tso", f"/market/needs/{need_id}", {"Cleared"})


def test_market_journey(market: Market) -> None:
    world, product, uvams, zones = market.world, market.product, market.uvams, market.zones
    t1 = flows.period_after(world, 1260, settled_periods=2)
    t2, t3 = t1 + 900, t1 + 1800

    # --- DSO constraints: dso2 closes zone D in T1 (red); dso1 caps zone C at 35 kW in T2-T3
    _constraint(world, "dso2", zones["d"], t1, t2, "red", reason="transformer overload")
    _constraint(
        world,
        "dso1",
        zones["c"],
        t2,
        t3 + 900,
        "amber",
        limitKw=35,
        reasonCode=2,
        reason="voltage limits",
    )

    # --- bids for T1. bsp1 sends two bids (UVAMs a and d) in one call: one transaction.
    (a1, d1), operation = _bids(
        world,
        "bsp1",
        flows.bid(uvams["a"], product, t1, [30], "50.00"),
        flows.bid(uvams["d"], product, t1, [20], "30.00"),
    )
    assert len(operation["transactionHashes"]) == 1
    [b1], _ = _bids(world, "bsp2", flows.bid(uvams["b"], product, t1, [40], "45.50"))
    [c1], _ = _bids(world, "bsp3", flows.bid(uvams["c"], product, t1, [40], "60"))
    statuses = {
        b["id"]: b for b in flows.wait_bids(world, "tso", [a1, d1, b1, c1], {"Active", "Blocked"})
    }
    assert {k: v["status"] for k, v in statuses.items()} == {
        a1: "Active",
        b1: "Active",
        c1: "Active",
        d1: "Blocked",
    }

    # the DSO's block is on chain, with the hash of its reasons
    blocked = statuses[d1]
    [check] = blocked["dsoChecks"]
    assert check["dso"] == "dso2"
    assert check["outcome"] == "Blocked"
    assert check["allowedKw"] == [0]
    assert "red zone" in check["reasons"][0]
    assert "transformer overload" in check["reasons"][0]
    assert check["reasonsHash"] != "0x" + "00" * 32
    on_chain = world.chain.read("FlexMarket", "bid", to_bytes32(blocked["chainKey"]))
    assert on_chain["status"] == 8  # BidStatus.Blocked
    checked = [
        e for e in world.chain.receipt(check["transactionHash"]).events if e.name == "BidChecked"
    ]
    assert checked[0].args["reasonsHash"].hex() == check["reasonsHash"][2:]
    assert checked[0].args["reasonCode"] == 1  # congestion

    # --- need 1: 60 kW up in T1, pay-as-bid. Merit order of the active bids:
    #     b1 45.50 (40 kW) -> a1 50.00 (20 of its 30 kW, partial) -> c1 60.00 (nothing: rejected).
    #     d1 (30.00, the cheapest) was blocked by dso2 and takes no part.
    need = _need(
        world,
        {"productId": product, "direction": "up", "deliveryStart": iso(t1), "quantitiesKw": [60]},
    )
    awards = {a["bidId"]: (a["awardedKw"], a["prices"]) for a in need["awards"]}
    assert awards == {b1: ([40], ["45.5"]), a1: ([20], ["50"])}
    assert need["rejected"] == [c1]
    assert need["periods"] == [
        {
            "periodStart": iso(t1),
            "neededKw": 60,
            "awardedKw": 60,
            "unmetKw": 0,
            "clearingPrice": "50",
        }
    ]
    final = {
        b["id"]: b["status"]
        for b in flows.wait_bids(
            world, "tso", [a1, b1, c1, d1], {"Selected", "Rejected", "Blocked"}
        )
    }
    assert final == {a1: "Selected", b1: "Selected", c1: "Rejected", d1: "Blocked"}
    # a BSP sees its own award only
    assert [
        a["bidId"]
        for a in flows.wait_status(world, "bsp2", f"/market/needs/{need['id']}", {"Cleared"})[
            "awards"
        ]
    ] == [b1]

    # the award is on chain per period
    b1_key = to_bytes32(statuses[b1]["chainKey"])
    assert world.chain.read("FlexMarket", "award", b1_key, t1) == {
        "awardedKw": 40,
        "activatedKw": 0,
        "priceMicroEurPerMwh": 45_500_000,
    }

    # --- need 2: T2-T3, [50, 30] kW up, pay-as-clear, price limit 58.
    #     a2 [30, 10] @ 40 goes on chain before b2 [25, -] @ 40: same price, a2 has time priority.
    #     c2 [40, 40] @ 55 is capped by dso1 to [35, 35].
    #     T2: a2 30 -> b2 20 of 25 (partial) -> done; clearing price 40 (c2 not needed).
    #     T3: a2 10 -> c2 20 of 35; clearing price 55, paid to a2 too.
    [a2], _ = _bids(world, "bsp1", flows.bid(uvams["a"], product, t2, [30, 10], "40"))
    [b2], _ = _bids(world, "bsp2", flows.bid(uvams["b"], product, t2, [25], "40.000"))
    [c2], _ = _bids(world, "bsp3", flows.bid(uvams["c"], product, t2, [40, 40], "55"))
    active = {b["id"]: b for b in flows.wait_bids(world, "tso", [a2, b2, c2], {"Active"})}
    assert active[c2]["quantitiesKw"] == [35, 35]
    assert active[c2]["offeredKw"] == [40, 40]
    assert active[c2]["dsoChecks"][0]["outcome"] == "Capped"
    assert active[a2]["priority"] < active[b2]["priority"]

    need2 = _need(
        world,
        {
            "productId": product,
            "direction": "up",
            "deliveryStart": iso(t2),
            "quantitiesKw": [50, 30],
            "pricing": "payAsClear",
            "priceLimit": "58",
        },
    )
    awards = {a["bidId"]: (a["awardedKw"], a["prices"]) for a in need2["awards"]}
    assert awards == {
        a2: ([30, 10], ["40", "55"]),
        b2: ([20], ["40"]),
        c2: ([0, 20], ["0", "55"]),
    }
    assert need2["rejected"] == []
    assert [(p["awardedKw"], p["clearingPrice"]) for p in need2["periods"]] == [
        (50, "40"),
        (30, "55"),
    ]

    # a rerun from the stored inputs reproduces the result hash recorded on chain
    for cleared in (need, need2):
        rerun = world.client("auditor").get(f"/market/needs/{cleared['id']}/rerun").json()
        assert rerun["reproduced"] is True, rerun
        assert rerun["onChainResultHash"] == cleared["resultHash"]

    # --- activations of b1 (40 kW awarded in T1); bsp2 and dso1 get callbacks
    bsp_hook, dso_hook = flows.Receiver(), flows.Receiver()
    flows.set_callback(world, "bsp2", bsp_hook.url)
    flows.set_callback(world, "dso1", dso_hook.url)
    tso = world.client("tso")
    try:

        def activate(kw: int) -> Any:
            return tso.post(
                "/market/activations",
                json={"bidId": b1, "firstPeriod": iso(t1), "setPointsKw": [kw]},
            )

        response = activate(25)
        assert flows.done(world, "tso", response)["status"] == "succeeded"
        first = response.json()["activationId"]
        sent = bsp_hook.wait_for("activation.sent", first)
        assert sent["activation"]["setPointsKw"] == [25]
        assert sent["activation"]["status"] == "Sent"
        informed = dso_hook.wait_for("activation.sent", first)
        assert informed["activation"]["dsoEics"] == [world.eic("dso1")]
        assert [
            a["id"] for a in world.client("dso1").get("/market/activations").json()["data"]
        ].count(first) == 1
        assert world.client("bsp2").get(f"/market/activations/{first}").json()["status"] == "Sent"

        ack = world.client("bsp2").post(
            f"/market/activations/{first}/acknowledgement", json={"accept": True}
        )
        assert flows.done(world, "bsp2", ack)["status"] == "succeeded"
        assert (
            world.client("tso").get(f"/market/activations/{first}").json()["status"] == "Accepted"
        )

        # no double activation: 25 kW live + 20 kW > 40 kW awarded
        refused = flows.refused(activate(20), 409, "beyond_award", "setPointsKw.0")
        assert refused["details"]["availableKw"] == 15
        terms = _b1_terms(world, b1)
        beyond = Call("FlexMarket", "sendActivation", (b"\x01" * 32, b1_key, terms, t1, [20]))
        with pytest.raises(ContractRevert) as caught:
            world.chain.simulate(world.organisations["tso"].address, [beyond])
        assert caught.value.error_name == "MarketBeyondAward"
        assert caught.value.arguments["availableKw"] == "15"

        # 15 kW fits; the BSP refuses it (Cancelled), which releases it for another activation
        response = activate(15)
        assert flows.done(world, "tso", response)["status"] == "succeeded"
        second = response.json()["activationId"]
        bsp_hook.wait_for("activation.sent", second)
        refuse = world.client("bsp2").post(
            f"/market/activations/{second}/acknowledgement",
            json={"accept": False, "reasons": ["EVs unplugged"]},
        )
        assert flows.done(world, "bsp2", refuse)["status"] == "succeeded"
        assert tso.get(f"/market/activations/{second}").json()["status"] == "Cancelled"
        response = activate(15)
        assert flows.done(world, "tso", response)["status"] == "succeeded"
        third = response.json()["activationId"]
        assert world.chain.read("FlexMarket", "award", b1_key, t1)["activatedKw"] == 40

        # the TSO changes the first activation (down to 20 kW) and stops the third
        change = tso.patch(f"/market/activations/{first}", json={"setPointsKw": [20]})
        assert flows.done(world, "tso", change)["status"] == "succeeded"
        changed = bsp_hook.wait_for("activation.changed", first)
        assert changed["activation"]["setPointsKw"] == [20]
        assert changed["activation"]["status"] == "Sent"
        stop = tso.post(f"/market/activations/{third}/stop", json={"reasons": ["need covered"]})
        assert flows.done(world, "tso", stop)["status"] == "succeeded"
        assert tso.get(f"/market/activations/{third}").json()["status"] == "Stopped"
        assert world.chain.read("FlexMarket", "award", b1_key, t1)["activatedKw"] == 20
        history = [h["to"] for h in tso.get(f"/market/activations/{first}").json()["history"]]
        assert history == ["Sent", "Accepted", "Sent"]
    finally:
        flows.set_callback(world, "bsp2", None)
        flows.set_callback(world, "dso1", None)
        bsp_hook.close()
        dso_hook.close()


def _b1_terms(world: Any, bid_id: str) -> tuple[Any, ...]:
    """The on-chain terms of a bid, rebuilt from what the API shows."""
    from ledger.market.common import bid_terms
    from ledger.market.tables import MarketBid

    with world.runtime.session() as session:
        bid = session.get(MarketBid, bid_id)
        return bid_terms(session, bid).as_tuple()
