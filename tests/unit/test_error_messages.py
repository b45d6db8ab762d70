"""Every custom error of every contract has a sentence a person understands
(:mod:`ledger.core.chain.messages`), built from the error's own arguments: a contract that gains an
error without one fails here (the lead adds the sentence when merging a new contract error)."""

from __future__ import annotations

import json
import string

import pytest

from ledger.core.chain.compiler import ARTIFACTS_DIR
from ledger.core.chain.errors import ContractRevert
from ledger.core.chain.messages import MESSAGES, explain
from ledger.core.domain.enums import Role

#: Names the platform itself gives to refusals that are not custom errors of a contract.
NOT_CONTRACT_ERRORS = {"MarketPrerequisiteFailed", "UnknownRevert", "Error", "Panic"}
#: Context the services add for errors that name a record but not its status.
CONTEXT = {"RegistryNotEditable": {"record": "POD p-1", "status": "Validated"}}


def _abi_errors() -> list[tuple[str, str, list[str]]]:
    found = []
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        for entry in json.loads(path.read_text())["abi"]:
            if entry["type"] == "error":
                found.append((path.stem, entry["name"], [p["name"] for p in entry["inputs"]]))
    return found


ERRORS = _abi_errors()


def test_the_artifacts_declare_errors() -> None:
    assert {contract for contract, _, _ in ERRORS} >= {"FlexMarket", "ResourceRegistry"}


@pytest.mark.parametrize(("contract", "name", "inputs"), ERRORS, ids=[e[1] for e in ERRORS])
def test_every_contract_error_has_a_message_from_its_own_arguments(
    contract: str, name: str, inputs: list[str]
) -> None:
    assert name in MESSAGES, f"{contract}.{name} has no message in ledger/core/chain/messages.py"
    used = {field for _, field, _, _ in string.Formatter().parse(MESSAGES[name]) if field}
    assert used <= set(inputs) | set(CONTEXT.get(name, {})), (name, used - set(inputs))
    message = explain(name, dict.fromkeys(inputs, "1"), CONTEXT.get(name))
    assert message
    assert "<" not in message
    assert message.endswith("."), message


def test_no_message_for_an_error_no_contract_has() -> None:
    declared = {name for _, name, _ in ERRORS}
    assert set(MESSAGES) - declared - NOT_CONTRACT_ERRORS == set()


def test_the_message_names_statuses_roles_and_times() -> None:
    transition = ContractRevert(
        "MarketInvalidActivationTransition",
        {"activationId": b"\x01" * 32, "fromStatus": 2, "toStatus": 1},
    ).as_domain_error()
    assert transition.message == "The activation is Accepted: it cannot become Sent from there."
    assert transition.code == "contract.MarketInvalidActivationTransition"
    assert transition.details["arguments"]["fromStatus"] == "2"  # decoded arguments are kept
    role = ContractRevert(
        "MarketUnauthorized", {"account": "0xabc", "neededRole": Role.TSO.chain_role_id}
    ).as_domain_error()
    assert role.message == "This needs the TSO role, which account 0xabc does not hold."
    gate = ContractRevert(
        "MarketGateNotClosed",
        {"needId": b"\x02" * 32, "gateClosesAt": 1_767_225_600, "blockTime": 1},
    ).as_domain_error()
    assert "2026-01-01T00:00:00Z" in gate.message
    not_editable = ContractRevert("RegistryNotEditable", {"id": b"\x03" * 32})
    assert (
        not_editable.as_domain_error({"record": "POD p-1", "status": "Validated"}).message
        == "POD p-1 is Validated; its data can change only while it is Registered or Open."
    )
