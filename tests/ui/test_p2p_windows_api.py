"""``GET /ui/p2p/windows``: the operator's trading windows with their close time, status and
trades counted by status (the P2P page closes windows and confirms trades by window)."""

from __future__ import annotations

from tests.ui.test_p2p_ui import OPERATOR, _done, pending_trade


def test_windows_list_the_operators_own_with_trade_counts_and_status(ui_world):
    trade = pending_trade(ui_world)
    window_id = trade["windowId"]
    cpo = ui_world.client(OPERATOR)

    listed = cpo.get("/ui/p2p/windows", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    window = {w["windowId"]: w for w in listed.json()["data"]}[window_id]
    assert window["mine"] is True
    assert window["status"] == "Open"
    assert window["priceEurPerKwh"] == "0.15"
    assert window["trades"] == {"Pending": 1}
    assert window["closesAt"].endswith("+00:00")

    # the buyer's BSP sees the window its trade is in; the DSO, with no trade, does not
    bsp_view = {
        w["windowId"]: w
        for w in ui_world.client("bsp1")
        .get("/ui/p2p/windows", params={"limit": 100})
        .json()["data"]
    }
    assert bsp_view[window_id]["mine"] is False
    dso_view = ui_world.client("dso1").get("/ui/p2p/windows", params={"limit": 100}).json()["data"]
    assert window_id not in {w["windowId"] for w in dso_view}

    _done(ui_world, OPERATOR, cpo.post(f"/p2p/windows/{window_id}/close"))
    closed = {
        w["windowId"]: w for w in cpo.get("/ui/p2p/windows", params={"limit": 100}).json()["data"]
    }
    assert closed[window_id]["status"] == "Closed"
