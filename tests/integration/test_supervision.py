"""A platform process that dies on its own is started again (as systemd would in production)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from faults.harness import children_of
from tests.integration.flows import register_pod, set_pod_status


def _replacement(world: Any, marker: str, dead_pid: int, timeout_s: float = 30.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        process = world.platform.process_named(marker)
        if process.pid != dead_pid and process.poll() is None:
            return int(process.pid)
        time.sleep(0.2)
    raise AssertionError(f"no {marker} process came back within {timeout_s} s")


def test_a_crashed_worker_and_follower_are_started_again_and_writes_go_on(world: Any) -> None:
    for marker in ("celery", "chain follow"):
        process = world.platform.process_named(marker)
        for child in children_of(process.pid):
            os.kill(child, signal.SIGKILL)
        os.kill(process.pid, signal.SIGKILL)
        assert _replacement(world, marker, process.pid) != process.pid
    pod_id = register_pod(world, "bsp1")
    assert set_pod_status(world, "bsp1", pod_id, "Open")["operation"]["status"] == "succeeded"
