"""A session Anvil with the platform deployed, the organisations' signers, and per-test snapshots.

Tests get a :class:`Net` through the ``net`` fixture: the client, a signer per organisation
(``tso``, ``dso1``, ``dso2``, ``bsp1``, ``bsp2`` and ``outsider``, who holds no role) and small
helpers to send one call, expect a decoded revert, and drive PODs and UVAMs along their flows.
Every test that uses ``net`` runs inside an ``evm_snapshot``/``evm_revert`` pair.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak

from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode
from ledger.core.chain.client import Call, ChainClient, Receipt
from ledger.core.chain.deploy import deploy_platform
from ledger.core.chain.errors import ContractRevert
from ledger.core.chain.signer import Signer
from ledger.core.domain.enums import PodStatus, Role, UvamStatus
from ledger.core.domain.identifiers import eic_to_bytes16, make_eic

TSO_EIC = "10X1001A1001A345"
DSO1_EIC = "26X00000105128-9"
DSO2_EIC = make_eic("26XDSO-SECOND--")
BSP1_EIC = make_eic("21XBSP-ALPHA---")
BSP2_EIC = make_eic("21XBSP-BRAVO---")
FUNDING_WEI = 1_000 * 10**18
REGISTRY = "ResourceRegistry"
ROLES = "CbpRoles"

MEMBERS = {
    "dso1": (Role.DSO, DSO1_EIC),
    "dso2": (Role.DSO, DSO2_EIC),
    "bsp1": (Role.BSP, BSP1_EIC),
    "bsp2": (Role.BSP, BSP2_EIC),
}


def role_hex(role: Role) -> str:
    """A role id as :class:`ContractRevert` renders it."""
    return "0x" + role.chain_role_id.hex()


def id_hex(value: bytes) -> str:
    return "0x" + value.hex()


def new_signer(client: ChainClient, funder: Signer) -> Signer:
    signer = Signer(Account.create(), client.chain_id)
    assert client.transfer(funder, signer.address, FUNDING_WEI).succeeded
    return signer


@dataclass
class Net:
    """The deployed platform on the session Anvil, with one signer per organisation."""

    node: AnvilNode
    client: ChainClient
    funder: Signer
    signers: dict[str, Signer]
    eics: dict[str, str]
    _ids: Iterator[int] = field(default_factory=itertools.count)

    # ------------------------------------------------------------ basics

    def __getitem__(self, name: str) -> Signer:
        return self.signers[name]

    def address(self, name: str) -> str:
        return self.signers[name].address

    def eic(self, name: str) -> bytes:
        return eic_to_bytes16(self.eics[name])

    @staticmethod
    def role_hex(role: Role) -> str:
        return role_hex(role)

    @staticmethod
    def hex(value: bytes) -> str:
        return id_hex(value)

    def new_id(self, label: str = "id") -> bytes:
        """A fresh bytes32 id, unique within the session."""
        return keccak(text=f"{label}-{next(self._ids)}")

    def tx(self, who: str | Signer, function: str, *args: Any, contract: str = REGISTRY) -> Receipt:
        signer = self.signers[who] if isinstance(who, str) else who
        [receipt] = self.client.transact(signer, [Call(contract, function, args)])
        assert receipt.succeeded
        return receipt

    def reverts(
        self, who: str | Signer, function: str, *args: Any, contract: str = REGISTRY
    ) -> ContractRevert:
        """Send the call, expect a decoded custom error, and return it."""
        try:
            self.tx(who, function, *args, contract=contract)
        except ContractRevert as revert:
            return revert
        pytest.fail(f"{function} by {who if isinstance(who, str) else who.address} did not revert")

    def read(self, function: str, *args: Any, contract: str = REGISTRY) -> Any:
        return self.client.read(contract, function, *args)

    def pod_status(self, pod_id: bytes) -> PodStatus:
        return PodStatus(self.read("pod", pod_id)["status"])

    def uvam_status(self, uvam_id: bytes) -> UvamStatus:
        return UvamStatus(self.read("uvam", uvam_id)["status"])

    # ------------------------------------------------------------ flows

    def register_pod(self, bsp: str = "bsp1", dso: str = "dso1") -> bytes:
        pod_id = self.new_id("pod")
        self.tx(bsp, "registerPods", [pod_id], [self.eic(dso)], [self.new_id("record")])
        return pod_id

    def pod_in(self, status: PodStatus, bsp: str = "bsp1", dso: str = "dso1") -> bytes:
        """A new POD of ``bsp`` connected to ``dso``, driven to ``status``."""
        pod_id = self.register_pod(bsp, dso)
        steps = {
            PodStatus.OPEN: (bsp, "setPodStatus", PodStatus.OPEN),
            PodStatus.UNDER_REVIEW: (bsp, "setPodStatus", PodStatus.UNDER_REVIEW),
            PodStatus.VERIFIED: ("tso", "verifyPod"),
            PodStatus.VALIDATED: (dso, "validatePod", self.new_id("constraints")),
        }
        for target in (
            PodStatus.OPEN,
            PodStatus.UNDER_REVIEW,
            PodStatus.VERIFIED,
            PodStatus.VALIDATED,
        ):
            if target > status:
                break
            who, function, *extra = steps[target]
            self.tx(who, function, pod_id, *extra)
        assert self.pod_status(pod_id) == status
        return pod_id

    def register_uvam(self, bsp: str = "bsp1") -> bytes:
        uvam_id = self.new_id("uvam")
        self.tx(bsp, "registerUvam", uvam_id, self.new_id("record"))
        return uvam_id

    def uvam_in(self, status: UvamStatus, bsp: str = "bsp1") -> bytes:
        uvam_id = self.register_uvam(bsp)
        if status >= UvamStatus.OPEN:
            self.tx(bsp, "setUvamStatus", uvam_id, UvamStatus.OPEN)
        if status >= UvamStatus.UNDER_REVIEW:
            self.tx(bsp, "setUvamStatus", uvam_id, UvamStatus.UNDER_REVIEW)
        if status == UvamStatus.QUALIFIED:
            self.tx("tso", "qualifyUvam", uvam_id)
        assert self.uvam_status(uvam_id) == status
        return uvam_id

    def group(self, uvam_id: bytes, pod_id: bytes, bsp: str = "bsp1") -> bytes:
        relation_id = self.new_id("relation")
        self.tx(bsp, "addPodToUvam", relation_id, uvam_id, pod_id)
        return relation_id


@pytest.fixture(scope="session")
def session_net() -> Iterator[Net]:
    with AnvilNode(state_file=None) as node:
        client = ChainClient(node.rpc_url)
        funder = Signer(Account.from_key(ANVIL_FUNDER_KEY), client.chain_id)
        tso = new_signer(client, funder)
        deploy_platform(client, tso, tso_eic=TSO_EIC)
        signers = {"tso": tso}
        eics = {"tso": TSO_EIC}
        for name, (role, eic) in MEMBERS.items():
            signer = new_signer(client, funder)
            client.transact(
                tso,
                [
                    Call(
                        ROLES,
                        "grantRole",
                        (signer.address, role.chain_role_id, eic_to_bytes16(eic)),
                    )
                ],
            )
            signers[name] = signer
            eics[name] = eic
        signers["outsider"] = new_signer(client, funder)
        yield Net(node=node, client=client, funder=funder, signers=signers, eics=eics)
        client.close()


@pytest.fixture
def net(session_net: Net) -> Net:
    """The session platform; :func:`_isolate` reverts whatever the test did to it."""
    return session_net


@pytest.fixture(autouse=True)
def _isolate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run every test that uses the session chain between evm_snapshot and evm_revert."""
    if "net" not in request.fixturenames:
        yield
        return
    client = request.getfixturevalue("session_net").client
    snapshot = client.rpc.call("evm_snapshot")
    try:
        yield
    finally:
        assert client.rpc.call("evm_revert", [snapshot]) is True
