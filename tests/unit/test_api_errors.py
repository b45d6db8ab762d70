"""Overload is answered 503 with a retry hint, never 500: an exhausted connection pool (what the
load generator first found past saturation) and an oversized body before it is read."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.to_thread
from fastapi.testclient import TestClient
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.app import create_app
from api.limits import MAX_JSON_BODY_BYTES
from ledger.db.engine import POOL_OVERFLOW, POOL_SIZE


def _client() -> TestClient:
    app = create_app(runtime=None)  # type: ignore[arg-type]  (the routes below need none)

    @app.get("/busy")
    def busy() -> Any:
        raise PoolTimeout("QueuePool limit of size 10 overflow 40 reached")

    @app.post("/echo")
    def echo(body: dict[str, Any]) -> Any:
        return body

    return TestClient(app)


def test_an_exhausted_connection_pool_answers_503_with_retry_after() -> None:
    response = _client().get("/busy")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert response.headers["Retry-After"] == "1"


def test_the_pool_holds_more_connections_than_the_api_has_threads() -> None:
    async def threads() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert anyio.run(threads) < POOL_SIZE + POOL_OVERFLOW


def test_a_declared_oversized_body_is_refused_unread() -> None:
    response = _client().post(
        "/echo",
        content=b"{}",
        headers={
            "Content-Type": "application/json",
            "Content-Length": str(MAX_JSON_BODY_BYTES + 1),
        },
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
