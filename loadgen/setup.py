"""The world the load runs in, prepared through the public API before the generator starts.

On the platform of :func:`cli.world.build_world` (a TSO, two DSOs, three BSPs): a market
product, per BSP a qualified UVAM admitted to the market whose POD has flex devices
(:func:`cli.flows.qualified_uvam`), a mass-loaded set of PODs and a few confirmed bids for the
reads to find.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cli import flows
from cli.world import TSO_EIC, World
from loadgen import bodies
from loadgen.plan import BspAssets, Plan

BSPS = ("bsp1", "bsp2", "bsp3")
DSOS = ("dso1", "dso2")
#: Sequence numbers of the set-up's own bodies, far above any the load reaches.
SEED_SEQUENCE = 900_000


def _bsp_assets(world: World, slug: str, kw: int, devices: int) -> BspAssets:
    """A qualified UVAM of ``devices`` PODs (each ``kw`` of flexibility and one EV charger),
    admitted to the market."""
    device_ids: list[str] = []
    pods = [("dso1", kw, kw, f"LOAD-{slug.upper()}")] * devices
    uvam_id, _ = flows.qualified_uvam(world, slug, pods, up_kw=kw, down_kw=kw, devices=device_ids)
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    return BspAssets(slug, world.eic(slug), uvam_id, kw, device_ids)


def _seed(world: World, plan: Plan, bsp: BspAssets, number: int, pods: int) -> None:
    """Confirmed PODs (one CSV mass load) and bids (one call) of ``bsp`` for the reads."""
    client = world.client(bsp.slug)
    sequence = SEED_SEQUENCE + number
    data = bodies.mass_load_csv(plan, bsp, sequence, pods)
    loaded = flows.succeeded(
        world,
        bsp.slug,
        client.post("/pods/mass-load", files={"file": ("seed.csv", data, "text/csv")}),
    )
    bid = bodies.bids_body(plan, bsp, sequence * 5 + 4, int(time.time()))
    bids = flows.succeeded(world, bsp.slug, client.post("/market/bids", json=bid))
    plan.pod_ids[bsp.slug] = [row["podId"] for row in loaded["report"]["rows"] if row["podId"]]
    plan.bid_ids[bsp.slug] = list(bids["bidIds"])
    plan.operation_ids[bsp.slug] = [loaded["operationId"], bids["operationId"]]


def prepare(
    world: World,
    *,
    rates: list[float],
    step_s: float,
    uvam_kw: int = 100,
    devices: int = 2,
    seed_pods: int = 50,
    **options: Any,
) -> Plan:
    """Set the world up (the three BSPs in parallel) and return the generator's plan."""
    for slug in world.tokens:
        world.client(slug)  # create every client before threads share the dictionary
    product = flows.product(
        world, flows.unique_product("LOAD"), gate_closure_s=0, notice_s=0, ack_s=3600
    )
    with ThreadPoolExecutor(max_workers=len(BSPS)) as pool:
        assets = list(pool.map(lambda slug: _bsp_assets(world, slug, uvam_kw, devices), BSPS))
    plan = Plan(
        api_url=world.api_url,
        tokens=dict(world.tokens),
        tso_eic=TSO_EIC,
        dso_eics=[world.eic(slug) for slug in DSOS],
        bsps=assets,
        product_id=product,
        rates=rates,
        step_s=step_s,
        backlog_orgs=[*BSPS, *DSOS],
        **options,
    )
    with ThreadPoolExecutor(max_workers=len(BSPS)) as pool:
        list(
            pool.map(
                lambda item: _seed(world, plan, item[1], item[0], seed_pods), enumerate(assets)
            )
        )
    return plan
