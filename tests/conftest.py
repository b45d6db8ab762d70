"""Shared fixtures: a real platform (Anvil, Redis, Celery worker, API) per database backend.

The PostgreSQL run is selected by ``CBP_TEST_POSTGRES_URL`` (``.ci/run`` sets it on machines
that have PostgreSQL); each run gets a fresh database that is dropped afterwards.
"""

from __future__ import annotations

import inspect
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from cli.world import (  # noqa: F401  (re-exported for the test packages)
    BSP_EICS,
    DSO1_EIC,
    DSO2_EIC,
    TERMINAL,
    TSO_EIC,
    World,
    build_world,
)

POSTGRES_URL = os.environ.get("CBP_TEST_POSTGRES_URL")
TESTS = Path(__file__).parent

#: The groups that start a platform (or several) and run longest, in the order they are handed
#: out to ``make test``'s pytest-xdist workers: the longest first, so that none starts last.
LONGEST_GROUPS = (
    "world-sqlite",
    "world-postgresql",
    "chains",
    "uftp",
    "settlement_ledger",
    "ui",
    "test_demo_and_bench",
    "engine",
)

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


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    assert POSTGRES_URL
    name = f"cbp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session", params=_database_urls())
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The running platform, once per database backend for the whole session."""
    backend = request.param
    database_url = request.getfixturevalue("postgres_database") if backend == "postgresql" else None
    yield from build_world(tmp_path_factory.mktemp(f"platform-{backend}"), backend, database_url)


def _group(item: pytest.Item) -> str:
    """The tests that share a platform run on one pytest-xdist worker, so that each platform
    starts once: those on this file's ``world`` by its backend, every other test package (or
    top-level module) as one group."""
    fixtures = getattr(item, "_fixtureinfo", None)
    definitions = fixtures.name2fixturedefs.get("world", ()) if fixtures else ()
    if definitions and inspect.getfile(definitions[-1].func) == __file__:
        return f"world-{item.callspec.params['world']}"  # type: ignore[attr-defined]
    parts = item.path.relative_to(TESTS).parts
    return parts[0] if len(parts) > 1 else item.path.stem


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its group (``--dist loadgroup`` keeps a group on one worker) and put
    the longest groups first; within a group the order stays pytest's (by fixture parameter)."""
    groups = {item: _group(item) for item in items}
    for item, group in groups.items():
        item.add_marker(pytest.mark.xdist_group(group))

    def rank(item: pytest.Item) -> int:
        group = groups[item]
        return LONGEST_GROUPS.index(group) if group in LONGEST_GROUPS else len(LONGEST_GROUPS)

    items.sort(key=rank)
