"""``cbp demo``: the registration scenario of FLOW D5.5 §3, end to end through the public API.

The organisations (1 TSO, 2 DSOs, 3 BSPs) are created in process, as an operator would with
``cbp init`` and ``cbp org add``; their API tokens are kept in ``<data dir>/demo-tokens.json``
(mode 0600) so that later runs, and ``cbp up``, reuse them. Everything after that goes over
HTTP exactly as the organisations' own systems would do it: register PODs (one BSP by CSV mass
loading, the others one request per POD) and UVAMs, add a flex device and a PDF per POD, open
them and send them for review, open the UVAMs with their connections and PDFs, wait for the TSO
and DSO verdicts, then add the validated PODs to the UVAMs and send those for qualification.
Every write answers 202 with an operation id, polled until it has succeeded or failed. What does
not depend on each other is sent together, and a step right after one of the same BSP's still in
flight (a POD's review request after its opening) without waiting for it: the API accepts it
behind the writes not mined yet, and they share a block.

A few PODs are inconsistent on purpose (a low-voltage POD of 150 kW, a secondary POD larger
than the POD, a medium-voltage POD of 12 MW) and one UVAM asks for more power than its members
can give: the platform must reject exactly those, with reasons. The exit code says whether it
did.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
from rich.console import Console
from rich.table import Table

from cli.api_client import (
    PHASE_TIMEOUT_S,
    POLL_INTERVAL_S,
    ApiClient,
    DemoFailure,
    Pending,
    broken_eic,
    now_iso,
    pdf_attachment,
    wait_operations,
)
from cli.demo_orgs import DEMO_ORGANISATIONS, TOKENS_FILE, ensure_initialised
from cli.stack import Platform
from ledger.core.settings import Settings
from ledger.registry.mass_load import pods_to_csv
from ledger.registry.schemas import PodCreate

__all__ = ["MIN_DEMO_PODS", "TOKENS_FILE", "run_demo"]

#: Fewest PODs with which every BSP still has a validated POD per UVAM it builds.
MIN_DEMO_PODS: Final = 9
UVAMS_PER_BSP: Final = (2, 2, 1)  # 5 UVAMs across the 3 BSPs
OVERSIZED_UVAM: Final = 3  # the UVAM (by position) that asks for more than its members have
DEVICE_TYPES: Final = ("EVCharger", "Battery", "HeatPump")
DIRECTIONS: Final = ("consumption", "mixed", "generation")


# ------------------------------------------------------------------- the scenario

INCONSISTENT_KINDS: Final = ("lv-150kw", "secondary-larger", "mv-12mw")


@dataclass
class PodPlan:
    bsp: ApiClient
    code: str
    body: dict[str, Any]
    inconsistent: str | None
    device_type: str
    pod_id: str | None = None


@dataclass
class UvamPlan:
    bsp: ApiClient
    name: str
    members: list[PodPlan]
    oversized: bool
    uvam_id: str | None = None
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    what: str
    ok: bool
    detail: str


@dataclass
class Scenario:
    """The registration scenario, spoken over HTTP by the organisations' own clients."""

    api_url: str
    tokens: dict[str, str]
    pods: int
    console: Console
    clients: list[ApiClient] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    plans: list[PodPlan] = field(default_factory=list)
    uvams: list[UvamPlan] = field(default_factory=list)
    tag: str = ""
    bad_request: dict[str, Any] = field(default_factory=dict)
    mass_load_report: dict[str, Any] = field(default_factory=dict)
    final_pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    final_uvams: dict[str, dict[str, Any]] = field(default_factory=dict)
    operation_counts_before: dict[str, int] = field(default_factory=dict)
    tso: ApiClient = field(init=False)
    dsos: list[ApiClient] = field(init=False)
    bsps: list[ApiClient] = field(init=False)

    def __post_init__(self) -> None:
        self.clients = [ApiClient(self.api_url, token) for token in self.tokens.values()]
        by_role: dict[str, list[ApiClient]] = defaultdict(list)
        for client in sorted(self.clients, key=lambda c: c.slug):
            by_role[client.role].append(client)
        demo_slugs = {spec.slug for spec in DEMO_ORGANISATIONS}
        self.tso = by_role["TSO"][0]
        self.dsos = [c for c in by_role["DSO"] if c.slug in demo_slugs] or by_role["DSO"]
        self.bsps = [c for c in by_role["BSP"] if c.slug in demo_slugs] or by_role["BSP"]
        if len(self.bsps) < 3 or len(self.dsos) < 2:
            raise DemoFailure("the demo needs 3 BSPs and 2 DSOs; see demo-tokens.json")
        self.bsps = self.bsps[:3]
        self.dsos = self.dsos[:2]

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def check(self, what: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(what, ok, detail))

    def say(self, message: str) -> None:
        self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {message}")

    # ---------------------------------------------------------------- steps

    def run(self) -> None:
        for client in self.clients:
            self.operation_counts_before[client.slug] = self.call_count(client)
        self.tag = self.fresh_tag()
        self.plan_pods()
        self.plan_uvams()
        self.send_bad_request()
        self.register_pods()
        self.complete_pods()
        self.review_pods()
        self.qualify_uvams()

    @staticmethod
    def call_count(client: ApiClient) -> int:
        return int(client.call("GET", "/operations", params={"limit": 1})["count"])

    def fresh_tag(self) -> str:
        """Four digits that no POD code of earlier runs carries: new metering points per run."""
        for _ in range(50):
            tag = f"{secrets.randbelow(10_000):04d}"
            found = self.tso.call("GET", "/pods", params={"q": f"E{tag}", "limit": 1})
            if found["count"] == 0:
                return tag
        raise DemoFailure("no unused POD code prefix found in 50 tries")

    def plan_pods(self) -> None:
        rng = random.Random(int(self.tag) + 7919 * self.pods)
        share, extra = divmod(self.pods, len(self.bsps))
        counts = [share + (1 if i < extra else 0) for i in range(len(self.bsps))]
        rejects = max(1, self.pods // 12)
        bad_per_bsp = [
            rejects // len(self.bsps) + (1 if i < rejects % len(self.bsps) else 0)
            for i in range(len(self.bsps))
        ]
        number = 0
        kind_index = 0
        start = now_iso()
        for b, (bsp, count) in enumerate(zip(self.bsps, counts, strict=True)):
            for i in range(count):
                dso = self.dsos[number % len(self.dsos)]
                distributor = 1 + number % len(self.dsos)
                code = f"IT{distributor:03d}E{self.tag}{number:05d}"
                inconsistent = None
                if i >= count - bad_per_bsp[b]:
                    inconsistent = INCONSISTENT_KINDS[kind_index % len(INCONSISTENT_KINDS)]
                    kind_index += 1
                body = self.pod_body(rng, bsp, dso, code, number, inconsistent, start)
                self.plans.append(
                    PodPlan(
                        bsp=bsp,
                        code=code,
                        body=body,
                        inconsistent=inconsistent,
                        device_type=DEVICE_TYPES[number % len(DEVICE_TYPES)],
                    )
                )
                number += 1

    def pod_body(
        self,
        rng: random.Random,
        bsp: ApiClient,
        dso: ApiClient,
        code: str,
        number: int,
        inconsistent: str | None,
        start: str,
    ) -> dict[str, Any]:
        if inconsistent == "lv-150kw":
            level, contracted, up, down, secondary = "LV", 150, 60, 40, None
        elif inconsistent == "secondary-larger":
            level, contracted, up, down, secondary = "LV", 50, 20, 10, 80
        elif inconsistent == "mv-12mw":
            level, contracted, up, down, secondary = "MV", 12_000, 3_000, 2_000, None
        elif rng.random() < 0.7:
            level, contracted, secondary = "LV", rng.randrange(10, 101, 5), None
            up, down = (
                max(1, contracted * rng.randint(20, 60) // 100),
                contracted * rng.randint(10, 40) // 100,
            )
        else:
            level, contracted, secondary = "MV", rng.randrange(200, 2001, 50), None
            up, down = (
                contracted * rng.randint(20, 50) // 100,
                contracted * rng.randint(10, 30) // 100,
            )
        body: dict[str, Any] = {
            "registrationPeriod": int(time.time()),
            "receiverId": self.tso.eic,
            "flexibilityServiceProviderId": bsp.eic,
            "meteringPointId": code,
            "locationId": "NORD" if dso is self.dsos[0] else "SUD",
            "brpContractId": f"DC-{self.tag}-{number:05d}",
            "resourceName": f"{bsp.name} site {number + 1}",
            "direction": DIRECTIONS[number % len(DIRECTIONS)],
            "contractedPower": contracted,
            "maximumFlexUp": up,
            "maximumFlexDown": down,
            "gridVoltageLevel": level,
            "distributionGridOperatorName": dso.eic,
            "startDateTime": start,
        }
        if secondary is not None:
            body["contractedPowerSecondaryPOD"] = secondary
        return body

    def send_bad_request(self) -> None:
        """One POD with a mistyped EIC: refused at once with 422, naming the field."""
        bsp = self.bsps[1]
        body = {**self.plans[0].body, "flexibilityServiceProviderId": broken_eic(bsp.eic)}
        body["meteringPointId"] = f"IT009E{self.tag}99999"
        response = bsp.send("POST", "/pods", json=body)
        answer = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        self.bad_request = {"status": response.status_code, **answer}
        ok = response.status_code == 422 and answer.get("field") == "flexibilityServiceProviderId"
        self.check(
            "mistyped EIC refused with 422 naming the field",
            ok,
            f"{response.status_code}: {answer.get('message')}",
        )
        self.say(
            f"bad request (mistyped BSP EIC) -> {response.status_code},"
            f" field [bold]{answer.get('field')}[/bold]: {answer.get('message')}"
        )

    def register_pods(self) -> None:
        mass_bsp = self.bsps[0]
        mass = [plan for plan in self.plans if plan.bsp is mass_bsp]
        csv_data = pods_to_csv(PodCreate.model_validate(plan.body) for plan in mass)
        # one extra row with a mistyped DSO EIC: the per-row report must name it
        bad_row = pods_to_csv(
            [
                PodCreate.model_validate(
                    {**mass[0].body, "meteringPointId": f"IT009E{self.tag}99998"}
                )
            ]
        ).split(b"\r\n")[1]
        bad_row = bad_row.replace(
            mass[0].body["distributionGridOperatorName"].encode(),
            broken_eic(mass[0].body["distributionGridOperatorName"]).encode(),
        )
        csv_data += bad_row + b"\r\n"
        self.say(f"{mass_bsp.slug}: mass loading {len(mass)} PODs (+1 bad row) from one CSV file")
        answer = mass_bsp.write(
            "POST",
            "/pods/mass-load",
            files={"file": (f"pods-{self.tag}.csv", csv_data, "text/csv")},
        )
        report = answer["report"]
        self.mass_load_report = report
        rejected = [row for row in report["rows"] if not row["accepted"]]
        fields = sorted({e["field"] for row in rejected for e in row["errors"]})
        self.check(
            "mass load: every good row accepted, the bad row rejected naming the field",
            report["acceptedCount"] == len(mass)
            and len(rejected) == 1
            and fields == ["distributionGridOperatorName"],
            f"{report['acceptedCount']} accepted, {len(rejected)} rejected ({', '.join(fields)})",
        )
        for plan, row in zip(mass, report["rows"], strict=False):
            plan.pod_id = row.get("podId")
        pending = [Pending(mass_bsp, answer["operationId"], "pod.register (mass load)")]
        for plan in self.plans:
            if plan.bsp is mass_bsp:
                continue
            accepted = plan.bsp.write("POST", "/pods", plan.body)
            plan.pod_id = accepted["podId"]
            pending.append(Pending(plan.bsp, accepted["operationId"], "pod.register"))
        self.say(
            f"{len(self.plans) - len(mass)} PODs sent one by one by "
            f"{', '.join(b.slug for b in self.bsps[1:])}"
        )
        uvams = self.register_uvams()
        self.wait(pending, "POD registrations")
        self.wait(uvams, "UVAM registrations")

    def complete_pods(self) -> None:
        pending = []
        for plan in self.registered():
            pod = plan.body
            device = {
                "parentResourceId": plan.pod_id,
                "resourceName": f"{plan.device_type} of {pod['resourceName']}",
                "deviceType": plan.device_type,
                "contractedPower": max(pod["maximumFlexUp"], pod["maximumFlexDown"]),
                "maximumFlexUp": pod["maximumFlexUp"],
                "maximumFlexDown": pod["maximumFlexDown"],
                "startDateTime": pod["startDateTime"],
            }
            answer = plan.bsp.write("POST", f"/pods/{plan.pod_id}/flex-devices", device)
            pending.append(Pending(plan.bsp, answer["operationId"], "device.register"))
            attachment = pdf_attachment(
                plan.bsp.eic,
                self.tso.eic,
                f"connection-diagram-{plan.code}.pdf",
                f"Connection diagram of POD {plan.code}",
                "ConnectionDiagram",
            )
            answer = plan.bsp.write("POST", f"/pods/{plan.pod_id}/attachments", attachment)
            pending.append(Pending(plan.bsp, answer["operationId"], "attachment.create"))
        done = len(pending) // 2
        opened = self.pod_steps("Open")
        steps = {"Open": opened, "UnderReview": self.pod_steps("UnderReview", after=opened)}
        uvams = self.open_uvams()
        self.say(
            f"{done} flex devices and {done} PDF attachments sent; {len(steps['Open'])} PODs"
            " -> Open, then -> UnderReview right behind, not waiting for the chain"
        )
        self.say(f"{len(self.uvams)} UVAMs -> Open, with their connections and PDFs")
        self.wait(pending, "flex devices and attachments")
        for status, sent in steps.items():
            self.wait(sent, f"POD status {status}")
        self.wait(uvams, "UVAM openings, connections and attachments")

    def pod_steps(self, status: str, after: Sequence[Pending] = ()) -> list[Pending]:
        """Every registered POD of this run to ``status`` (``PATCH /pods/{id}/status``), each
        right behind its step ``after`` (same order), still in flight: a request refused
        because too much of its BSP's is in flight for the API to dry-run it behind goes
        again once that step is mined."""
        pending, refused = [], []
        for index, plan in enumerate(self.registered()):
            response = plan.bsp.send(
                "PATCH", f"/pods/{plan.pod_id}/status", json=self.pod_status(plan, status)
            )
            if response.status_code == 409 and after:
                refused.append((plan, after[index]))
                continue
            if response.status_code != 202:
                raise DemoFailure(
                    f"{plan.bsp.slug}: {status} of POD {plan.pod_id} answered"
                    f" {response.status_code}: {response.text[:500]}"
                )
            pending.append(
                Pending(plan.bsp, response.json()["operationId"], f"pod.status {status}")
            )
        if refused:
            self.wait([step for _, step in refused], "POD steps before the refused ones")
            for plan, _ in refused:
                answer = plan.bsp.write(
                    "PATCH", f"/pods/{plan.pod_id}/status", self.pod_status(plan, status)
                )
                pending.append(Pending(plan.bsp, answer["operationId"], f"pod.status {status}"))
        return pending

    def pod_status(self, plan: PodPlan, status: str) -> dict[str, Any]:
        return {
            "registrationPeriod": int(time.time()),
            "flexResourceId": plan.pod_id,
            "status": status,
            "flexibilityServiceProviderId": plan.bsp.eic,
            "receiverId": self.tso.eic,
        }

    def review_pods(self) -> None:
        self.say("TSO verification and DSO validation running on the platform...")
        self.final_pods = self.poll_pods(until_none_in={"UnderReview", "Verified"})
        expected_rejected = {p.pod_id for p in self.plans if p.inconsistent}
        expected_valid = {p.pod_id for p in self.registered()} - expected_rejected
        rejected = {i for i, p in self.final_pods.items() if p["status"] == "Rejected"}
        validated = {i for i, p in self.final_pods.items() if p["status"] == "Validated"}
        with_reasons = {i for i in rejected if self.final_pods[i].get("reasons")}
        self.check(
            "consistent PODs validated by TSO and DSO",
            validated == expected_valid,
            f"{len(validated)} validated, {len(expected_valid)} expected",
        )
        self.check(
            "inconsistent PODs rejected with reasons",
            rejected == expected_rejected and with_reasons == rejected,
            f"{len(rejected)} rejected ({len(with_reasons)} with reasons),"
            f" {len(expected_rejected)} expected",
        )

    def registered(self) -> list[PodPlan]:
        return [plan for plan in self.plans if plan.pod_id]

    def poll_pods(self, *, until_none_in: set[str]) -> dict[str, dict[str, Any]]:
        """``GET /pods?status=...`` until no POD of this run is in one of those statuses."""
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        mine = {plan.pod_id for plan in self.registered()}
        while True:
            busy = 0
            for bsp in self.bsps:
                for status in until_none_in:
                    rows = bsp.call(
                        "GET", "/pods", params={"status": status, "q": f"E{self.tag}", "limit": 1}
                    )
                    busy += int(rows["count"])
            if busy == 0:
                break
            if time.monotonic() > deadline:
                raise DemoFailure(f"{busy} PODs still under review after {PHASE_TIMEOUT_S:.0f}s")
            time.sleep(0.2)
        found: dict[str, dict[str, Any]] = {}
        for bsp in self.bsps:
            for row in bsp.all_pages("/pods", {"q": f"E{self.tag}"}):
                if row["id"] in mine:
                    found[row["id"]] = row
        return found

    def plan_uvams(self) -> None:
        """UVAMs of the PODs each BSP expects to see validated (the consistent ones): known
        before the PODs are reviewed, so the UVAMs are registered and opened meanwhile; only
        the PODs actually validated are added (:meth:`qualify_uvams`)."""
        position = 0
        for bsp, count in zip(self.bsps, UVAMS_PER_BSP, strict=False):
            consistent = [p for p in self.plans if p.bsp is bsp and not p.inconsistent]
            if len(consistent) < count:
                raise DemoFailure(f"{bsp.slug} has {len(consistent)} PODs for {count} UVAMs")
            groups: list[list[PodPlan]] = [consistent[i::count] for i in range(count)]
            for index, members in enumerate(groups):
                self.uvams.append(
                    UvamPlan(
                        bsp=bsp,
                        name=f"UVAM {bsp.name} {self.tag}-{index + 1}",
                        members=members,
                        oversized=position == OVERSIZED_UVAM,
                    )
                )
                position += 1

    def register_uvams(self) -> list[Pending]:
        pending = []
        for number, uvam in enumerate(self.uvams):
            total_up = sum(p.body["maximumFlexUp"] for p in uvam.members)
            total_down = sum(p.body["maximumFlexDown"] for p in uvam.members)
            uvam.body = {
                "flexibilityServiceProviderId": uvam.bsp.eic,
                "receiverId": self.tso.eic,
                "type": "UVAM",
                "name": uvam.name,
                "perimeter": "NORD" if number % 2 == 0 else "SUD",
                "maximumQualifiedPower": total_up + 500 if uvam.oversized else total_up * 8 // 10,
                "minimumQualifiedPower": total_down * 8 // 10,
                "marketType": "MSD",
                "period": "P1D",
                "startDateTime": now_iso(),
            }
            answer = uvam.bsp.write("POST", "/uvams", uvam.body)
            uvam.uvam_id = answer["uvamId"]
            pending.append(Pending(uvam.bsp, answer["operationId"], "uvam.register"))
        self.say(
            f"{len(self.uvams)} UVAMs registered by "
            f"{', '.join(sorted({u.bsp.slug for u in self.uvams}))}; waiting for the chain"
        )
        return pending

    def open_uvams(self) -> list[Pending]:
        """Each UVAM opened, its connection registered and its datasheet attached."""
        pending = []
        for number, uvam in enumerate(self.uvams):
            pending.append(self.uvam_step(uvam, "Open"))
            answer = uvam.bsp.write(
                "POST",
                f"/uvams/{uvam.uvam_id}/connection",
                {
                    "resourceGroupId": uvam.uvam_id,
                    "type": "IEC104",
                    "manufacturer": "ABB",
                    "ipAddress": f"10.20.{number + 1}.10",
                    "fullScaleMin": -max(1, uvam.body["minimumQualifiedPower"]),
                    "fullScaleMax": max(1, uvam.body["maximumQualifiedPower"]),
                    "flexibilityServiceProviderId": uvam.bsp.eic,
                    "receiverId": self.tso.eic,
                },
            )
            pending.append(Pending(uvam.bsp, answer["operationId"], "connection.set"))
            answer = uvam.bsp.write(
                "POST",
                f"/uvams/{uvam.uvam_id}/attachments",
                pdf_attachment(
                    uvam.bsp.eic,
                    self.tso.eic,
                    "uvam-technical-datasheet.pdf",
                    f"Technical datasheet of {uvam.name}",
                    "TechnicalDatasheet",
                ),
            )
            pending.append(Pending(uvam.bsp, answer["operationId"], "attachment.create"))
        return pending

    def uvam_step(self, uvam: UvamPlan, status: str) -> Pending:
        """``PATCH /uvams/{id}/status`` to ``status``."""
        answer = uvam.bsp.write(
            "PATCH",
            f"/uvams/{uvam.uvam_id}/status",
            {
                "status": status,
                "flexibilityServiceProviderId": uvam.bsp.eic,
                "receiverId": self.tso.eic,
                "resourceGroupId": uvam.uvam_id,
            },
        )
        return Pending(uvam.bsp, answer["operationId"], f"uvam.status {status}")

    def qualify_uvams(self) -> None:
        """The validated PODs added to their UVAMs, and each UVAM sent for qualification right
        behind its members, not waiting for the chain."""
        pending = []
        for uvam in self.uvams:
            for pod in uvam.members:
                if self.final_pods.get(pod.pod_id or "", {}).get("status") != "Validated":
                    continue  # the check on the PODs' verdicts reports it
                answer = uvam.bsp.write(
                    "POST",
                    f"/uvams/{uvam.uvam_id}/members",
                    {
                        "resource": pod.pod_id,
                        "resourceGroup": uvam.uvam_id,
                        "flexibilityServiceProviderId": uvam.bsp.eic,
                        "receiverId": self.tso.eic,
                    },
                )
                pending.append(Pending(uvam.bsp, answer["operationId"], "membership.add"))
            pending.append(self.uvam_step(uvam, "UnderReview"))
        members = sum(p.label == "membership.add" for p in pending)
        self.say(
            f"{members} validated PODs added as members; {len(self.uvams)} UVAMs ->"
            " UnderReview right behind them"
        )
        self.wait(pending, "UVAM members and review requests")
        self.say("TSO qualification running on the platform...")
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        waiting = list(self.uvams)
        while waiting:
            still = []
            for uvam in waiting:
                body = uvam.bsp.call("GET", f"/uvams/{uvam.uvam_id}")
                if body["status"] in {"Qualified", "Rejected"}:
                    self.final_uvams[uvam.uvam_id or ""] = body
                else:
                    still.append(uvam)
            waiting = still
            if waiting:
                if time.monotonic() > deadline:
                    raise DemoFailure(f"{len(waiting)} UVAMs still under review")
                time.sleep(POLL_INTERVAL_S)
        qualified = [u for u in self.uvams if not u.oversized]
        oversized = [u for u in self.uvams if u.oversized]
        status_of = {i: body["status"] for i, body in self.final_uvams.items()}
        self.check(
            "UVAMs within their members' flexibility qualified",
            all(status_of.get(u.uvam_id or "") == "Qualified" for u in qualified),
            f"{sum(status_of.get(u.uvam_id or '') == 'Qualified' for u in qualified)}"
            f" of {len(qualified)} qualified",
        )
        self.check(
            "UVAM asking for more than its members have rejected with reasons",
            all(
                status_of.get(u.uvam_id or "") == "Rejected"
                and self.final_uvams[u.uvam_id or ""].get("reasons")
                for u in oversized
            ),
            "; ".join(f"{u.name}: {status_of.get(u.uvam_id or '')}" for u in oversized),
        )

    def wait(self, pending: Sequence[Pending], what: str) -> None:
        finished = wait_operations(pending)
        self.operations.update(finished)
        failed = [body for body in finished.values() if body["status"] != "succeeded"]
        self.check(
            f"{what}: every operation succeeded",
            not failed,
            f"{len(finished) - len(failed)} of {len(finished)} succeeded"
            + (f"; first error: {failed[0]['error']}" if failed else ""),
        )
        if failed:
            raise DemoFailure(f"{what}: {len(failed)} operations failed: {failed[0]['error']}")

    # ---------------------------------------------------------------- figures

    def run_operations(self) -> list[dict[str, Any]]:
        """Every operation of this run, from each organisation's own operations list."""
        rows: list[dict[str, Any]] = []
        for client in self.clients:
            new = self.call_count(client) - self.operation_counts_before.get(client.slug, 0)
            fetched: list[dict[str, Any]] = []
            while len(fetched) < new:
                page = client.call(
                    "GET",
                    "/operations",
                    params={"limit": min(500, new - len(fetched)), "offset": len(fetched)},
                )
                if not page["data"]:
                    break
                fetched += page["data"]
            rows += [{**row, "organisation": client.slug} for row in fetched]
        return rows


# ------------------------------------------------------------------- summary


def _summary(scenario: Scenario, console: Console, *, platform: Platform, elapsed_s: float) -> None:
    bsp_names = {b.slug: b.name for b in scenario.bsps}
    table = Table(title=f"PODs of this run (codes IT00xE{scenario.tag}...) per BSP and status")
    statuses = ["Registered", "Open", "UnderReview", "Verified", "Validated", "Rejected"]
    table.add_column("BSP")
    table.add_column("how")
    for status in statuses:
        table.add_column(status, justify="right")
    table.add_column("total", justify="right")
    counts: dict[str, Counter[str]] = {b.slug: Counter() for b in scenario.bsps}
    for plan in scenario.registered():
        status = scenario.final_pods.get(plan.pod_id or "", {}).get("status", "?")
        counts[plan.bsp.slug][status] += 1
    for number, bsp in enumerate(scenario.bsps):
        row = counts[bsp.slug]
        table.add_row(
            f"{bsp.slug} ({bsp_names[bsp.slug]})",
            "CSV mass load" if number == 0 else "one by one",
            *[str(row.get(s, 0)) for s in statuses],
            str(sum(row.values())),
        )
    console.print(table)

    rejected = Table(title="PODs rejected by the TSO, with reasons")
    rejected.add_column("POD")
    rejected.add_column("BSP")
    rejected.add_column("reasons")
    for plan in scenario.registered():
        pod = scenario.final_pods.get(plan.pod_id or "", {})
        if pod.get("status") == "Rejected":
            rejected.add_row(plan.code, plan.bsp.slug, "; ".join(pod.get("reasons") or []))
    console.print(rejected)

    uvams = Table(title="UVAMs")
    for column in (
        "UVAM",
        "BSP",
        "members",
        "members' flex up kW",
        "maximumQualifiedPower kW",
        "status",
        "reasons",
    ):
        uvams.add_column(column)
    for uvam in scenario.uvams:
        body = scenario.final_uvams.get(uvam.uvam_id or "", {})
        uvams.add_row(
            uvam.name,
            uvam.bsp.slug,
            str(len(uvam.members)),
            str(sum(p.body["maximumFlexUp"] for p in uvam.members)),
            str(uvam.body.get("maximumQualifiedPower", "")),
            body.get("status", "?"),
            "; ".join(body.get("reasons") or []),
        )
    console.print(uvams)

    checks = Table(title="Expected outcomes")
    checks.add_column("")
    checks.add_column("check")
    checks.add_column("observed")
    for item in scenario.checks:
        checks.add_row(
            "[green]ok[/green]" if item.ok else "[red]FAIL[/red]", item.what, item.detail
        )
    console.print(checks)

    operations = scenario.run_operations()
    by_kind = Counter(row["kind"] for row in operations)
    health = scenario.tso.call("GET", "/health")
    figures = Table(title="Run", show_header=False)
    figures.add_column("what")
    figures.add_column("value")
    figures.add_row(
        "operations (all organisations)",
        f"{len(operations)}  " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())),
    )
    figures.add_row("transactions", str(sum(len(r["transactionHashes"]) for r in operations)))
    figures.add_row("total gas", f"{sum(r['gasUsed'] or 0 for r in operations):,}")
    figures.add_row("chain", f"id {health['chainId']}, block height {health['block']}")
    figures.add_row("elapsed", f"{elapsed_s:.1f} s")
    figures.add_row("state (data folder)", str(platform.settings.data_dir.resolve()))
    figures.add_row("API tokens", str((platform.settings.data_dir / TOKENS_FILE).resolve()))
    figures.add_row(
        "API docs",
        f"{platform.api_url}/docs during the demo;"
        " `cbp up` serves them on http://127.0.0.1:8000/docs",
    )
    console.print(figures)


