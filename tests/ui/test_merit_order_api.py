"""``GET /ui/market/needs/{id}/merit-order``: a cleared need's bids per period in merit order,
cleared again from its stored inputs (and whether that reproduces the recorded result)."""

from __future__ import annotations

from tests.ui.market_steps import two_bsp_need


def test_merit_order_ranks_the_bids_and_reproduces_the_clearing(ui_world):
    need = two_bsp_need(ui_world)
    path = f"/ui/market/needs/{need['needId']}/merit-order"

    order = ui_world.client("tso").get(path)
    assert order.status_code == 200, order.text
    body = order.json()
    assert body["reproduced"] is True
    assert len(body["periods"]) == 2
    for period in body["periods"]:
        assert (period["neededKw"], period["awardedKw"]) == (30, 30)
        ranks = [
            (b["rank"], b["bidId"], b["price"], b["offeredKw"], b["awardedKw"])
            for b in period["bids"]
        ]
        assert ranks == [(1, need["cheap"], "60", 20, 20), (2, need["dear"], "80", 20, 10)], ranks
        assert all(b["bspName"] and b["uvamName"] for b in period["bids"])
    assert ui_world.client("auditor").get(path).status_code == 200
    refused = ui_world.client("bsp1").get(path)
    assert refused.status_code == 403, refused.text
    assert ui_world.client("tso").get("/ui/market/needs/nope/merit-order").status_code == 404
