"""A market on the running platform: one test product and four qualified UVAMs.

===========  =====  ==========================  =========================
UVAM         BSP    member POD (DSO, zone)      qualified power up / down
===========  =====  ==========================  =========================
``a``        bsp1   dso1, zone ZA, 30/30 kW     30 / 30 kW
``b``        bsp2   dso1, zone ZB, 40/40 kW     40 / 40 kW
``c``        bsp3   dso1, zone ZC, 40/40 kW     40 / 40 kW
``d``        bsp1   dso2, zone ZD, 20/20 kW     20 / 20 kW
===========  =====  ==========================  =========================

The product closes its gate 20 minutes before delivery, needs 60 s of activation notice and
gives the BSP 120 s to acknowledge.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.market import flows


@dataclass
class Market:
    world: Any
    product: str
    uvams: dict[str, str]
    pods: dict[str, list[str]]
    devices: dict[str, list[str]] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def market(world: Any) -> Market:
    product = flows.product(world, flows.unique_product("JOURNEY"))
    specs = {
        "a": ("bsp1", "dso1", 30),
        "b": ("bsp2", "dso1", 40),
        "c": ("bsp3", "dso1", 40),
        "d": ("bsp1", "dso2", 20),
    }
    uvams: dict[str, str] = {}
    pods: dict[str, list[str]] = {}
    devices: dict[str, list[str]] = {}
    zones: dict[str, str] = {}
    for name, (bsp, dso, kw) in specs.items():
        zone = f"Z{name.upper()}-{uuid.uuid4().hex[:6]}"
        devices[name] = []
        uvams[name], pods[name] = flows.qualified_uvam(
            world, bsp, [(dso, kw, kw, zone)], up_kw=kw, down_kw=kw, devices=devices[name]
        )
        zones[name] = zone
        flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvams[name]}"))
    return Market(
        world=world, product=product, uvams=uvams, pods=pods, devices=devices, zones=zones
    )
