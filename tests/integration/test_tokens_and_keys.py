"""API tokens with ids, expiry and revocation; suspension of an organisation; rotation of an
organisation's chain key. Driven through the API and the ``cbp org`` commands on the running
platform (API, Celery worker, Anvil)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app
from ledger.audit.verify import verify
from ledger.core.db.models import ApiToken, Organisation
from ledger.core.domain.enums import Role
from ledger.core.domain.identifiers import eic_to_bytes16, make_eic
from ledger.registry import organisations
from tests.integration.flows import register_pod, set_pod_status

runner = CliRunner()


def _bsp(world: Any, slug: str, prefix: str) -> str:
    """A BSP of its own for the test (suspending or rotating a shared one would disturb others)."""
    with world.runtime.session() as session:
        organisation = session.get(Organisation, slug)
        if organisation is None:
            organisation = organisations.add_organisation(
                world.runtime,
                session,
                slug=slug,
                name=slug.upper(),
                role=Role.BSP,
                eic=make_eic(prefix),
                funder_key=world.runtime.settings.funder_key,
            )
        world.organisations[slug] = organisation
        world.tokens[slug] = organisations.issue_token(session, organisation, label="tests")
    world.clients.pop(slug, None)
    return slug


def _client(world: Any, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=world.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
    )


@pytest.fixture
def env(world: Any) -> dict[str, str]:
    settings = world.runtime.settings
    return {
        "CBP_DATA_DIR": str(settings.data_dir),
        "CBP_RPC_URL": world.runtime.rpc_url,
        "CBP_DATABASE_URL": settings.sqlalchemy_url,
        "CBP_KEYSTORE_PASSWORD": settings.keystore_password,
        "CBP_FUNDER_KEY": settings.funder_key or "",
        "COLUMNS": "250",
    }


def cbp(env: dict[str, str], *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, ["org", *args], env=env)
    assert result.exit_code == code, result.output
    return result.stdout, result.stderr


def test_tokens_are_listed_and_revoked_through_the_api(world: Any) -> None:
    slug = _bsp(world, "tok-bsp", "21XBSP-TOKENS--")
    owner = world.client(slug)
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = owner.post("/organisations/me/tokens", json={"label": "laptop", "expiresAt": later})
    assert created.status_code == 201, created.text
    body = created.json()
    token, token_id = body["token"], body["id"]
    assert body["status"] == "active"
    assert body["label"] == "laptop"
    new = _client(world, token)
    assert new.get("/organisations/me").json()["id"] == slug

    listed = owner.get("/organisations/me/tokens").json()["data"]
    mine = {row["id"]: row for row in listed}
    assert mine[token_id]["lastUsedAt"] is not None
    assert all("token" not in row and "tokenSha256" not in row for row in listed)
    assert all(token not in str(row) for row in listed)

    past = owner.post("/organisations/me/tokens", json={"expiresAt": "2024-01-01T00:00:00Z"})
    assert (past.status_code, past.json()["field"]) == (422, "expiresAt")
    # another organisation's token is unknown to this one, and stays working
    foreign = world.client("bsp1").delete(f"/organisations/me/tokens/{token_id}")
    assert (foreign.status_code, foreign.json()["field"]) == (404, "tokenId")
    assert new.get("/organisations/me").status_code == 200

    # the token in use may revoke itself; it is refused at once, saying why
    revoked = new.delete(f"/organisations/me/tokens/{token_id}")
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    refused = new.get("/organisations/me")
    assert refused.status_code == 401
    assert refused.json() == {"code": "unauthenticated", "message": "this token was revoked"}
    unknown = _client(world, "cbp_nothing").get("/organisations/me")
    assert unknown.json()["message"] == "unknown token"
    assert owner.get("/organisations/me").status_code == 200  # the other tokens still work


def test_an_expired_token_is_refused(world: Any) -> None:
    slug = _bsp(world, "tok-bsp", "21XBSP-TOKENS--")
    with world.runtime.session() as session:
        organisation = session.get(Organisation, slug)
        row, token = organisations.create_token(
            session, organisation, expires_at=datetime.now(UTC) + timedelta(hours=1)
        )
        token_id = row.id
    client = _client(world, token)
    assert client.get("/organisations/me").status_code == 200
    with world.runtime.session() as session:  # an hour later
        stored = session.exec(select(ApiToken).where(ApiToken.id == token_id)).one()
        stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    refused = client.get("/organisations/me")
    assert (refused.status_code, refused.json()["message"]) == (401, "this token has expired")
    listed = world.client(slug).get("/organisations/me/tokens").json()["data"]
    assert {row["id"]: row["status"] for row in listed}[token_id] == "expired"


def test_token_commands(world: Any, env: dict[str, str]) -> None:
    slug = _bsp(world, "tok-bsp", "21XBSP-TOKENS--")
    out, err = cbp(env, "token", slug, "--label", "ci", "--expires-in", "30d")
    token = out.strip()
    assert token.startswith("cbp_")
    assert "\n" not in token
    token_id = err.split()[2].rstrip(",")
    assert "expires" in err
    client = _client(world, token)
    assert client.get("/organisations/me").status_code == 200
    out, _ = cbp(env, "tokens", slug)
    assert token_id in out
    assert "ci" in out
    assert token not in out
    cbp(env, "token-revoke", slug, token_id)
    assert client.get("/organisations/me").json()["message"] == "this token was revoked"
    out, _ = cbp(env, "token-revoke", "bsp1", token_id, code=2)
    assert "tokenId" in out
    _, _ = cbp(env, "token", slug, "--expires-in", "soon", code=2)


def test_a_suspended_organisation_is_refused_and_reinstated(
    world: Any, env: dict[str, str]
) -> None:
    slug = _bsp(world, "susp-bsp", "21XBSP-SUSPEND-")
    pod_id = register_pod(world, slug)
    address = world.organisations[slug].address
    bsp_role = Role.BSP.chain_role_id

    out, _ = cbp(env, "suspend", slug)
    assert "suspended" in out
    refused = world.client(slug).get(f"/pods/{pod_id}")
    assert refused.status_code == 403
    assert refused.json()["code"] == "organisationSuspended"
    assert world.chain.read("CbpRoles", "memberOf", address) == (b"\0" * 32, b"\0" * 16)
    cbp(env, "suspend", slug, code=2)  # once is enough
    out, _ = cbp(env, "suspend", "tso", code=2)
    assert "TSO" in out
    # the audit shows the revocation, by the TSO
    logs = world.chain.rpc.call(
        "eth_getLogs",
        [{"address": world.chain.address_of("CbpRoles"), "fromBlock": "0x0", "toBlock": "latest"}],
    )
    revoked_topic = "0x" + world.chain.abis["CbpRoles"].event_topic("RoleRevoked").hex()
    assert any(
        log["topics"][0] == revoked_topic and log["topics"][1].endswith(address[2:].lower())
        for log in logs
    )

    cbp(env, "reinstate", slug)
    assert world.chain.read("CbpRoles", "memberOf", address) == (
        bsp_role,
        eic_to_bytes16(world.eic(slug)),
    )
    set_pod_status(world, slug, pod_id, "Open")  # its POD is its own again


def test_rotate_key_moves_the_role_and_the_platform_signs_with_the_new_key(
    world: Any, env: dict[str, str]
) -> None:
    slug = _bsp(world, "rot-bsp", "21XBSP-ROTATE--")
    pod_id = register_pod(world, slug)
    old = world.organisations[slug].address
    keystores = world.runtime.settings.keystores_dir

    out, _ = cbp(env, "rotate-key", slug)
    me = world.client(slug).get("/organisations/me").json()
    new = me["address"]
    assert new != old
    assert new in out
    eic = eic_to_bytes16(world.eic(slug))
    assert world.chain.read("CbpRoles", "accountOf", eic) == new
    assert world.chain.read("CbpRoles", "formerEicOf", old) == eic
    assert (keystores / "retired" / f"{slug}-{old}.json").exists()
    assert not (keystores / f"{slug}.next.json").exists()

    # the worker signs with the new key, and the POD registered by the old one is still ours
    done = set_pod_status(world, slug, pod_id, "Open")
    [tx_hash] = done["operation"]["transactionHashes"]
    sent = world.chain.rpc.call("eth_getTransactionByHash", [tx_hash])
    assert sent["from"].lower() == new.lower()
    assert world.client(slug).get(f"/pods/{pod_id}").json()["status"] == "Open"

    # the audit still finds the records the old key wrote to be the organisation's
    operation_ids = {
        row["operationId"] for row in world.client(slug).get("/operations").json()["data"]
    }
    ours = {pod_id, *operation_ids}
    found = [m for m in verify(world.runtime) if m.row_id in ours]
    assert found == []
