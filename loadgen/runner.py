"""``python -m loadgen.runner PLAN RESULT``: the load generator, a process of its own.

It talks to the platform over loopback HTTP only. Each step sends its requests at their
scheduled times (open loop: a request never waits for an earlier answer), samples the operations
backlog (``GET /operations?status=accepted|submitted`` of every organisation concerned) while the
steps run, then waits for the backlog to drain and reads back the final status of every
operation it started. Everything raw goes to RESULT as JSON; the analysis is the parent's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import deque
from pathlib import Path
from typing import Any

import httpx

from loadgen import bodies, mix
from loadgen.plan import BspAssets, Plan
from loadgen.stats import Bounds, Record, StepWindow, saturation_flags, summarise_step, to_json

UNFINISHED = ("accepted", "submitted")
RECENT_OPERATIONS = 200


class Runner:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
        self.clients = {
            slug: httpx.AsyncClient(
                base_url=plan.api_url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=plan.request_timeout_s,
                limits=limits,
            )
            for slug, token in plan.tokens.items()
        }
        self.records: list[Record] = []
        self.operations: list[tuple[str, str]] = []
        self.recent: dict[str, deque[str]] = {
            bsp.slug: deque(plan.operation_ids.get(bsp.slug, []), maxlen=RECENT_OPERATIONS)
            for bsp in plan.bsps
        }
        self.backlog: list[tuple[float, int]] = []
        self.windows: list[StepWindow] = []
        self.in_flight: set[asyncio.Task[None]] = set()
        self.sampling = True

    # ------------------------------------------------------------------ one request

    async def _send(self, arrival: mix.Arrival, bsp: BspAssets) -> httpx.Response:
        plan, seq, client = self.plan, arrival.sequence, self.clients[bsp.slug]
        now = int(time.time())
        endpoint = arrival.endpoint
        if endpoint == mix.POD_REGISTER:
            return await client.post("/pods", json=bodies.pod_body(plan, bsp, seq))
        if endpoint == mix.POD_MASS_LOAD:
            data = bodies.mass_load_csv(plan, bsp, seq, plan.mass_load_rows)
            return await client.post(
                "/pods/mass-load", files={"file": (f"load-{seq}.csv", data, "text/csv")}
            )
        if endpoint == mix.BID_SUBMIT:
            return await client.post("/market/bids", json=bodies.bids_body(plan, bsp, seq, now))
        if endpoint == mix.MEASUREMENTS_JSON:
            body = bodies.measurements_json(plan, bsp, seq, now)
            return await client.post("/market/measurements", json=body)
        if endpoint == mix.MEASUREMENTS_CSV:
            data = bodies.measurements_csv(plan, bsp, seq, now)
            return await client.post(
                "/market/measurements/csv",
                files={"file": (f"readings-{seq}.csv", data, "text/csv")},
                data={"kind": "device", "resolutionSeconds": str(bodies.READING_STEP_S)},
            )
        if endpoint == mix.POD_LIST:
            return await client.get("/pods", params={"limit": 50})
        if endpoint == mix.POD_DETAIL:
            pods = plan.pod_ids[bsp.slug]
            return await client.get(f"/pods/{pods[seq % len(pods)]}")
        if endpoint == mix.OPERATION_GET:
            recent = self.recent[bsp.slug]
            return await client.get(f"/operations/{recent[seq % len(recent)]}")
        if endpoint == mix.BID_LIST:
            return await client.get("/market/bids", params={"limit": 50})
        if endpoint == mix.BID_DETAIL:
            bids = plan.bid_ids[bsp.slug]
            return await client.get(f"/market/bids/{bids[seq % len(bids)]}")
        raise ValueError(f"unknown endpoint {endpoint}")

    async def fire(self, step: int, arrival: mix.Arrival, due: float, due_wall: float) -> None:
        loop = asyncio.get_running_loop()
        bsp = bodies.bsp_for(self.plan, arrival.sequence)
        sent = loop.time()
        record = Record(step, arrival.endpoint, bsp.slug, due_wall, lag_s=sent - due)
        self.records.append(record)
        try:
            response = await self._send(arrival, bsp)
        except httpx.HTTPError as exc:
            record.error = f"{type(exc).__name__}: {exc}"[:300]
            return
        answered = loop.time()
        record.latency_s = answered - due
        record.service_s = answered - sent
        record.status = response.status_code
        if response.status_code == 202:
            operation_id = response.json().get("operationId")
            if operation_id:
                record.operation_id = operation_id
                self.operations.append((bsp.slug, operation_id))
                self.recent[bsp.slug].append(operation_id)
        elif response.status_code >= 400:
            record.error = response.text[:300]

    # ------------------------------------------------------------------ steps

    async def run_step(self, index: int, rate: float, first_sequence: int) -> int:
        plan = self.plan
        loop = asyncio.get_running_loop()
        arrivals = mix.schedule(
            rate,
            plan.step_s,
            seed=plan.seed * 1000 + index,
            poisson=plan.poisson,
            first_sequence=first_sequence,
        )
        start, start_wall = loop.time(), time.time()
        for arrival in arrivals:
            delay = start + arrival.at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(
                self.fire(index, arrival, start + arrival.at, start_wall + arrival.at)
            )
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        remaining = start + plan.step_s - loop.time()
        if remaining > 0:
            await asyncio.sleep(remaining)
        end_wall = start_wall + (loop.time() - start)
        self.windows.append(
            StepWindow(index, rate, start_wall, end_wall, len(arrivals), len(self.in_flight))
        )
        return first_sequence + len(arrivals)

    def saturated(self) -> bool:
        """Whether the step just run looks saturated (for stopping early); prints its figures."""
        window = self.windows[-1]
        step = summarise_step(window, self.records, self.backlog)
        flags = saturation_flags(step, Bounds(p99_s=self.plan.p99_bound_s))
        overall = step.latency.get("all")
        p99 = f"{overall.p99 * 1000:.0f} ms" if overall else "-"
        print(
            f"[loadgen]   offered {step.offered_per_s:.1f}/s, achieved {step.achieved_per_s:.1f}/s,"
            f" p99 {p99}, backlog {step.backlog_start}->{step.backlog_end},"
            f" answers {step.statuses}; {'; '.join(flags) or 'keeps up'}",
            flush=True,
        )
        return bool(flags)

    # ------------------------------------------------------------------ backlog

    async def backlog_now(self) -> int | None:
        async def count(slug: str, status: str) -> int:
            response = await self.clients[slug].get(
                "/operations", params={"status": status, "limit": 1}
            )
            response.raise_for_status()
            return int(response.json()["count"])

        try:
            counts = await asyncio.gather(
                *(count(slug, status) for slug in self.plan.backlog_orgs for status in UNFINISHED)
            )
        except httpx.HTTPError:
            return None
        return sum(counts)

    async def sample_backlog(self) -> None:
        while self.sampling:
            value = await self.backlog_now()
            if value is not None:
                self.backlog.append((time.time(), value))
            await asyncio.sleep(self.plan.backlog_interval_s)

    async def drain(self) -> dict[str, Any]:
        """Wait for the answers still due, then for the backlog to empty."""
        started = time.monotonic()
        if self.in_flight:
            await asyncio.wait(set(self.in_flight), timeout=self.plan.request_timeout_s + 5)
        zero_in_a_row = 0
        value: int | None = None
        while time.monotonic() - started < self.plan.drain_timeout_s:
            value = await self.backlog_now()
            if value is not None:
                self.backlog.append((time.time(), value))
            zero_in_a_row = zero_in_a_row + 1 if value == 0 else 0
            if zero_in_a_row >= 2:
                break
            await asyncio.sleep(0.5)
        return {"seconds": time.monotonic() - started, "backlogAtEnd": value}

    async def final_statuses(self) -> dict[str, dict[str, Any]]:
        """The status of every operation the load started, read back page by page."""
        wanted: dict[str, set[str]] = {}
        for slug, operation_id in self.operations:
            wanted.setdefault(slug, set()).add(operation_id)
        found: dict[str, dict[str, Any]] = {}
        for slug, ids in wanted.items():
            offset, count = 0, 1
            while offset < count and not ids <= found.keys():
                page = await self._page(slug, offset)
                if page is None:
                    break  # the ids not found stay "missing"
                count = page["count"]
                for item in page["data"]:
                    if item["operationId"] in ids:
                        found[item["operationId"]] = {
                            "status": item["status"],
                            "kind": item["kind"],
                            "error": item["error"],
                        }
                offset += 500
        return found

    async def _page(self, slug: str, offset: int, attempts: int = 3) -> dict[str, Any] | None:
        """One page of ``GET /operations``, retried: a platform pushed past saturation may
        still be working through abandoned requests."""
        for _ in range(attempts):
            try:
                response = await self.clients[slug].get(
                    "/operations", params={"limit": 500, "offset": offset}, timeout=120.0
                )
                if response.status_code == 200:
                    page: dict[str, Any] = response.json()
                    return page
            except httpx.HTTPError:
                pass
            await asyncio.sleep(2.0)
        return None

    # ------------------------------------------------------------------ the run

    async def run(self) -> dict[str, Any]:
        sampler = asyncio.create_task(self.sample_backlog())
        sequence, saturated_in_a_row, stopped_early = 0, 0, False
        started = time.time()
        try:
            for index, rate in enumerate(self.plan.rates):
                print(
                    f"[loadgen] step {index}: {rate:g} req/s for {self.plan.step_s:g} s", flush=True
                )
                sequence = await self.run_step(index, rate, sequence)
                saturated_in_a_row = saturated_in_a_row + 1 if self.saturated() else 0
                limit = self.plan.stop_after_saturated_steps
                if limit and saturated_in_a_row >= limit and index + 1 < len(self.plan.rates):
                    stopped_early = True
                    print(f"[loadgen] {limit} saturated steps in a row: stopping", flush=True)
                    break
            self.sampling = False
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            print(f"[loadgen] draining {len(self.operations)} operations ...", flush=True)
            drain = await self.drain()
            operations = await self.final_statuses()
        finally:
            for client in self.clients.values():
                await client.aclose()
        return {
            "startedAt": started,
            "stoppedEarly": stopped_early,
            "windows": [to_json(w) for w in self.windows],
            "records": [to_json(r) for r in self.records],
            "backlog": self.backlog,
            "drain": drain,
            "operations": {
                operation_id: operations.get(operation_id, {"status": "missing"})
                for _, operation_id in self.operations
            },
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadgen.runner", description=__doc__)
    parser.add_argument("plan", type=Path)
    parser.add_argument("result", type=Path)
    args = parser.parse_args(argv)
    result = asyncio.run(Runner(Plan.load(args.plan)).run())
    args.result.write_text(json.dumps(result) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
