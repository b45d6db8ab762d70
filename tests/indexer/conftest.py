"""Fixtures of the indexer tests: the known scenario on the shared platform, a scratch chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.audit.scratch import ScratchPlatform, scratch_platform
from tests.indexer.scenario import Scenario, run_scenario


@pytest.fixture(scope="session")
def scenario(world) -> Scenario:  # type: ignore[no-untyped-def]
    return run_scenario(world)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[ScratchPlatform]:
    """A platform on its own Anvil: reorganisations here never disturb the shared world."""
    with scratch_platform(tmp_path) as platform:
        yield platform
