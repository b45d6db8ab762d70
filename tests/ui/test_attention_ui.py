"""Home shows what needs each organisation's attention (``GET /ui/attention``): the BSP an
activation to acknowledge and a settlement to answer, with their deadlines counting down and
links to where they are acted on; once answered they leave the home; the DSO sees the
activation in its grid; a dispute reaches the TSO's home, which resolves it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.ui.conftest import LAPTOP, PHONE
from tests.ui.market_steps import activation_by_api, settled_activation, uvam_name_of_activation


def _ids(attention: dict[str, Any], group: str) -> list[str]:
    return [item["id"] for item in attention["groups"][group]["items"]]


def activation_first_period(ui_world: Any, activation_id: str) -> str:
    view = ui_world.client("bsp1").get(f"/market/activations/{activation_id}").json()
    return str(view["firstPeriod"])


def _check_attention_api(ui_world: Any, settlement: dict[str, Any], activation: dict[str, Any]):
    """GET /ui/attention per role: each organisation sees its own items, most urgent first."""
    bsp = ui_world.client("bsp1").get("/ui/attention").json()
    assert bsp["role"] == "BSP"
    assert activation["id"] in _ids(bsp, "activationsToAcknowledge")
    assert settlement["activationId"] not in _ids(bsp, "activationsToAcknowledge")  # accepted
    assert settlement["id"] in _ids(bsp, "settlementsToAnswer")
    groups = bsp["groups"]
    assert groups["activationsToAcknowledge"]["count"] >= 1
    # names beside the ids: the UVAM's name and the periods (ledger/dashboard/names.py)
    [answer] = [s for s in groups["settlementsToAnswer"]["items"] if s["id"] == settlement["id"]]
    assert answer["uvamName"]
    assert answer["firstPeriod"] == activation_first_period(ui_world, settlement["activationId"])
    assert all(a["uvamName"] for a in groups["activationsToAcknowledge"]["items"])
    deadlines = [a["ackDeadline"] for a in groups["activationsToAcknowledge"]["items"]]
    assert deadlines == sorted(deadlines)  # most urgent first

    other = ui_world.client("bsp2").get("/ui/attention").json()
    assert activation["id"] not in _ids(other, "activationsToAcknowledge")  # not its own
    assert settlement["id"] not in _ids(other, "settlementsToAnswer")

    dso = ui_world.client("dso1").get("/ui/attention").json()
    assert set(dso["groups"]) == {"podsToValidate", "activationsInGrid", "constraints"}
    assert activation["id"] in _ids(dso, "activationsInGrid")
    assert activation["id"] not in _ids(
        ui_world.client("dso2").get("/ui/attention").json(), "activationsInGrid"
    )

    tso = ui_world.client("tso").get("/ui/attention").json()
    assert set(tso["groups"]) == {"podsToVerify", "uvamsToQualify", "disputes", "needsOpen"}
    assert settlement["id"] not in _ids(tso, "disputes")  # not disputed (yet)


def test_bsp_home_lists_an_activation_and_a_settlement_to_answer(sign_in, ui_world):
    settlement = settled_activation(ui_world)
    activation = activation_by_api(ui_world, "bsp1")
    short = activation["id"][:8]
    _check_attention_api(ui_world, settlement, activation)
    # items are named by their UVAM and periods, not by ids
    settled_uvam = re.escape(uvam_name_of_activation(ui_world, settlement["activationId"]))
    answer_name = re.compile(
        f"^Answer the settlement of {settled_uvam} · .+ \u2013 .+ \\(version 1\\)$"
    )
    ack_uvam = re.escape(uvam_name_of_activation(ui_world, activation["id"]))
    ack_name = re.compile(f"^Acknowledge {ack_uvam} · .+ \u2013 .+$")

    bsp = sign_in("bsp1")
    page = bsp.page
    to_ack = page.get_by_role("table", name="Activations to acknowledge")
    row = to_ack.locator(f'tr[data-activation="{activation["id"]}"]')
    expect(row).to_contain_text("20 / 15")
    expect(row.locator(".countdown-left")).to_have_text(re.compile(r"\d+ min \d\d s left"))
    first = row.locator(".countdown-left").inner_text()
    page.wait_for_timeout(1200)
    assert row.locator(".countdown-left").inner_text() != first  # it counts down

    to_answer = page.get_by_role("table", name="Settlements to answer")
    answer_row = to_answer.locator(f'tr[data-settlement="{settlement["id"]}"]')
    expect(answer_row.locator(".countdown-left")).to_have_text(re.compile(r"\d+ (d|h) .* left"))
    answer_link = answer_row.get_by_role("link", name=answer_name)
    expect(answer_link).to_be_visible()
    tile = page.get_by_role("link", name=re.compile("Activations to acknowledge"))
    expect(tile.locator(".tile-value")).not_to_have_text("0")
    bsp.shot("home-attention")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    bsp.shot("home-attention-narrow")
    page.set_viewport_size(LAPTOP)

    # the activation's link leads to the Market page, where it is acknowledged
    row.get_by_role("link", name=ack_name).click()
    expect(page.get_by_role("heading", name="Market", level=1)).to_be_visible()
    market_row = page.get_by_role("table", name="Activations").locator(
        f'tr[data-activation="{activation["id"]}"]'
    )
    expect(market_row).to_have_class(re.compile("highlight"))
    market_row.get_by_role("button", name=f"Accept activation {short}").click()
    expect(market_row.locator("[data-status]")).to_have_text("Accepted", timeout=30_000)

    bsp.nav("Home")
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()
    expect(
        page.get_by_role("table", name="Settlements to answer").locator(
            f'tr[data-settlement="{settlement["id"]}"]'
        )
    ).to_be_visible()
    expect(page.locator(f'tr[data-activation="{activation["id"]}"]')).to_have_count(0)

    # the settlement's link leads to its page; disputed there, it leaves the BSP's home ...
    page.get_by_role("link", name=answer_name).click()
    heading = page.get_by_role("heading", name=re.compile(f"^Settlement of {settled_uvam} · "))
    expect(heading).to_be_visible()
    page.get_by_label("Reason (required to dispute)").fill("our meter shows 18 kW delivered")
    page.get_by_role("button", name="Dispute settlement").click()
    expect(page.locator(".status-line [data-status]")).to_have_text("disputed", timeout=30_000)
    bsp.nav("Home")
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()
    expect(page.get_by_role("heading", name="Settlements to accept or dispute")).to_be_visible()
    expect(page.locator(f'tr[data-settlement="{settlement["id"]}"]')).to_have_count(0)
    bsp.shot("home-after-answers")

    # ... and reaches the TSO's, with a link to resolve it
    tso = sign_in("tso")
    disputes = tso.page.get_by_role("table", name="Disputed settlements")
    dispute = disputes.locator(f'tr[data-settlement="{settlement["id"]}"]')
    expect(dispute).to_contain_text("our meter shows 18 kW delivered")
    expect(
        dispute.get_by_role(
            "link",
            name=re.compile(f"^Resolve the settlement of {settled_uvam} · .+ \\(version 1\\)$"),
        )
    ).to_have_attribute("href", f"#/settlement/{settlement['id']}")
    tso.shot("home-dispute")
    dispute.get_by_role("link", name=re.compile("^Resolve the settlement of")).click()
    resolve = tso.page.get_by_role("form", name="Resolve the dispute")
    resolve.get_by_role("button", name="Confirm settlement").click()
    expect(tso.page.locator(".status-line [data-status]")).to_have_text("final", timeout=30_000)
    tso.shot("dispute-confirmed")
    tso.nav("Home")
    expect(
        tso.page.get_by_role("table", name="Review queue").or_(
            tso.page.get_by_text("Nothing waits for your decision.")
        )
    ).to_be_visible()
    expect(tso.page.locator(f'tr[data-settlement="{settlement["id"]}"]')).to_have_count(0)
