"""Overload is answered 503 with a retry hint, never 500 and never silence: an exhausted
connection pool (what the load generator first found past saturation), requests beyond the
in-flight cap; and an oversized body is refused before it is read."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.app import create_app
from api.limits import MAX_JSON_BODY_BYTES
from ledger.core.db.engine import POOL_OVERFLOW, POOL_SIZE
from ledger.core.settings import Settings

T = TypeVar("T")


def _app(**settings: Any) -> FastAPI:
    """The platform's app with test routes; they need no database, chain or broker."""
    runtime = SimpleNamespace(settings=Settings(**settings))
    return create_app(runtime)  # type: ignore[arg-type]


def _in_a_fresh_thread(run: Callable[[], T]) -> T:
    """Run an event loop in a thread of its own: the browser tests of the same session leave
    one running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _client() -> TestClient:
    app = _app()

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

    assert _in_a_fresh_thread(lambda: anyio.run(threads)) < POOL_SIZE + POOL_OVERFLOW


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


def test_requests_beyond_the_in_flight_cap_are_answered_503_at_once() -> None:
    app = _app(api_max_in_flight=2)
    release = asyncio.Event()

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await release.wait()
        return {"done": True}

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            held = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
            await asyncio.sleep(0.05)
            shed = await client.get("/slow")
            assert shed.headers["Retry-After"] == "1"
            release.set()
            statuses = [shed.status_code] + [(await task).status_code for task in held]
            after = await client.get("/slow")  # the slots are free again
            return [*statuses, after.status_code]

    assert _in_a_fresh_thread(lambda: asyncio.run(scenario())) == [503, 200, 200, 200]
