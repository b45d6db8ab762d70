"""CbpRoles: the TSO alone grants one role per account, bound to a unique EIC; revoke works;
the TSO hands its role over in two steps; an organisation rotates its key and keeps its
resources."""

from __future__ import annotations

from eth_account import Account
from eth_utils import keccak

from ledger.core.chain.signer import Signer
from ledger.core.domain.enums import PodStatus, Role, UvamStatus
from ledger.core.domain.identifiers import eic_to_bytes16, make_eic
from tests.chain.conftest import new_signer

ROLES = "CbpRoles"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
NEW_EIC = make_eic("21XBSP-DELTA---")


def test_session_members_hold_their_roles(net) -> None:
    assert net.read("tso", contract=ROLES) == net.address("tso")
    expected = {
        "tso": Role.TSO,
        "dso1": Role.DSO,
        "dso2": Role.DSO,
        "bsp1": Role.BSP,
        "bsp2": Role.BSP,
    }
    for name, role in expected.items():
        assert net.read("memberOf", net.address(name), contract=ROLES) == (
            role.chain_role_id,
            net.eic(name),
        )
        assert net.read("hasRole", net.address(name), role.chain_role_id, contract=ROLES)
        assert net.read("accountOf", net.eic(name), contract=ROLES) == net.address(name)
    assert net.eics["dso1"] == "26X00000105128-9"
    assert net.read("memberOf", net.address("outsider"), contract=ROLES) == (b"\0" * 32, b"\0" * 16)


def test_only_the_tso_grants_roles(net) -> None:
    newcomer = Account.create().address
    for who in ("outsider", "bsp1", "dso1"):
        error = net.reverts(
            who,
            "grantRole",
            newcomer,
            Role.BSP.chain_role_id,
            eic_to_bytes16(NEW_EIC),
            contract=ROLES,
        )
        assert error.error_name == "RolesUnauthorized"
        assert error.arguments == {
            "account": net.address(who),
            "neededRole": net.role_hex(Role.TSO),
        }
    assert net.read("accountOf", eic_to_bytes16(NEW_EIC), contract=ROLES) == ZERO_ADDRESS

    receipt = net.tx(
        "tso",
        "grantRole",
        newcomer,
        Role.BSP.chain_role_id,
        eic_to_bytes16(NEW_EIC),
        contract=ROLES,
    )
    [event] = receipt.events
    assert event.name == "RoleGranted"
    assert event.args == {
        "account": newcomer,
        "role": Role.BSP.chain_role_id,
        "eic": eic_to_bytes16(NEW_EIC),
        "grantedBy": net.address("tso"),
    }


def test_an_account_cannot_hold_two_roles(net) -> None:
    error = net.reverts(
        "tso",
        "grantRole",
        net.address("bsp1"),
        Role.DSO.chain_role_id,
        eic_to_bytes16(NEW_EIC),
        contract=ROLES,
    )
    assert error.error_name == "RolesAlreadyGranted"
    assert error.arguments == {"account": net.address("bsp1")}
    # the same role again is refused as well
    error = net.reverts(
        "tso",
        "grantRole",
        net.address("dso1"),
        Role.DSO.chain_role_id,
        eic_to_bytes16(NEW_EIC),
        contract=ROLES,
    )
    assert error.error_name == "RolesAlreadyGranted"
    assert error.arguments == {"account": net.address("dso1")}


def test_an_eic_is_bound_to_one_account(net) -> None:
    newcomer = Account.create().address
    for taken in ("dso1", "tso", "bsp2"):
        error = net.reverts(
            "tso", "grantRole", newcomer, Role.DSO.chain_role_id, net.eic(taken), contract=ROLES
        )
        assert error.error_name == "RolesEicUnavailable"
        assert error.arguments == {"eic": net.eics[taken]}
    error = net.reverts(
        "tso", "grantRole", newcomer, Role.DSO.chain_role_id, b"\0" * 16, contract=ROLES
    )
    assert error.error_name == "RolesEicUnavailable"
    assert error.arguments == {"eic": "0x" + "00" * 16}
    assert net.read("memberOf", newcomer, contract=ROLES) == (b"\0" * 32, b"\0" * 16)


