"""``GET /ui/market/uvams``: the qualified UVAMs that can bid, with their market admission
(the dashboard's bid form and admission table read it)."""

from __future__ import annotations

from typing import Any

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
