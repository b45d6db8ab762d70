"""Every refusal of the bid and need paths, through the API (synchronous, with the error and
the field) and, where the contract is the last line, straight against the chain as the
organisation's own account would send it (the decoded custom error)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledger.core.chain.client import Call
from ledger.core.chain.errors import ContractRevert
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso, next_period
from ledger.core.units import price_to_micro
from ledger.market.terms import BidTerms, Direction, market_key
from tests.market import flows
from tests.market.conftest import Market


def _terms(
    world: Any, uvam_id: str, product: str, start: int, quantities: list[int]
) -> tuple[Any, ...]:
    key = to_bytes32(world.client("tso").get(f"/uvams/{uvam_id}").json()["chainKey"])
    return BidTerms(
        key, product, Direction.UP, start, 0, price_to_micro(Decimal("50")), True, tuple(quantities)
    ).as_tuple()


def _chain_refusal(world: Any, slug: str, function: str, *args: Any) -> ContractRevert:
    address = world.organisations[slug].address
    with pytest.raises(ContractRevert) as caught:
        world.chain.simulate(address, [Call("FlexMarket", function, args)])
    return caught.value


def _post_bid(world: Any, slug: str, body: dict[str, Any]) -> Any:
    return world.client(slug).post("/market/bids", json={"bids": [body]})


def test_late_bid_is_refused(market: Market) -> None:
    world, uvam = market.world, market.uvams["a"]
    # the next quarter-hour starts in at most 15 minutes: its gate (20 minutes before) has closed
    start = flows.period_after(world, 0)
    error = flows.refused(
        _post_bid(world, "bsp1", flows.bid(uvam, market.product, start, [10], "50")),
        409,
        "gate_closed",
        "bids.0.deliveryStart",
    )
    assert "closed at" in error["message"]
    revert = _chain_refusal(
        world,
        "bsp1",
        "submitBids",
        [b"\x02" * 32],
        [_terms(world, uvam, market.product, start, [10])],
    )
    assert revert.error_name == "MarketGateClosed"
    assert int(revert.arguments["gateClosesAt"]) == start - 1200


def test_bid_above_qualified_power_is_refused(market: Market) -> None:
    world, uvam = market.world, market.uvams["a"]  # qualified 30 kW up
    start = flows.period_after(world, 1300)
    error = flows.refused(
        _post_bid(world, "bsp1", flows.bid(uvam, market.product, start, [30, 31], "50")),
        422,
        "above_qualified_power",
        "bids.0.quantitiesKw.1",
    )
    assert error["details"] == {"qualifiedKw": 30, "quantityKw": 31}
    revert = _chain_refusal(
        world,
        "bsp1",
        "submitBids",
        [b"\x03" * 32],
        [_terms(world, uvam, market.product, start, [30, 31])],
    )
    assert revert.error_name == "MarketAboveQualifiedPower"
    assert revert.arguments["quantityKw"] == "31"
    assert revert.arguments["qualifiedKw"] == "30"
    assert int(revert.arguments["periodStart"]) == start + 900


def test_bad_bid_terms_are_refused(market: Market) -> None:
    world, uvam = market.world, market.uvams["a"]
    client = world.client("bsp1")
    start = flows.period_after(world, 1300)
    cases = [
        (flows.bid(uvam, market.product, start + 60, [10], "50"), "bids.0.deliveryStart"),
        (flows.bid(uvam, market.product, start, [10], "50.1234567"), "bids.0.price"),
        (flows.bid(uvam, market.product, start, [0, 0], "50"), "bids.0.quantitiesKw"),
        (flows.bid(uvam, market.product, start, [], "50"), "bids.0.quantitiesKw"),
    ]
    for body, field in cases:
        response = client.post("/market/bids", json={"bids": [body]})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field, response.json()
    flows.refused(
        client.post(
            "/market/bids", json={"bids": [flows.bid(uvam, "NO-SUCH-PRODUCT", start, [1], "1")]}
        ),
        404,
        "not_found",
        "bids.0.productId",
    )


def test_wrong_actors_are_refused(market: Market) -> None:
    world, uvam = market.world, market.uvams["a"]  # bsp1's
    start = flows.period_after(world, 1300)
    body = flows.bid(uvam, market.product, start, [10], "50")
    # another BSP bids on bsp1's UVAM: the API does not even show it exists (404, as for every
    # resource of another BSP); the contract refuses the account all the same
    flows.refused(_post_bid(world, "bsp2", body), 404, "not_found", "bids.0.uvamId")
    revert = _chain_refusal(
        world,
        "bsp2",
        "submitBids",
        [b"\x04" * 32],
        [_terms(world, uvam, market.product, start, [10])],
    )
    assert revert.error_name == "MarketNotOwner"
    assert revert.arguments["account"] == world.organisations["bsp2"].address
    # the TSO and a DSO do not bid
    flows.refused(_post_bid(world, "tso", body), 403, "forbidden", "bids")
    revert = _chain_refusal(
        world,
        "dso1",
        "submitBids",
        [b"\x05" * 32],
        [_terms(world, uvam, market.product, start, [10])],
    )
    assert revert.error_name == "MarketUnauthorized"
    # only the TSO states needs, clears them, sends activations
    need = {
        "productId": market.product,
        "direction": "up",
        "deliveryStart": iso(start),
        "quantitiesKw": [10],
    }
    flows.refused(
        world.client("bsp1").post("/market/needs", json=need), 403, "forbidden", "productId"
    )
    flows.refused(
        world.client("dso1").post(
            "/market/activations",
            json={"bidId": "x", "firstPeriod": iso(start), "setPointsKw": [1]},
        ),
        403,
        "forbidden",
        "bidId",
    )
    revert = _chain_refusal(
        world,
        "bsp1",
        "publishNeed",
        b"\x06" * 32,
        (market_key(market.product), 0, start, [10], False, 0, 0),
    )
    assert revert.error_name == "MarketUnauthorized"
    # a DSO declares constraints on its own grid only; a BSP declares none
    pod_of_dso1 = market.pods["a"][0]
    constraint = {
        "constraints": [
            {
                "scope": "pod",
                "target": pod_of_dso1,
                "start": iso(start),
                "end": iso(start + 900),
                "light": "red",
            }
        ]
    }
    flows.refused(
        world.client("dso2").post("/market/grid-constraints", json=constraint),
        403,
        "forbidden",
        "constraints.0.target",
    )
    flows.refused(
        world.client("bsp1").post("/market/grid-constraints", json=constraint), 403, "forbidden"
    )
    # a BSP cannot see, let alone withdraw, another BSP's bid
    [bid_id] = flows.succeeded(world, "bsp1", _post_bid(world, "bsp1", body))["bidIds"]
    flows.wait_bids(world, "bsp1", [bid_id], {"Active"})
    flows.refused(
        world.client("bsp2").post("/market/bids/withdraw", json={"bidIds": [bid_id]}),
        404,
        "not_found",
        "bidIds.0",
    )
    assert world.client("bsp2").get(f"/market/bids/{bid_id}").status_code == 404
    assert world.client("dso2").get(f"/market/bids/{bid_id}").status_code == 404  # not its grid
    assert world.client("dso1").get(f"/market/bids/{bid_id}").status_code == 200
    withdraw = world.client("bsp1").post("/market/bids/withdraw", json={"bidIds": [bid_id]})
    assert flows.done(world, "bsp1", withdraw)["status"] == "succeeded"


def test_need_for_unknown_product_or_direction_is_refused(market: Market) -> None:
    world = market.world
    start = next_period(flows.period_after(world, 1300))
    product = flows.product(world, flows.unique_product("UPONLY"), directions=("up",))
    flows.refused(
        world.client("tso").post(
            "/market/needs",
            json={
                "productId": product,
                "direction": "down",
                "deliveryStart": iso(start),
                "quantitiesKw": [10],
            },
        ),
        422,
        "invalid_input",
        "direction",
    )
    flows.refused(
        world.client("bsp1").post(
            "/market/bids",
            json={
                "bids": [flows.bid(market.uvams["a"], product, start, [10], "50", direction="down")]
            },
        ),
        422,
        "invalid_input",
        "bids.0.direction",
    )


def test_a_constraint_limit_above_the_contracted_power_is_refused(market: Market) -> None:
    """Issue 12, item 13: 500 kW on a POD contracted at 60 kW was accepted without a word."""
    world = market.world
    pod = market.pods["a"][0]  # dso1's grid, contracted at 60 kW
    assert world.client("dso1").get(f"/pods/{pod}").json()["contractedPower"] == 60
    start = flows.period_after(world, 1300)

    def amber(scope: str, target: str, kw: int) -> dict[str, Any]:
        window = {"start": iso(start), "end": iso(start + 900)}
        return {"scope": scope, "target": target, "light": "amber", "limitKw": kw, **window}

    dso = world.client("dso1")
    before = dso.get("/market/grid-constraints").json()["count"]
    error = flows.refused(
        dso.post(
            "/market/grid-constraints",
            json={"constraints": [amber("pod", pod, 60), amber("pod", pod, 500)]},
        ),
        422,
        "invalid_input",
        "constraints.1.limitKw",
    )
    assert "limitKw 500 kW exceeds the contracted power" in error["message"]
    assert "(60 kW)" in error["message"]
    assert error["details"] == {"maximumKw": 60}
    zone = flows.refused(
        dso.post(
            "/market/grid-constraints", json={"constraints": [amber("zone", market.zones["a"], 61)]}
        ),
        422,
        "invalid_input",
        "constraints.0.limitKw",
    )
    assert zone["details"] == {"maximumKw": 60}
    # nothing stored, not even the valid constraint sent with the bad one
    assert dso.get("/market/grid-constraints").json()["count"] == before
    accepted = dso.post("/market/grid-constraints", json={"constraints": [amber("pod", pod, 60)]})
    assert accepted.status_code == 201, accepted.text
