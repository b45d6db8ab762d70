"""The read-only audit API (its router is included by api/app.py; here on its own app)."""

from __future__ import annotations

import warnings

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette's notice about httpx versions, not about this code
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.routes import audit
from ledger.indexer import index_once
from tests.indexer.scenario import Scenario

pytestmark = pytest.mark.stack


@pytest.fixture
def client(world) -> TestClient:
    app: FastAPI = create_app(world.runtime)
    if not any(getattr(r, "path", "").startswith("/audit") for r in app.routes):
        app.include_router(audit.router)
    return TestClient(app)


def get(client: TestClient, world, slug: str, path: str, **params: str):
    return client.get(
        path, params=params, headers={"Authorization": f"Bearer {world.tokens[slug]}"}
    )


def test_auditor_reads_history_events_and_verification(client, world, scenario: Scenario):
    index_once(world.runtime)
    body = get(client, world, "auditor", f"/audit/history/{scenario.pod_id}").json()
    assert [e["event"] for e in body["data"]] == [e for e, _, _, _ in Scenario.POD_EVENTS]
    assert body["count"] == len(Scenario.POD_EVENTS)

    body = get(client, world, "auditor", "/audit/events", organisation="dso1", kind="pod").json()
    assert body["count"] > 0
    assert {row["actor"] for row in body["data"]} == {"dso1"}

    assert get(client, world, "tso", "/audit/verify").json() == {"data": [], "count": 0}


def test_other_roles_may_not_audit(client, world, scenario: Scenario):
    response = get(client, world, "bsp1", f"/audit/history/{scenario.pod_id}")
    assert response.status_code == 403
    assert get(client, world, "dso1", "/audit/verify").status_code == 403
