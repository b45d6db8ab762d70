"""Every role tries every write it must not make: refused with 401, 403, 404 or 409, and nothing
stored (the caller's and the owner's operation counts are unchanged, the resource as it was).

What is not refused here by design: a token does not expire (tokens have no lifetime; they are
revoked), so "expired" is exercised as revoked."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ledger.core.db.models import ApiToken, utcnow
from ledger.registry.organisations import issue_token
from tests.integration import payloads
from tests.integration.flows import count, register_pod, register_uvam

REFUSED = {401, 403, 404, 409}
T = "2024-09-27T11:0{}:00Z"
UNKNOWN = str(uuid.uuid4())


def _period(offset_s: int = 3600) -> str:
    start = (int(time.time()) + offset_s) // 900 * 900
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))


@pytest.fixture(scope="module")
def target(world: Any, p2p: Any) -> dict[str, Any]:
    """bsp1's POD (on dso1's grid) and UVAM, and a Pending trade in a window of p2p-cpo."""
    pod_id = register_pod(world, "bsp1", "dso1")
    uvam_id = register_uvam(world, "bsp1")
    seller, buyer = p2p.register_evs("bsp1", "60", "40")
    p2p.deposit("p2p-cpo", {buyer: "5.00"})
    sessions = p2p.report("p2p-cpo", [(seller, "90", T.format(0)), (buyer, "50", T.format(1))])
    window_id = p2p.open_window("p2p-cpo", sessions)
    p2p.done("bsp1", p2p.client("bsp1").post(f"/p2p/windows/{window_id}/trades", json={}))
    [trade] = p2p.client("bsp1").get("/p2p/trades", params={"windowId": window_id}).json()["data"]
    assert trade["status"] == "Pending"
    return {"pod": pod_id, "uvam": uvam_id, "trade": trade["tradeId"], "window": window_id}


Body = Callable[[Any, dict[str, Any]], Any]


def _eic(slug: str) -> Callable[[Any], str]:
    return lambda world: world.eic(slug)


# (case id, actor, method, path (formatted with the targets), body)
CASES: list[tuple[str, str, str, str, Body | None]] = [
    # Another BSP's POD and UVAM.
    ("bsp2 edits bsp1's POD", "bsp2", "PATCH", "/pods/{pod}", lambda w, t: {"resourceName": "x"}),
    (
        "bsp2 opens bsp1's POD",
        "bsp2",
        "PATCH",
        "/pods/{pod}/status",
        lambda w, t: payloads.pod_status_body(t["pod"], "Open", w.eic("bsp2")),
    ),
    (
        "bsp2 adds a device to bsp1's POD",
        "bsp2",
        "POST",
        "/pods/{pod}/flex-devices",
        lambda w, t: payloads.flex_device_body(t["pod"]),
    ),
    (
        "bsp2 attaches to bsp1's POD",
        "bsp2",
        "POST",
        "/pods/{pod}/attachments",
        lambda w, t: payloads.attachment_body(w.eic("bsp2")),
    ),
    (
        "bsp2 registers a POD in bsp1's name",
        "bsp2",
        "POST",
        "/pods",
        lambda w, t: payloads.pod_body(w.eic("bsp1"), w.eic("dso1")),
    ),
    ("bsp2 edits bsp1's UVAM", "bsp2", "PATCH", "/uvams/{uvam}", lambda w, t: {"name": "x"}),
    (
        "bsp2 groups bsp1's POD",
        "bsp2",
        "POST",
        "/uvams/{uvam}/members",
        lambda w, t: payloads.membership_body(t["pod"], t["uvam"], w.eic("bsp2")),
    ),
    # Reviews out of role or out of grid.
    (
        "dso2 validates outside its grid",
        "dso2",
        "POST",
        "/pods/{pod}/review",
        lambda w, t: payloads.decision_body(True),
    ),
    (
        "bsp1 reviews its own POD",
        "bsp1",
        "POST",
        "/pods/{pod}/review",
        lambda w, t: payloads.decision_body(True),
    ),
    (
        "bsp1 qualifies its own UVAM",
        "bsp1",
        "POST",
        "/uvams/{uvam}/review",
        lambda w, t: payloads.decision_body(True),
    ),
    (
        "auditor reviews a POD",
        "auditor",
        "POST",
        "/pods/{pod}/review",
        lambda w, t: payloads.decision_body(False, "no"),
    ),
    # Writes of a BSP only.
    ("dso1 edits a POD", "dso1", "PATCH", "/pods/{pod}", lambda w, t: {"resourceName": "x"}),
    ("auditor edits a POD", "auditor", "PATCH", "/pods/{pod}", lambda w, t: {"resourceName": "x"}),
    (
        "dso1 bids for bsp1's UVAM",
        "dso1",
        "POST",
        "/market/bids",
        lambda w, t: {
            "bids": [
                {
                    "uvamId": t["uvam"],
                    "productId": "MSD-TERTIARY-UP",
                    "direction": "up",
                    "deliveryStart": _period(),
                    "quantitiesKw": [1],
                    "price": "100",
                }
            ]
        },
    ),
    # Writes of the TSO only.
    (
        "bsp1 configures a product",
        "bsp1",
        "PUT",
        "/market/products/HOSTILE-1",
        lambda w, t: {"name": "mine", "open": True},
    ),
    ("bsp1 admits its UVAM", "bsp1", "POST", "/market/admissions/{uvam}", None),
    (
        "bsp1 states a need",
        "bsp1",
        "POST",
        "/market/needs",
        lambda w, t: {
            "productId": "MSD-TERTIARY-UP",
            "direction": "up",
            "deliveryStart": _period(),
            "quantitiesKw": [10],
        },
    ),
    ("bsp1 clears a need", "bsp1", "POST", f"/market/needs/{UNKNOWN}/clear", None),
    (
        "bsp1 activates",
        "bsp1",
        "POST",
        "/market/activations",
        lambda w, t: {"bidId": UNKNOWN, "firstPeriod": _period(), "setPointsKw": [5]},
    ),
    (
        "bsp1 changes an activation",
        "bsp1",
        "PATCH",
        f"/market/activations/{UNKNOWN}",
        lambda w, t: {"setPointsKw": [5]},
    ),
    (
        "bsp1 stops an activation",
        "bsp1",
        "POST",
        f"/market/activations/{UNKNOWN}/stop",
        lambda w, t: {"reasons": ["x"]},
    ),
    ("bsp1 settles", "bsp1", "POST", f"/market/activations/{UNKNOWN}/settlement", lambda w, t: {}),
    ("bsp1 expires bids", "bsp1", "POST", "/market/bids/expire", None),
    (
        "dso1 states a need",
        "dso1",
        "POST",
        "/market/needs",
        lambda w, t: {
            "productId": "MSD-TERTIARY-UP",
            "direction": "up",
            "deliveryStart": _period(),
            "quantitiesKw": [10],
        },
    ),
    # Writes of a DSO only.
    (
        "bsp1 declares a grid constraint",
        "bsp1",
        "POST",
        "/market/grid-constraints",
        lambda w, t: {
            "constraints": [
                {
                    "scope": "zone",
                    "target": "Milano Nord",
                    "start": _period(),
                    "end": _period(7200),
                    "light": "red",
                }
            ]
        },
    ),
    # P2P: only the window's operator confirms, rejects, opens windows, credits deposits.
    *[
        (
            f"{slug} confirms a trade",
            slug,
            "POST",
            "/p2p/trades/{trade}/confirm",
            lambda w, t: {},
        )
        for slug in ("bsp1", "bsp2", "dso1", "tso", "auditor", "p2p-cpo2")
    ],
    (
        "bsp1 confirms a batch",
        "bsp1",
        "POST",
        "/p2p/trades/confirm",
        lambda w, t: {"tradeIds": [t["trade"]]},
    ),
    (
        "bsp1 rejects a trade",
        "bsp1",
        "POST",
        "/p2p/trades/{trade}/reject",
        lambda w, t: {"reasons": ["not delivered"]},
    ),
    (
        "bsp1 opens a window",
        "bsp1",
        "POST",
        "/p2p/windows",
        lambda w, t: {"priceEurPerKwh": "0.15", "sessionIds": [UNKNOWN]},
    ),
]


def _view(world: Any, target: dict[str, Any]) -> tuple[Any, ...]:
    owner = world.client("bsp1")
    pod = owner.get(f"/pods/{target['pod']}").json()
    uvam = owner.get(f"/uvams/{target['uvam']}").json()
    trade = owner.get(f"/p2p/trades/{target['trade']}").json()
    return (
        pod["status"],
        pod["resourceName"],
        len(pod["flexDevices"]),
        len(pod["attachments"]),
        uvam["status"],
        uvam["name"],
        len(uvam["members"]),
        trade["status"],
    )


def _counts(world: Any, *slugs: str) -> dict[str, int]:
    return {slug: count(world, slug, "/operations") for slug in dict.fromkeys(slugs)}


@pytest.mark.parametrize(
    ("actor", "method", "path", "body"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_write_out_of_role_is_refused(world, target, actor, method, path, body):
    before, view = _counts(world, actor, "bsp1", "p2p-cpo"), _view(world, target)

    response = world.client(actor).request(
        method, path.format(**target), json=body(world, target) if body else None
    )

    assert response.status_code in REFUSED, response.text
    assert response.json()["code"], response.text
    assert _counts(world, actor, "bsp1", "p2p-cpo") == before
    assert _view(world, target) == view


def _revoked(world: Any) -> str:
    with world.runtime.session() as session:
        token = issue_token(session, world.organisations["bsp1"], label="hostile, revoked")
    with world.runtime.session() as session:
        row = session.get(ApiToken, hashlib.sha256(token.encode()).hexdigest())
        row.revoked_at = utcnow()
    return token


def _tampered(world: Any) -> str:
    token = world.tokens["bsp1"]
    return token[:-1] + ("A" if token[-1] != "A" else "B")


TOKENS: list[tuple[str, Callable[[Any], dict[str, str]]]] = [
    ("missing", lambda w: {}),
    ("no credentials", lambda w: {"Authorization": "Bearer"}),
    ("wrong scheme", lambda w: {"Authorization": f"Basic {w.tokens['bsp1']}"}),
    ("forged", lambda w: {"Authorization": f"Bearer cbp_{secrets.token_urlsafe(32)}"}),
    ("tampered", lambda w: {"Authorization": f"Bearer {_tampered(w)}"}),
    ("revoked (expired)", lambda w: {"Authorization": f"Bearer {_revoked(w)}"}),
    ("token hash as token", lambda w: {"Authorization": f"Bearer {_hash(w)}"}),
    ("SQL in token", lambda w: {"Authorization": "Bearer ' OR '1'='1"}),
]


def _hash(world: Any) -> str:
    return hashlib.sha256(world.tokens["bsp1"].encode()).hexdigest()


@pytest.mark.parametrize("headers", [c[1] for c in TOKENS], ids=[c[0] for c in TOKENS])
def test_a_bad_token_writes_nothing(world, target, headers):
    sent = headers(world)
    before, view = _counts(world, "bsp1"), _view(world, target)
    url = world.api_url
    attempts = [
        ("POST", "/pods", payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))),
        ("PATCH", f"/pods/{target['pod']}", {"resourceName": "stolen"}),
        ("POST", "/p2p/trades/{trade}/confirm".format(**target), {}),
        ("GET", "/operations", None),
    ]

    for method, path, body in attempts:
        response = httpx.request(method, url + path, json=body, headers=sent, timeout=30)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["code"] == "unauthenticated"
        assert response.headers["www-authenticate"] == "Bearer"

    assert _counts(world, "bsp1") == before
    assert _view(world, target) == view
