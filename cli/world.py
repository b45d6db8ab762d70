"""A running platform populated with organisations: a TSO, two DSOs, three BSPs and an
auditor, with their API tokens. The tests' ``world`` fixture and the fault suite build on it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cli.stack import Platform
from ledger.capabilities import CAPABILITIES
from ledger.core.chain.client import ChainClient
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.domain.identifiers import make_eic
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.registry import organisations

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
TSO_EIC = "10X1001A1001A345"
DSO1_EIC = "26X00000105128-9"
DSO2_EIC = make_eic("26XDSO-SECOND--")
BSP_EICS = {
    "bsp1": make_eic("21XBSP-ALPHA---"),
    "bsp2": make_eic("21XBSP-BRAVO---"),
    "bsp3": make_eic("21XBSP-CHARLIE-"),
}
TERMINAL = {"succeeded", "failed"}


@dataclass
class World:
    """A running platform with a TSO, two DSOs and three BSPs, and their API tokens."""

    platform: Platform
    runtime: Runtime
    tokens: dict[str, str]
    organisations: dict[str, Organisation]
    backend: str
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.platform.api_url

    def client(self, slug: str) -> httpx.Client:
        if slug not in self.clients:
            self.clients[slug] = httpx.Client(
                base_url=self.api_url,
                headers={"Authorization": f"Bearer {self.tokens[slug]}"},
                timeout=30.0,
            )
        return self.clients[slug]

    def eic(self, slug: str) -> str:
        return self.organisations[slug].eic

    def wait(self, slug: str, operation_id: str, *, timeout_s: float = 60.0) -> dict[str, Any]:
        """Poll an operation until it succeeded or failed."""
        client = self.client(slug)
        deadline = time.monotonic() + timeout_s
        while True:
            body: dict[str, Any] = client.get(f"/operations/{operation_id}").json()
            if body["status"] in TERMINAL or time.monotonic() > deadline:
                return body
            time.sleep(0.05)

    def wait_for_status(
        self, slug: str, path: str, statuses: set[str], *, timeout_s: float = 60.0
    ) -> dict[str, Any]:
        """Poll a resource (``/pods/<id>``) until its status is one of ``statuses``."""
        client = self.client(slug)
        deadline = time.monotonic() + timeout_s
        while True:
            body: dict[str, Any] = client.get(path).json()
            if body.get("status") in statuses or time.monotonic() > deadline:
                return body
            time.sleep(0.05)

    @property
    def chain(self) -> ChainClient:
        return self.runtime.chain


def build_world(
    tmp: Path, backend: str, database_url: str | None, **overrides: Any
) -> Iterator[World]:
    """Start a platform and its organisations; ``overrides`` change its settings.

    Each platform has a Celery queue of its own, so several can share one Redis database.
    """
    defaults: dict[str, Any] = {
        "redis_url": DEFAULT_REDIS_URL,
        "keystore_password": "test-password",
        "queue": f"chain-{uuid.uuid4().hex[:8]}",
    }
    settings = Settings(data_dir=tmp, database_url=database_url, **{**defaults, **overrides})
    platform = Platform(settings, worker_concurrency=2)
    with platform.start_services():
        client_settings = platform.settings_for_clients()
        runtime = Runtime(
            settings=client_settings,
            rpc_url=platform.stack.rpc_url,
            dispatcher=RecordingDispatcher(),
            capabilities=CAPABILITIES,
        )
        tokens: dict[str, str] = {}
        orgs: dict[str, Organisation] = {}
        with runtime.session() as session:
            funder = client_settings.funder_key
            orgs["tso"] = organisations.init_platform(
                client_settings,
                session,
                runtime.connect(),
                slug="tso",
                name="Terna",
                eic=TSO_EIC,
                funder_key=funder,
            )
            members = [
                ("dso1", Role.DSO, DSO1_EIC),
                ("dso2", Role.DSO, DSO2_EIC),
                *[(slug, Role.BSP, eic) for slug, eic in BSP_EICS.items()],
                ("auditor", Role.AUDITOR, make_eic("10XARERA-AUDIT-")),
            ]
            # one round for all of them: transfers and grants sent at once, awaited together
            added = organisations.add_organisations(
                runtime,
                session,
                [
                    organisations.NewOrganisation(slug, slug.upper(), role, eic)
                    for slug, role, eic in members
                ],
                funder_key=funder,
            )
            orgs.update({organisation.id: organisation for organisation in added})
            for slug, organisation in orgs.items():
                tokens[slug] = organisations.issue_token(session, organisation, label="tests")
        platform.start_processes()
        world = World(
            platform=platform, runtime=runtime, tokens=tokens, organisations=orgs, backend=backend
        )
        yield world
        for client in world.clients.values():
            client.close()


def build_external_world(
    tmp: Path, rpc_url: str, funder_key: str, **overrides: Any
) -> Iterator[World]:
    """A world on a chain node the platform did not start, reached as a deployment reaches its
    network: ``CBP_RPC_URL`` and ``CBP_FUNDER_KEY`` (SQLite database)."""
    yield from build_world(tmp, "sqlite", None, rpc_url=rpc_url, funder_key=funder_key, **overrides)
