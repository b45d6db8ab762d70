"""``cbp market demo``: the market journey end to end through the public API, then stop.

On a fresh platform of its own: three BSPs qualify a UVAM each; a DSO closes one POD (red
light); the BSPs bid upward tertiary reserve (``MSD-TERTIARY-UP``); the TSO states a need that is
cleared pay-as-clear once its gate has closed (the chain's and the platform's clocks move there,
simulated time); the TSO activates the awarded bid and the BSP, told through its callback,
accepts; the BSP uploads a day's worth of readings of its device and a proof of one reading is
checked against the root on chain; settling the activation before its delivery ends is refused;
the chain's and platform's clocks move past the delivery (simulated time, development chains
only); the DSO uploads its POD readings (a history day and the activation) and the BSP its
device's; the TSO settles the activation (X-of-Y baseline, recorded on chain), the BSP accepts
and the audit recomputes the hash on chain. The exit code says whether every step gave what was
expected. The platform runs on the chain the environment names: a local Anvil of its own, or the
node ``CBP_RPC_URL`` reaches (a Ganache, a network), where it deploys contracts of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from cli.market_bench import BSPS, DSO, Api, Receiver, bench_platform, qualified_uvam
from cli.stack import Platform
from ledger.core import clock
from ledger.core.chain.client import ChainClient, Deployment
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso, next_period_within_day
from ledger.core.settings import Settings
from ledger.settlement import day_type

PRODUCT = "MSD-TERTIARY-UP"
# a baseline of one day: the same period on the last earlier day of the same type
X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}


def _history_day(t1: int) -> int:
    """The same period on the most recent earlier day of the same day type."""
    day = datetime.fromtimestamp(t1, UTC)
    for back in range(1, 8):
        earlier = day - timedelta(days=back)
        if day_type(earlier.date()) == day_type(day.date()):
            return t1 - back * 86_400
    raise RuntimeError("no day of the same type in a week")


def _wait(
    api: Api, slug: str, path: str, wanted: set[str], timeout_s: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = api[slug].get(path)
        body = response.json() if response.status_code == 200 else {}
        if body.get("status") in wanted:
            return body
        time.sleep(0.1)
    return body


def _upload(
    api: Api, slug: str, kind: str, resource: str, start: int, power_w: int
) -> tuple[str, str, Any]:
    """``slug`` uploads 15 minutes of 60 s readings of one resource at a constant power;
    returns (slug, the operation to wait for, the batch)."""
    rows = [
        {"resourceId": resource, "timestamp": start + 60 * i, "powerW": power_w} for i in range(15)
    ]
    answer = api.write(
        slug,
        "POST",
        "/market/measurements",
        json={"kind": kind, "resolutionSeconds": 60, "readings": rows},
    )
    return slug, answer["operationId"], answer["batch"]


def _upload_device_day(
    api: Api, platform: Platform, bsp: str, device: str
) -> tuple[dict[str, Any], int]:
    """A day of ``device``'s 60-second readings (the day before the platform's clock), sent
    by CSV: (the accepted upload, its first timestamp)."""
    now = clock.clock_for(platform.settings).now()
    first = now - now % 60 - 86_400
    rows = "\n".join(f"{device},{first + 60 * i},{4000 + i % 500}" for i in range(1440))
    answer = api.write(
        bsp,
        "POST",
        "/market/measurements/csv",
        files={"file": ("day.csv", f"resourceId,timestamp,powerW\n{rows}\n".encode(), "text/csv")},
        data={"kind": "device", "resolutionSeconds": "60"},
    )
    return answer, first


def _settle(
    api: Api,
    platform: Platform,
    bsp: str,
    pod: str,
    device: str,
    activation_id: str,
    start: int,
    check: Callable[[str, bool, str], None],
    console: Console,
) -> None:
    """Settle the accepted activation once its delivery is over, with both meters' data.

    The activation lies an hour ahead (MSD's gate closure). Settling it now is refused: its
    delivery has not ended. The demo then moves the local chain's and the platform's clocks
    together past the end of the delivery period (simulated time, ``ledger.core.clock``; local chain
    only) instead of waiting. The DSO uploads its POD meter readings (a history day at 60 kW for
    the X-of-Y baseline, 25 kW during the activation), the BSP its EV charger's readings during
    the activation (25 kW, the same); the TSO settles (X-of-Y, 1 of 1), the BSP accepts, and the
    audit recomputes the hash on chain. By hand: baseline 15,000 Wh, measured 6,250 Wh,
    delivered 8,750 of 10,000 Wh ordered; 8,750 Wh x 52.50 EUR/MWh = 0.46 EUR,
    1,250 Wh x 120 EUR/MWh = 0.15 EUR penalty, net 0.31 EUR."""
    console.print("settling the activation ...")
    early = api["tso"].post(f"/market/activations/{activation_id}/settlement", json={})
    body = early.json()
    check(
        "settlement refused before the delivery ends",
        early.status_code == 409 and body.get("details", {}).get("reason") == "deliveryNotEnded",
        body.get("message", early.text)[:90],
    )
    clock.advance_past(platform.settings, platform.stack.rpc_url, start + 900, margin_s=60)
    console.print(f"simulated time: chain and platform clocks moved past {iso(start + 900)}")
    history = _history_day(start)
    uploads = [
        _upload(api, DSO, "pod", pod, history, 60_000),
        _upload(api, DSO, "pod", pod, start, 25_000),
        _upload(api, bsp, "device", device, start, 25_000),
    ]
    for slug, operation_id, _ in uploads:  # sent together, awaited together
        api.wait(slug, [operation_id])
    batches = [batch for _, _, batch in uploads]
    check(
        "DSO POD meter (history day, activation) and BSP device readings committed",
        all(batch["readingCount"] == 15 for batch in batches),
        ", ".join(f"root {batch['root'][:12]}..." for batch in batches),
    )
    sent = api.write(
        "tso",
        "POST",
        f"/market/activations/{activation_id}/settlement",
        json={},  # the terms (X-of-Y 1 of 1, 120 EUR/MWh) were frozen at award
    )
    [operation] = api.wait("tso", [sent["operationId"]])
    settlement_id = operation["result"]["settlementId"]
    recorded = api["tso"].get(f"/settlements/{settlement_id}").json()
    totals = recorded["totals"]
    check(
        "settlement recorded on chain (worked by hand)",
        recorded["status"] == "recorded"
        and recorded["complete"] is True
        and recorded["rules"]["authoritative"] == "dsoPodMeter"
        and (totals["orderedWh"], totals["deliveredWh"]) == (10_000, 8_750)
        and (totals["remunerationEur"], totals["penaltyEur"], totals["netEur"])
        == ("0.46", "0.15", "0.31")
        and totals["disagreements"] == 0
        and any(name.startswith("bspDevices:") for name in recorded["dataRoots"]),
        f"v{recorded['version']} {recorded['settlementHash'][:18]}...",
    )
    api.done(bsp, "POST", f"/settlements/{settlement_id}/accept")
    final = api[bsp].get(f"/settlements/{settlement_id}").json()
    check("BSP accepts, settlement final", final["status"] == "final", final["status"])
    audit = api["tso"].get(f"/settlements/{settlement_id}/audit").json()
    check(
        "audit recomputes the hash on chain",
        audit["matches"] is True and audit["dataRootsMatch"] is True,
        f"{audit['recomputedHash'][:18]}... = {audit['onChainHash'][:18]}...",
    )
    table = Table(title=f"Settlement of activation {activation_id[:8]} ({final['status']})")
    periods = final["periods"]
    table.add_column("per period")
    for period in periods:
        table.add_column(iso(period["start"])[11:16] + " UTC", justify="right")
    other = final["pods"]["otherSourceWh"] or []
    lines: list[tuple[str, Callable[[int, dict[str, Any]], Any]]] = [
        ("baseline Wh", lambda _, p: p["baselineWh"]),
        ("DSO POD meter Wh (authoritative)", lambda _, p: p["measuredWh"]),
        ("BSP devices Wh", lambda i, _: sum(row[i] or 0 for row in other)),
        ("ordered Wh", lambda _, p: p["orderedWh"]),
        (
            "delivered Wh (DSO / BSP)",
            lambda _, p: f"{p['deliveredWh']} / {p.get('otherSourceDeliveredWh')}",
        ),
        ("paid / short Wh", lambda _, p: f"{p['remuneratedWh']} / {p['deficiencyWh']}"),
        ("remuneration EUR", lambda _, p: p["remunerationEur"]),
        ("penalty EUR", lambda _, p: p["penaltyEur"]),
        ("net EUR", lambda _, p: p["netEur"]),
        (
            "meters disagree / data missing",
            lambda _, p: f"{p['disagreeingPods']} / {p['missingPods']}",
        ),
    ]
    for label, value in lines:
        table.add_row(label, *(str(value(i, p)) for i, p in enumerate(periods)))
    table.caption = (
        f"{final['method']['name']} 1 of 1; authoritative "
        f"{final['rules']['authoritative']}, tolerance {final['rules']['tolerance']['relative']}"
        f" + {final['rules']['tolerance']['absoluteWh']} Wh; totals: net "
        f"{totals['netEur']} EUR, audit {'matches' if audit['matches'] else 'differs'}"
    )
    console.print(table)


def run_market_demo(console: Console, settings: Settings | None = None) -> int:
    """The market journey on a fresh platform of its own, on the chain ``settings`` name
    (default: the environment's; a local Anvil unless ``CBP_RPC_URL`` is set); 0 when every
    step gave what was expected."""
    checks: list[tuple[str, bool, str]] = []

    def check(what: str, ok: bool, detail: str) -> None:
        checks.append((what, ok, detail))
        console.print(f"{'[green]ok[/green]' if ok else '[red]FAILED[/red]'} {what}: {detail}")

    with bench_platform(console, settings, configured_chain=True) as (platform, api):
        run_market_journey(platform, api, check, console)

    table = Table(title="Market journey")
    table.add_column("step")
    table.add_column("result")
    for what, ok, _ in checks:
        table.add_row(what, "[green]ok[/green]" if ok else "[red]failed[/red]")
    console.print(table)
    return 0 if all(ok for _, ok, _ in checks) else 1


def run_market_journey(
    platform: Platform, api: Api, check: Callable[[str, bool, str], None], console: Console
) -> None:
    """The journey's steps on a running ``platform`` whose organisations ``api`` speaks for
    (slugs ``tso``, :data:`DSO` and :data:`BSPS`); each outcome goes to ``check``."""
    console.print("qualifying a UVAM per BSP (one POD, one EV charger each) ...")
    # Each BSP's own system at once, as they would: on a chain with block times the three
    # qualifications share blocks instead of waiting for each other's.
    with ThreadPoolExecutor(max_workers=len(BSPS)) as pool:
        qualified = list(
            pool.map(
                lambda numbered: qualified_uvam(
                    api, numbered[1], 40 + numbered[0], flex_kw=100, devices=1
                ),
                enumerate(BSPS),
            )
        )
    uvams = {bsp: uvam for bsp, (uvam, _, _) in zip(BSPS, qualified, strict=True)}
    pods = {bsp: pod for bsp, (_, pod, _) in zip(BSPS, qualified, strict=True)}
    devices = {bsp: found[0] for bsp, (_, _, found) in zip(BSPS, qualified, strict=True)}
    alpha, bravo, charlie = BSPS
    now = clock.clock_for(platform.settings).now()
    start = next_period_within_day(now + 3600 + 60, 4)  # after MSD's 1 h gate closure
    red = {
        "constraints": [
            {
                "scope": "pod",
                "target": pods[charlie],
                "start": iso(start),
                "end": iso(start + 900),
                "light": "red",
                "reason": "feeder works",
            }
        ]
    }
    api[DSO].post("/market/grid-constraints", json=red).raise_for_status()
    offers = {alpha: (80, "52.50"), bravo: (60, "48"), charlie: (100, "30")}
    bids, sent_bids = {}, {}
    for bsp, (kw, price) in offers.items():  # the BSPs bid independently: sent, then awaited
        answer = api.write(
            bsp,
            "POST",
            "/market/bids",
            json={
                "bids": [
                    {
                        "uvamId": uvams[bsp],
                        "productId": PRODUCT,
                        "direction": "up",
                        "deliveryStart": iso(start),
                        "quantitiesKw": [kw],
                        "price": price,
                    }
                ]
            },
        )
        bids[bsp], sent_bids[bsp] = answer["bidIds"][0], answer["operationId"]
    for bsp, operation_id in sent_bids.items():
        api.wait(bsp, [operation_id])
    states = {
        bsp: _wait(api, bsp, f"/market/bids/{bid}", {"Active", "Blocked"})["status"]
        for bsp, bid in bids.items()
    }
    check(
        "DSO check",
        states == {alpha: "Active", bravo: "Active", charlie: "Blocked"},
        str(states),
    )

    # The need is cleared once its gate (an hour before delivery) has closed: bids may come
    # until then. The demo moves the chain's and the platform's clocks there (simulated time).
    gate = start - 3600
    clock.advance_past(platform.settings, platform.stack.rpc_url, gate)
    console.print(f"simulated time: chain and platform clocks moved past the gate, {iso(gate)}")
    answer = api.done(
        "tso",
        "POST",
        "/market/needs",
        json={
            "productId": PRODUCT,
            "direction": "up",
            "deliveryStart": iso(start),
            "quantitiesKw": [100],
            "pricing": "payAsClear",
            "settlement": {"method": X_OF_Y, "sanctionEurMwh": "120"},
        },
    )
    need = _wait(api, "tso", f"/market/needs/{answer['needId']}", {"Cleared"})
    awards = {a["bidId"]: (a["awardedKw"], a["prices"]) for a in need.get("awards", [])}
    # merit order: bravo 60 @ 48, alpha 40 of 80 @ 52.50; pay-as-clear: both paid 52.5
    check(
        "clearing (pay-as-clear)",
        awards == {bids[bravo]: ([60], ["52.5"]), bids[alpha]: ([40], ["52.5"])},
        str(awards),
    )
    rerun = api["tso"].get(f"/market/needs/{answer['needId']}/rerun").json()
    check(
        "clearing rerun reproduces the hash on chain",
        rerun.get("reproduced") is True,
        str(rerun.get("resultHash")),
    )

    receiver = Receiver()
    try:
        api[alpha].put(
            "/organisations/me/callback", json={"callbackUrl": receiver.url}
        ).raise_for_status()
        sent = api.done(
            "tso",
            "POST",
            "/market/activations",
            json={"bidId": bids[alpha], "firstPeriod": iso(start), "setPointsKw": [40]},
        )
        receiver.wait_for(sent["activationId"], timeout_s=30)
        acknowledged = api.write(
            alpha,
            "POST",
            f"/market/activations/{sent['activationId']}/acknowledgement",
            json={"accept": True},
        )
        # meanwhile, the activated device's readings of the day before: independent of the
        # acknowledgement, sent together, awaited together
        upload, first = _upload_device_day(api, platform, alpha, devices[alpha])
        api.wait(alpha, [acknowledged["operationId"], upload["operationId"]])
        status = api["tso"].get(f"/market/activations/{sent['activationId']}").json()["status"]
        check("activation sent, BSP told, accepted", status == "Accepted", status)
        activation_id = sent["activationId"]
        beyond = api["tso"].post(
            "/market/activations",
            json={"bidId": bids[alpha], "firstPeriod": iso(start), "setPointsKw": [1]},
        )
        check(
            "no activation beyond the award",
            beyond.status_code == 409,
            beyond.json().get("code", ""),
        )
    finally:
        receiver.close()

    batch = upload["batch"]
    proof = (
        api[alpha]
        .get(
            f"/market/measurements/batches/{batch['id']}/proof",
            params={"resourceId": devices[alpha], "timestamp": first + 600},
        )
        .json()
    )
    chain = ChainClient(platform.stack.rpc_url)
    try:
        chain.deployment = Deployment.load(platform.settings.deployments_dir, chain.chain_id)
        on_chain = chain.read(
            "MeasurementLedger",
            "verifyReading",
            to_bytes32(proof["batchKey"]),
            to_bytes32(proof["leaf"]),
            [to_bytes32(p) for p in proof["proof"]],
        )
    finally:
        chain.close()
    check(
        "measurements committed, proof verified on chain",
        bool(on_chain),
        f"{batch['readingCount']} readings, root {batch['root'][:18]}...",
    )
    _settle(api, platform, alpha, pods[alpha], devices[alpha], activation_id, start, check, console)
