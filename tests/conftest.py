"""Shared fixtures: a real platform (Anvil, Redis, Celery worker, API) per database backend.

The PostgreSQL run is selected by ``CBP_TEST_POSTGRES_URL`` (``.ci/run`` sets it on machines
that have PostgreSQL); each run gets a fresh database that is dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from cli.world import (  # noqa: F401  (re-exported for the test packages)
    BSP_EICS,
    DSO1_EIC,
    DSO2_EIC,
    TERMINAL,
    TSO_EIC,
    World,
    build_world,
)
from faults.harness import scratch_postgres_database

POSTGRES_URL = os.environ.get("CBP_TEST_POSTGRES_URL")

# Properties are checked on what they compute, not on how long a 2-core machine shared with
# platforms and chains takes to generate or run an example: no per-example deadline.
settings.register_profile(
    "cbp", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("cbp")


def _database_urls() -> list[Any]:
    backends = [pytest.param("sqlite", id="sqlite")]
    backends.append(
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="CBP_TEST_POSTGRES_URL not set"),
        )
    )
    return backends


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty database on ``CBP_TEST_POSTGRES_URL``'s server, dropped after."""
    assert POSTGRES_URL
    with scratch_postgres_database(POSTGRES_URL, prefix="cbp_test") as name:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session", params=_database_urls())
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The running platform, once per database backend for the whole session."""
    backend = request.param
    database_url = request.getfixturevalue("postgres_database") if backend == "postgresql" else None
    yield from build_world(tmp_path_factory.mktemp(f"platform-{backend}"), backend, database_url)