def run_demo(settings: Settings, *, pods: int, console: Console, market: bool = True) -> int:
    """Start the platform, run the scenario through the API, print a summary, stop.

    The scenario: registration and validation of PODs and UVAMs, then a P2P trading window
    with the operator's confirmations on the same platform; with ``market``, the market
    journey (bids, DSO check, clearing, activation, measurements) on a platform of its own.

    Returns 0 when every expected outcome happened, 1 otherwise, 2 on a bad argument.
    """
    from cli.market_demo import run_market_demo  # they build on this module's helpers
    from cli.p2p import run_window_demo

    if pods < MIN_DEMO_PODS:
        console.print(f"[red]error (pods):[/red] the demo needs at least {MIN_DEMO_PODS} PODs")
        return 2
    started = time.monotonic()
    console.print(f"Starting the platform on [bold]{settings.data_dir}[/bold] ...")
    with Platform(settings) as platform:
        fresh = not platform.is_initialised()
        tokens = ensure_initialised(platform)
        console.print(
            ("Created" if fresh else "Reusing")
            + f" TSO, 2 DSOs and 3 BSPs; chain {platform.stack.rpc_url},"
            f" broker {platform.stack.redis_url}"
        )
        platform.start_processes()
        console.print(f"API {platform.api_url} and a Celery worker are up")
        failure: str | None = None
        try:
            scenario = Scenario(platform.api_url, tokens, pods, console)
        except (DemoFailure, httpx.HTTPError, KeyError) as exc:
            console.print(f"[red]demo stopped:[/red] {type(exc).__name__}: {exc}")
            return 1
        try:
            scenario.run()
        except (DemoFailure, httpx.HTTPError, KeyError) as exc:
            failure = f"{type(exc).__name__}: {exc}"
        if failure is None:
            console.rule("P2P trading window")
            if run_window_demo(
                api_url=platform.api_url,
                operator_token=tokens["cpo-operator"],
                bsp_token=tokens["bsp-alpha"],
                out=console,
            ):
                failure = "the P2P trading window did not go as expected"
        try:
            _summary(scenario, console, platform=platform, elapsed_s=time.monotonic() - started)
        except (DemoFailure, httpx.HTTPError, KeyError) as exc:
            failure = failure or f"summary: {type(exc).__name__}: {exc}"
        finally:
            scenario.close()
    ok = failure is None and bool(scenario.checks) and all(c.ok for c in scenario.checks)
    if ok and market:
        console.rule("Market journey")
        ok = run_market_demo(console, settings) == 0
    if failure:
        console.print(f"[red]demo stopped:[/red] {failure}")
    console.print(
        ("[green]demo succeeded[/green]" if ok else "[red]demo failed[/red]")
        + f" in {time.monotonic() - started:.1f} s; the platform is stopped, its state stays in"
        f" {settings.data_dir}"
    )
    return 0 if ok else 1