def test_unknown_roles_are_refused(net) -> None:
    newcomer = Account.create().address
    for role_id in (keccak(text="ROOT_ROLE"), Role.TSO.chain_role_id, b"\0" * 32):
        error = net.reverts(
            "tso", "grantRole", newcomer, role_id, eic_to_bytes16(NEW_EIC), contract=ROLES
        )
        assert error.error_name == "RolesUnknownRole"
        assert error.arguments == {"role": net.hex(role_id)}
    for role in (Role.OPERATOR, Role.AUDITOR):
        account = Account.create().address
        eic = make_eic(f"10X{role.value:-<12}")
        net.tx("tso", "grantRole", account, role.chain_role_id, eic_to_bytes16(eic), contract=ROLES)
        assert net.read("hasRole", account, role.chain_role_id, contract=ROLES)


def test_revoke_frees_the_account_and_the_eic(net) -> None:
    bsp2 = net.address("bsp2")
    receipt = net.tx("tso", "revokeRole", bsp2, contract=ROLES)
    [event] = receipt.events
    assert event.name == "RoleRevoked"
    assert event.contract == ROLES
    assert event.args == {
        "account": bsp2,
        "role": Role.BSP.chain_role_id,
        "eic": net.eic("bsp2"),
        "revokedBy": net.address("tso"),
    }
    assert net.read("memberOf", bsp2, contract=ROLES) == (b"\0" * 32, b"\0" * 16)
    assert not net.read("hasRole", bsp2, Role.BSP.chain_role_id, contract=ROLES)
    assert net.read("accountOf", net.eic("bsp2"), contract=ROLES) == ZERO_ADDRESS

    # revoking twice, or revoking the TSO, is refused
    error = net.reverts("tso", "revokeRole", bsp2, contract=ROLES)
    assert error.error_name == "RolesNotAMember"
    assert error.arguments == {"account": bsp2}
    error = net.reverts("tso", "revokeRole", net.address("tso"), contract=ROLES)
    assert error.error_name == "RolesNotAMember"
    assert error.arguments == {"account": net.address("tso")}

    # the EIC may be granted again, to another account
    successor = Account.create().address
    net.tx("tso", "grantRole", successor, Role.BSP.chain_role_id, net.eic("bsp2"), contract=ROLES)
    assert net.read("accountOf", net.eic("bsp2"), contract=ROLES) == successor


def test_only_the_tso_revokes(net) -> None:
    for who in ("bsp1", "dso1", "outsider"):
        error = net.reverts(who, "revokeRole", net.address("bsp2"), contract=ROLES)
        assert error.error_name == "RolesUnauthorized"
        assert error.arguments == {
            "account": net.address(who),
            "neededRole": net.role_hex(Role.TSO),
        }
    assert net.read("hasRole", net.address("bsp2"), Role.BSP.chain_role_id, contract=ROLES)


def test_a_revoked_bsp_can_no_longer_register(net) -> None:
    pod_id = net.register_pod("bsp2")
    net.tx("tso", "revokeRole", net.address("bsp2"), contract=ROLES)
    error = net.reverts(
        "bsp2", "registerPods", [net.new_id("pod")], [net.eic("dso1")], [net.new_id("record")]
    )
    assert error.error_name == "RegistryUnauthorized"
    assert error.arguments == {"account": net.address("bsp2"), "neededRole": net.role_hex(Role.BSP)}
    error = net.reverts("bsp2", "registerUvam", net.new_id("uvam"), net.new_id("record"))
    assert error.error_name == "RegistryUnauthorized"
    # a POD registered before the revocation stays on record
    assert net.read("pod", pod_id)["bsp"] == net.address("bsp2")


