"""The registration journey through the public API, run on each kind of chain node, and the
world's organisations in the roles of the demo's market journey.

The same steps as a BSP's own system takes them: PODs with a flex device, Open, UnderReview,
the automatic TSO verification and DSO validation, a UVAM of those PODs qualified by the TSO,
and a refusal by the contracts answered before anything is stored.
"""

from __future__ import annotations

from cli.flows import qualified_uvam
from cli.market_bench import BSPS, DSO, Api
from cli.world import World
from ledger.core.domain.enums import PodStatus, UvamStatus
from ledger.core.ids import to_bytes32
from tests.integration import payloads
from tests.integration.flows import count, refused, register_pod


def run_registration_journey(world: World) -> None:
    devices: list[str] = []
    uvam_id, pod_ids = qualified_uvam(
        world,
        "bsp1",
        [("dso1", 60, 40, "NORD"), ("dso2", 50, 30, "NORD")],
        up_kw=100,
        down_kw=60,
        devices=devices,
    )
    client = world.client("bsp1")
    for pod_id in pod_ids:
        detail = client.get(f"/pods/{pod_id}").json()
        assert detail["status"] == "Validated"
        on_chain = world.chain.read("ResourceRegistry", "pod", to_bytes32(detail["chainKey"]))
        assert on_chain["status"] == PodStatus.VALIDATED
    assert len(devices) == 2
    uvam = client.get(f"/uvams/{uvam_id}").json()
    assert uvam["status"] == "Qualified"
    on_chain = world.chain.read("ResourceRegistry", "uvam", to_bytes32(uvam["chainKey"]))
    assert on_chain["status"] == UvamStatus.QUALIFIED

    # a review out of turn is refused by the contract's dry run: 409, nothing stored
    registered = register_pod(world, "bsp1", "dso1")
    before = count(world, "tso", "/operations")
    refused(
        world.client("tso").post(f"/pods/{registered}/review", json=payloads.decision_body(True)),
        409,
        "contract.RegistryInvalidPodTransition",
        "status",
    )
    assert count(world, "tso", "/operations") == before


#: The demo's organisation slugs (``cli.market_demo``) played by the test world's organisations.
DEMO_ROLES = {
    "tso": "tso",
    DSO: "dso1",
    BSPS[0]: "bsp1",
    BSPS[1]: "bsp2",
    BSPS[2]: "bsp3",
}


def demo_api(world: World) -> Api:
    """The world's organisations under the slugs the demo's market journey speaks to."""
    return Api(
        clients={demo: world.client(slug) for demo, slug in DEMO_ROLES.items()},
        eics={demo: world.eic(slug) for demo, slug in DEMO_ROLES.items()},
    )
