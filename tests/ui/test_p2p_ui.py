"""P2P trades in the browser: the infrastructure operator confirms a pending trade (set up
through the API: EVs, a deposit, charging sessions, a window and its Add Batch)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.domain.identifiers import make_eic
from ledger.registry import organisations

OPERATOR = "ui-cpo"
T = "2024-09-27T10:0{}:00Z"


def _done(world: Any, slug: str, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    operation = world.wait(slug, response.json()["operationId"])
    assert operation["status"] == "succeeded", operation
    return operation  # type: ignore[no-any-return]


def add_operator(world: Any, slug: str = OPERATOR) -> str:
    """An infrastructure operator (OPERATOR role on chain) with an API token."""
    if slug not in world.tokens:
        with world.runtime.session() as session:
            organisation = session.get(Organisation, slug)
            if organisation is None:
                organisation = organisations.add_organisation(
                    world.runtime,
                    session,
                    slug=slug,
                    name="Charge Point Operator UI",
                    role=Role.OPERATOR,
                    eic=make_eic("10XUI-CPO-ONE-A"),
                    funder_key=world.runtime.settings.funder_key,
                )
            world.organisations[slug] = organisation
            world.tokens[slug] = organisations.issue_token(session, organisation, label="ui")
    return slug


def matched_window(world: Any) -> str:
    """A window of the operator matching a buyer of bsp1 (60 kWh at 45 %, 18 kWh wanted, 5 EUR
    deposited) with a seller (60 kWh at 90 %, 6 kWh offered): one matched trade of 6.000 kWh
    at 0.15 EUR/kWh = 0.90 EUR. Returns the window id."""
    operator = add_operator(world)
    bsp = world.client("bsp1")
    evs = _done(
        world,
        "bsp1",
        bsp.post("/p2p/evs", json={"operatorId": operator, "evs": [{"capacityKwh": "60"}] * 2}),
    )
    seller, buyer = evs["result"]["evIds"]
    cpo = world.client(operator)
    _done(
        world,
        operator,
        cpo.post("/p2p/deposits", json={"deposits": [{"evId": buyer, "amountEur": "5.00"}]}),
    )
    sessions = [
        {"evId": ev, "chargePointId": "CP-UI-01", "socPercent": soc, "reportedAt": T.format(i)}
        for i, (ev, soc) in enumerate([(seller, "90"), (buyer, "45")])
    ]
    reported = cpo.post("/p2p/sessions", json={"sessions": sessions})
    assert reported.status_code == 201, reported.text
    window = _done(
        world,
        operator,
        cpo.post(
            "/p2p/windows",
            json={"priceEurPerKwh": "0.15", "sessionIds": reported.json()["sessionIds"]},
        ),
    )
    return str(window["targetId"])


def pending_trade(world: Any) -> dict[str, Any]:
    """The matched trade of a new window, added Pending by bsp1 ("Add Batch" by API)."""
    bsp = world.client("bsp1")
    window_id = matched_window(world)
    added = _done(world, "bsp1", bsp.post(f"/p2p/windows/{window_id}/trades", json={}))
    [trade_id] = added["result"]["tradeIds"]
    trade = bsp.get(f"/p2p/trades/{trade_id}").json()
    assert trade["status"] == "Pending", trade
    return trade  # type: ignore[no-any-return]


def test_operator_confirms_a_pending_p2p_trade(sign_in, ui_world):
    trade = pending_trade(ui_world)
    short = trade["tradeId"][:8]

    cpo = sign_in(OPERATOR)
    page = cpo.page
    cpo.nav("P2P trades")
    pending = page.get_by_role("table", name="Pending trades")
    row = pending.locator(f'tr[data-trade="{trade["tradeId"]}"]')
    expect(row).to_contain_text("6.000")
    expect(row).to_contain_text("0.90")
    expect(row.locator("[data-status]")).to_have_text("Pending")
    row.get_by_text("Reject…").click()
    expect(row.get_by_label(f"Reason to reject trade {short}")).to_be_visible()
    cpo.shot("p2p-pending")

    row.get_by_role("button", name=f"Confirm trade {short}").click()
    confirmed = page.get_by_role("table", name="Confirmed trades")
    done = confirmed.locator(f'tr[data-trade="{trade["tradeId"]}"]')
    expect(done.locator("[data-status]")).to_have_text("Confirmed", timeout=30_000)
    expect(done).to_contain_text("0.90")
    expect(pending.locator(f'tr[data-trade="{trade["tradeId"]}"]')).to_have_count(0)
    cpo.shot("p2p-confirmed")

    # the buyer's agent sees it confirmed in its own table
    assert ui_world.client("bsp1").get(f"/p2p/trades/{trade['tradeId']}").json()["status"] == (
        "Confirmed"
    )


def test_operator_rejects_a_trade_only_with_a_reason(sign_in, ui_world):
    trade = pending_trade(ui_world)
    short = trade["tradeId"][:8]

    cpo = sign_in(OPERATOR)
    page = cpo.page
    cpo.nav("P2P trades")
    row = page.get_by_role("table", name="Pending trades").locator(
        f'tr[data-trade="{trade["tradeId"]}"]'
    )
    row.get_by_text("Reject…").click()
    reason = row.get_by_label(f"Reason to reject trade {short}")
    row.get_by_role("button", name="Reject", exact=True).click()
    expect(reason).to_have_attribute("aria-invalid", "true")  # the API wants a reason
    reason.fill("Meter reading missing at CP-UI-01")
    row.get_by_role("button", name="Reject", exact=True).click()
    rejected = page.get_by_role("table", name="Rejected trades").locator(
        f'tr[data-trade="{trade["tradeId"]}"]'
    )
    expect(rejected.locator("[data-status]")).to_have_text("Rejected", timeout=30_000)
    expect(rejected).to_contain_text("Meter reading missing at CP-UI-01")
    cpo.shot("p2p-rejected")


def test_bsp_adds_the_batch_of_a_window(sign_in, ui_world):
    window_id = matched_window(ui_world)

    bsp = sign_in("bsp1")
    page = bsp.page
    bsp.nav("P2P trades")
    batch = page.get_by_role("form", name="Add Batch")
    batch.get_by_label("Trading window id").fill(window_id)
    batch.get_by_role("button", name="Add Batch").click()
    expect(batch.get_by_role("status")).to_have_text("1 trade(s) added, Pending.", timeout=30_000)
    trades = ui_world.client("bsp1").get("/p2p/trades", params={"windowId": window_id}).json()
    [trade] = trades["data"]
    row = page.get_by_role("table", name="Pending trades").locator(
        f'tr[data-trade="{trade["tradeId"]}"]'
    )
    expect(row).to_contain_text("0.90")
    expect(row.get_by_role("button", name=re.compile("^Confirm"))).to_have_count(0)  # not hers
    bsp.shot("p2p-batch-added")