def test_a_revoked_dso_is_no_longer_a_known_dso(net) -> None:
    net.tx("tso", "revokeRole", net.address("dso2"), contract=ROLES)
    error = net.reverts(
        "bsp1", "registerPods", [net.new_id("pod")], [net.eic("dso2")], [net.new_id("record")]
    )
    assert error.error_name == "RegistryUnknownDso"
    assert error.arguments == {"dsoEic": net.eics["dso2"]}


# ---------------------------------------------------------------- TSO handover, key rotation


def _fresh(net) -> Signer:
    return new_signer(net.client, net.funder)


def test_tso_handover_takes_two_steps(net) -> None:
    old, new = net.address("tso"), _fresh(net)
    tso_id = Role.TSO.chain_role_id
    # only the TSO proposes, and only the proposed account accepts
    error = net.reverts("bsp1", "proposeTsoHandover", new.address, contract=ROLES)
    assert error.error_name == "RolesUnauthorized"
    error = net.reverts(new, "acceptTsoHandover", contract=ROLES)
    assert error.error_name == "RolesNoHandoverFor"
    assert error.arguments == {"account": new.address, "proposed": ZERO_ADDRESS}
    # a member cannot be proposed: it would hold two roles
    error = net.reverts("tso", "proposeTsoHandover", net.address("bsp1"), contract=ROLES)
    assert error.error_name == "RolesAlreadyGranted"

    [proposed] = net.tx("tso", "proposeTsoHandover", new.address, contract=ROLES).events
    assert (proposed.name, proposed.args) == (
        "TsoHandoverProposed",
        {"tso": old, "proposed": new.address},
    )
    assert net.read("proposedTso", contract=ROLES) == new.address
    # proposing is not handing over: the old key is still the TSO
    assert net.read("tso", contract=ROLES) == old
    error = net.reverts("outsider", "acceptTsoHandover", contract=ROLES)
    assert error.arguments == {"account": net.address("outsider"), "proposed": new.address}

    receipt = net.tx(new, "acceptTsoHandover", contract=ROLES)
    assert [e.name for e in receipt.events] == ["AccountRotated", "TsoHandoverAccepted"]
    assert receipt.events[0].args == {
        "eic": net.eic("tso"),
        "role": tso_id,
        "previousAccount": old,
        "newAccount": new.address,
    }
    assert net.read("tso", contract=ROLES) == new.address
    assert net.read("proposedTso", contract=ROLES) == ZERO_ADDRESS
    assert net.read("memberOf", new.address, contract=ROLES) == (tso_id, net.eic("tso"))
    assert not net.read("hasRole", old, tso_id, contract=ROLES)
    assert net.read("accountOf", net.eic("tso"), contract=ROLES) == new.address
    # the old key lost every TSO power; the new one has them
    newcomer = Account.create().address
    args = (newcomer, Role.BSP.chain_role_id, eic_to_bytes16(NEW_EIC))
    error = net.reverts("tso", "grantRole", *args, contract=ROLES)
    assert error.arguments == {"account": old, "neededRole": net.role_hex(Role.TSO)}
    net.tx(new, "grantRole", *args, contract=ROLES)
    pod_id = net.pod_in(PodStatus.UNDER_REVIEW)
    error = net.reverts("tso", "verifyPod", pod_id)
    assert error.error_name == "RegistryUnauthorized"
    net.tx(new, "verifyPod", pod_id)
    assert net.pod_status(pod_id) == PodStatus.VERIFIED


def test_the_tso_rotates_only_by_handover(net) -> None:
    error = net.reverts("tso", "rotateAccount", _fresh(net).address, contract=ROLES)
    assert error.error_name == "RolesTsoUsesHandover"


