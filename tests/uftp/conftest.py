"""The UFTP tests' stack: a platform of their own (they move its clock, as the settlement tests
do), the platform's UFTP endpoint (``cbp uftp serve``, a process) and an aggregator's UFTP system
(``aggregator.py``, another process) registered as the UFTP participant of bsp1.

bsp1 has two qualified UVAMs of one dso1 POD (40 kW up/down, an EV charger each): ``accept``
offers on product ``accept`` and accepts its settlements, ``dispute`` offers on product
``dispute`` and disputes them. The products close their gate 300 s before delivery.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from cli.world import World, build_world
from ledger.core.chain.anvil import free_port
from ledger.core.settings import PROJECT_ROOT
from ledger.uftp import keys, participants
from ledger.uftp.tables import UftpMessage
from tests.market import flows

AGR_DOMAIN = "agr.bsp1.test"
OFFER_AMOUNT = "0.5000"  # EUR for 40 kW over one ISP: 10 kWh at 50 EUR/MWh
DISPUTE_REASON = "our meters read 12 kW, not 10 kW"
#: Instant mining by default (the suite's time); ``CBP_TEST_UFTP_BLOCK_TIME_S=1`` runs the same
#: tests on a chain with a block every second, as production chains mine (docs/uftp.md).
BLOCK_TIME_S = int(os.environ.get("CBP_TEST_UFTP_BLOCK_TIME_S", "0"))


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(
        tmp_path_factory.mktemp("platform-uftp"),
        "sqlite",
        None,
        settlement_grace_s=1800,
        settlement_tolerance_relative=Decimal("0.02"),
        settlement_tolerance_wh=20,
        chain_block_time_s=BLOCK_TIME_S,
    )


@dataclass
class Uftp:
    """The running UFTP participants and what the aggregator has received."""

    world: World
    endpoint: str
    platform_domain: str
    agr_keys: keys.KeyPair
    log: Path
    products: dict[str, str]
    uvams: dict[str, str]
    pods: dict[str, str]
    devices: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def received(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for(self, kind: str, timeout_s: float = 30, **match: Any) -> dict[str, Any]:
        """The first message of type ``kind`` the aggregator received whose fields match."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for entry in self.received():
                if entry["type"] == kind and all(entry.get(k) == v for k, v in match.items()):
                    return entry
            time.sleep(0.05)
        raise AssertionError(f"the aggregator received no {kind} with {match}")

    def stored(self, message_id: str) -> list[UftpMessage]:
        with self.world.runtime.session() as session:
            return list(
                session.exec(select(UftpMessage).where(UftpMessage.message_id == message_id)).all()
            )


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(command, env=env, stdout=handle, stderr=handle, cwd=PROJECT_ROOT)


@pytest.fixture(scope="package")
def uftp(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Uftp]:
    tmp = tmp_path_factory.mktemp("uftp")
    products = {
        name: flows.product(
            world, flows.unique_product(name.upper()[:8]), gate_closure_s=300, ack_s=600
        )
        for name in ("accept", "dispute", "refuse")
    }
    uvams, pods, devices = {}, {}, {}
    for name in ("accept", "dispute"):
        made: list[str] = []
        zone = f"ZU-{uuid.uuid4().hex[:6]}"
        uvams[name], [pods[name]] = flows.qualified_uvam(
            world, "bsp1", [("dso1", 40, 40, zone)], up_kw=40, down_kw=40, devices=made
        )
        devices[name] = made[0]
        flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvams[name]}"))

    settings = world.platform.settings
    platform_keys = keys.load_or_create(settings.uftp_key_file)
    agr_keys = keys.generate()
    gateway_port, agr_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{gateway_port}/shapeshifter/api/v3/message"
    with world.runtime.session() as session:
        participants.add_participant(
            session,
            domain=AGR_DOMAIN,
            role="AGR",
            organisation_id="bsp1",
            public_key=agr_keys.public_key,
            endpoint=f"http://127.0.0.1:{agr_port}/shapeshifter/api/v3/message",
        )
    log = tmp / "received.jsonl"
    config = {
        "domain": AGR_DOMAIN,
        "port": agr_port,
        "signing_key": agr_keys.secret_key,
        "platform": {
            "domain": settings.uftp_domain,
            "public_key": platform_keys.public_key,
            "endpoint": endpoint,
        },
        "log": str(log),
        "offers": {
            uvams[name]: {"product": products[name], "amount": OFFER_AMOUNT}
            for name in ("accept", "dispute")
        },
        "settle": {
            uvams["accept"]: {"disposition": "Accepted"},
            uvams["dispute"]: {"disposition": "Disputed", "reason": DISPUTE_REASON},
        },
    }
    config_path = tmp / "aggregator.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")

    env = {**world.platform.environment(), "CBP_UFTP_OUTBOX_EVERY_S": "0.2"}
    running = Uftp(
        world=world,
        endpoint=endpoint,
        platform_domain=settings.uftp_domain,
        agr_keys=agr_keys,
        log=log,
        products=products,
        uvams=uvams,
        pods=pods,
        devices=devices,
    )
    logs = settings.data_dir / "logs"
    try:
        gateway = _spawn(
            [sys.executable, "-m", "cli.main", "uftp", "serve", "--port", str(gateway_port)],
            env,
            logs / "uftp.log",
        )
        running.processes.append(gateway)
        aggregator = _spawn(
            [sys.executable, str(Path(__file__).with_name("aggregator.py")), str(config_path)],
            env,
            logs / "aggregator.log",
        )
        running.processes.append(aggregator)
        _wait_for_port(gateway_port, gateway, logs / "uftp.log")
        _wait_for_port(agr_port, aggregator, logs / "aggregator.log")
        yield running
    finally:
        for process in running.processes:
            process.terminate()
        for process in running.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
