"""P2P fixtures on the shared running platform: two infrastructure operators with API tokens,
and helpers that drive the P2P API and wait for its operations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_utils import keccak

from ledger.core.chain.client import Call, ChainClient
from ledger.core.chain.errors import ContractRevert
from ledger.core.chain.signer import Signer
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.domain.identifiers import make_eic
from ledger.registry import organisations

OPERATORS = {"p2p-cpo": "10XP2P-CPO-ONE-", "p2p-cpo2": "10XP2P-CPO-TWO-"}
P2P = "P2PTrading"


@dataclass
class P2PWorld:
    """The shared platform seen from P2P trading."""

    world: Any
    _ids: int = 0

    # ------------------------------------------------------------ HTTP

    def client(self, slug: str) -> httpx.Client:
        return self.world.client(slug)  # type: ignore[no-any-return]

    def done(self, slug: str, response: httpx.Response) -> dict[str, Any]:
        """A 202 whose operation then succeeded on chain; its final view."""
        assert response.status_code == 202, response.text
        operation = self.world.wait(slug, response.json()["operationId"])
        assert operation["status"] == "succeeded", operation
        return operation  # type: ignore[no-any-return]

    def register_evs(self, slug: str, *capacities_kwh: str, operator: str = "p2p-cpo") -> list[str]:
        body = {"operatorId": operator, "evs": [{"capacityKwh": c} for c in capacities_kwh]}
        operation = self.done(slug, self.client(slug).post("/p2p/evs", json=body))
        return list(operation["result"]["evIds"])

    def deposit(self, slug: str, amounts: dict[str, str]) -> dict[str, Any]:
        body = {"deposits": [{"evId": ev, "amountEur": eur} for ev, eur in amounts.items()]}
        return self.done(slug, self.client(slug).post("/p2p/deposits", json=body))

    def report(self, slug: str, sessions: Sequence[tuple[str, str, str]]) -> list[str]:
        """Sessions as (EV id, SoC percent, reported at)."""
        body = {
            "sessions": [
                {"evId": ev, "chargePointId": "CP-TEST-01", "socPercent": soc, "reportedAt": at}
                for ev, soc, at in sessions
            ]
        }
        response = self.client(slug).post("/p2p/sessions", json=body)
        assert response.status_code == 201, response.text
        return list(response.json()["sessionIds"])

    def open_window(
        self, slug: str, session_ids: list[str], price: str = "0.15", **extra: Any
    ) -> str:
        body = {"priceEurPerKwh": price, "sessionIds": session_ids, **extra}
        return str(self.done(slug, self.client(slug).post("/p2p/windows", json=body))["targetId"])

    def balance(self, slug: str, ev_id: str) -> tuple[str, str]:
        body = self.client(slug).get(f"/p2p/evs/{ev_id}").json()
        return body["balance"]["availableEur"], body["balance"]["heldEur"]

    def trade(self, slug: str, trade_id: str) -> dict[str, Any]:
        response = self.client(slug).get(f"/p2p/trades/{trade_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    # ------------------------------------------------------------ chain

    @property
    def chain(self) -> ChainClient:
        return self.world.chain  # type: ignore[no-any-return]

    def signer(self, slug: str) -> Signer:
        return self.world.runtime.signer_for(self.world.organisations[slug])  # type: ignore[no-any-return]

    def new_id(self, label: str) -> bytes:
        self._ids += 1
        return keccak(text=f"p2p-test-{label}-{self._ids}")

    def tx(self, slug: str, function: str, *args: Any) -> None:
        [receipt] = self.chain.transact(self.signer(slug), [Call(P2P, function, args)])
        assert receipt.succeeded

    def reverts(self, slug: str, function: str, *args: Any) -> ContractRevert:
        with pytest.raises(ContractRevert) as caught:
            self.tx(slug, function, *args)
        return caught.value

    def read(self, function: str, *args: Any) -> Any:
        return self.chain.read(P2P, function, *args)


def add_operators(world: Any) -> None:
    """Add the two infrastructure operators (OPERATOR role on chain) to ``world`` unless it has
    them, with an API token each."""
    with world.runtime.session() as session:
        for slug, prefix in OPERATORS.items():
            organisation = session.get(Organisation, slug)
            if organisation is None:
                organisation = organisations.add_organisation(
                    world.runtime,
                    session,
                    slug=slug,
                    name=slug.upper(),
                    role=Role.OPERATOR,
                    eic=make_eic(prefix),
                    funder_key=world.runtime.settings.funder_key,
                )
            world.organisations[slug] = organisation
            world.tokens[slug] = organisations.issue_token(session, organisation, label="p2p-tests")


@pytest.fixture(scope="session")
def p2p(world: Any) -> P2PWorld:
    """The platform with two infrastructure operators (OPERATOR role on chain) added."""
    add_operators(world)
    return P2PWorld(world)
