"""Tasks a dead worker or a restarted broker left unacknowledged come back soon after the
visibility timeout: kombu sweeps for them every tenth of it (1 to 10 s) on every call, not
every 10th call of a 10 s timer (up to 100 s late)."""

from __future__ import annotations

import pytest

from ledger.core.settings import Settings
from workers.app import create_app, restore_sweep_s


@pytest.mark.parametrize(("visibility_s", "sweep_s"), [(300, 10), (20, 2), (5, 1), (3600, 10)])
def test_the_sweep_follows_the_visibility_timeout(visibility_s: int, sweep_s: int) -> None:
    settings = Settings(
        redis_url="redis://127.0.0.1:6379/7", queue="unit", broker_visibility_timeout_s=visibility_s
    )
    options = create_app(settings).conf.broker_transport_options
    assert options["visibility_timeout"] == visibility_s
    assert options["unacked_restore_interval"] == sweep_s == restore_sweep_s(visibility_s)
    assert options["unacked_restore_throttle"] == 1
    # a task comes back at most one sweep after its visibility timeout
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= max(
        1, visibility_s // 10
    )