def test_an_organisation_rotates_its_key_and_keeps_its_resources(net) -> None:
    old = net.address("bsp1")
    pod_id = net.pod_in(PodStatus.OPEN)
    uvam_id = net.register_uvam()
    new = _fresh(net)

    [event] = net.tx("bsp1", "rotateAccount", new.address, contract=ROLES).events
    assert (event.name, event.args) == (
        "AccountRotated",
        {
            "eic": net.eic("bsp1"),
            "role": Role.BSP.chain_role_id,
            "previousAccount": old,
            "newAccount": new.address,
        },
    )
    assert net.read("memberOf", new.address, contract=ROLES) == (
        Role.BSP.chain_role_id,
        net.eic("bsp1"),
    )
    assert net.read("memberOf", old, contract=ROLES) == (b"\0" * 32, b"\0" * 16)
    assert net.read("formerEicOf", old, contract=ROLES) == net.eic("bsp1")
    assert net.read("accountOf", net.eic("bsp1"), contract=ROLES) == new.address
    assert net.read("isSameOrganisation", old, new.address, contract=ROLES)
    assert not net.read("isSameOrganisation", old, net.address("bsp2"), contract=ROLES)

    # the old key can do nothing any more
    error = net.reverts("bsp1", "setPodStatus", pod_id, PodStatus.UNDER_REVIEW)
    assert error.arguments == {"id": net.hex(pod_id), "account": old}
    assert error.error_name == "RegistryNotOwner"
    # the new key acts on what the old key registered
    net.tx(new, "setPodStatus", pod_id, PodStatus.UNDER_REVIEW)
    assert net.pod_status(pod_id) == PodStatus.UNDER_REVIEW
    net.tx(new, "setUvamStatus", uvam_id, UvamStatus.OPEN)
    assert net.uvam_status(uvam_id) == UvamStatus.OPEN
    # and another BSP still cannot
    error = net.reverts("bsp2", "setUvamStatus", uvam_id, UvamStatus.UNDER_REVIEW)
    assert error.error_name == "RegistryNotOwner"


def test_rotation_refuses_members_and_retired_accounts(net) -> None:
    error = net.reverts("bsp1", "rotateAccount", net.address("bsp2"), contract=ROLES)
    assert (error.error_name, error.arguments) == (
        "RolesAlreadyGranted",
        {"account": net.address("bsp2")},
    )
    error = net.reverts("outsider", "rotateAccount", _fresh(net).address, contract=ROLES)
    assert error.error_name == "RolesNotAMember"
    # bsp2's old key, once retired, cannot be taken by bsp1 (it would bring bsp2's resources)
    retired = net.address("bsp2")
    net.tx("bsp2", "rotateAccount", _fresh(net).address, contract=ROLES)
    error = net.reverts("bsp1", "rotateAccount", retired, contract=ROLES)
    assert (error.error_name, error.arguments) == (
        "RolesAccountRetired",
        {"account": retired, "formerEic": net.eics["bsp2"]},
    )
    error = net.reverts(
        "tso", "grantRole", retired, Role.DSO.chain_role_id, eic_to_bytes16(NEW_EIC), contract=ROLES
    )
    assert error.error_name == "RolesAccountRetired"


def test_a_reinstated_organisation_gets_its_resources_back(net) -> None:
    pod_id = net.pod_in(PodStatus.OPEN, bsp="bsp2")
    net.tx("tso", "revokeRole", net.address("bsp2"), contract=ROLES)
    assert net.read("formerEicOf", net.address("bsp2"), contract=ROLES) == net.eic("bsp2")
    error = net.reverts("bsp2", "setPodStatus", pod_id, PodStatus.UNDER_REVIEW)
    assert error.error_name == "RegistryNotOwner"
    net.tx(
        "tso",
        "grantRole",
        net.address("bsp2"),
        Role.BSP.chain_role_id,
        net.eic("bsp2"),
        contract=ROLES,
    )
    net.tx("bsp2", "setPodStatus", pod_id, PodStatus.UNDER_REVIEW)
    assert net.pod_status(pod_id) == PodStatus.UNDER_REVIEW
