"""``GET /ui/market/uvams``: the qualified UVAMs that can bid, with their market admission
(the dashboard's bid form and admission table read it)."""

from __future__ import annotations

from typing import Any

from ledger.core.ids import chain_key, to_bytes32
from tests.market import flows
from tests.ui.market_steps import qualified_uvam_by_api


def _listed(world: Any, slug: str) -> dict[str, dict[str, Any]]:
    response = world.client(slug).get("/ui/market/uvams")
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()["data"]}


def test_market_uvams_lists_own_qualified_uvams_and_their_admission(ui_world):
    uvam_id, _ = qualified_uvam_by_api(ui_world, "bsp2", kw=20, admit=False)

    mine = _listed(ui_world, "bsp2")[uvam_id]
    assert mine["admitted"] is False
    assert mine["admittedAt"] is None
    assert (mine["upKw"], mine["downKw"]) == (20, 20)
    assert uvam_id not in _listed(ui_world, "bsp1")  # another BSP's UVAM stays hidden
    assert _listed(ui_world, "dso1") == {}
    assert _listed(ui_world, "tso")[uvam_id]["bspName"] == mine["bspName"] != mine["bsp"]

    flows.succeeded(ui_world, "tso", ui_world.client("tso").post(f"/market/admissions/{uvam_id}"))
    admitted = _listed(ui_world, "bsp2")[uvam_id]
    assert admitted["admitted"] is True
    assert admitted["admittedAt"]


def test_the_owning_bsp_asks_for_its_uvams_admission(ui_world):
    """The BSP brings its qualified UVAM's admission forward (the TSO admits it on chain, as it
    does before a first bid); another BSP cannot, and an admitted UVAM is not admitted twice."""
    uvam_id, _ = qualified_uvam_by_api(ui_world, "bsp2", kw=20, admit=False)
    path = f"/market/admissions/{uvam_id}"

    flows.refused(ui_world.client("bsp1").post(path), 404, "not_found", "uvamId")
    flows.refused(ui_world.client("dso1").post(path), 403, "forbidden", "uvamId")
    assert _listed(ui_world, "bsp2")[uvam_id]["admitted"] is False

    flows.succeeded(ui_world, "bsp2", ui_world.client("bsp2").post(path))
    assert _listed(ui_world, "bsp2")[uvam_id]["admitted"] is True
    admission = ui_world.chain.read(
        "FlexMarket", "admission", to_bytes32(chain_key("uvam", uvam_id))
    )
    assert (admission["upKw"], admission["downKw"]) == (20, 20)  # on chain, qualified powers
    flows.refused(ui_world.client("bsp2").post(path), 409, "conflict", "uvamId")
