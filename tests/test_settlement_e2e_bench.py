"""``cbp bench settlement`` on a tiny world (20 PODs, one UVAM), for real (Anvil, Redis, API,
Celery worker, block follower): the results, never the timings."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from rich.console import Console

from cli.settlement_e2e import run_settlement_e2e

pytestmark = pytest.mark.stack


def test_settles_end_to_end_and_matches_the_pure_computation() -> None:
    figures = run_settlement_e2e(
        pods=20, pods_per_upload=10, console=Console(record=True, width=160)
    )
    assert figures["uvams"] == 1
    assert figures["activations"] == 1
    assert figures["readings"] == 20 * 1440
    assert figures["uploadFiles"] == 2
    assert figures["recordsOnChain"] == 1  # the hash read back from SettlementLedger matched
    # The platform's settlement and the in-process computation over the same readings agree.
    assert figures["deliveredWh"]["platform"] == figures["deliveredWh"]["pure"] > 0
    assert Decimal(figures["netEur"]["platform"]) == Decimal(figures["netEur"]["pure"])
    for value in figures["seconds"].values():
        assert math.isfinite(value)
        assert value > 0
