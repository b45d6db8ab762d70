"""The platform's clock: one per runtime, made from the settings; a simulated clock follows an
offset another process writes, at once, without reading the file when it has not changed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ledger.capabilities import CAPABILITIES
from ledger.core.clock import OFFSET_FILE, SimulatedClock, WallClock, clock_for
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings


def test_the_simulated_clock_follows_an_offset_written_by_another_process(
    tmp_path: Path,
) -> None:
    reader, writer = SimulatedClock(tmp_path), SimulatedClock(tmp_path)
    assert abs(reader.now() - time.time()) <= 1
    writer.set_offset(3600)
    assert reader.offset_s() == 3600
    writer.set_offset(7200)  # within the same second: the replaced file is a new one
    assert reader.offset_s() == 7200
    assert abs(reader.now() - 7200 - time.time()) <= 1
    (tmp_path / OFFSET_FILE).unlink()
    assert reader.offset_s() == 0


def test_an_unchanged_offset_file_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = SimulatedClock(tmp_path)
    clock.set_offset(60)
    assert clock.offset_s() == 60
    reads: list[Path] = []
    original = Path.read_text

    def counted(path: Path, *args: object, **kwargs: object) -> str:
        reads.append(path)
        return original(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", counted)
    for _ in range(100):
        clock.now()
    assert reads == []
    SimulatedClock(tmp_path).set_offset(120)
    assert clock.offset_s() == 120
    assert len(reads) == 1


def test_the_runtime_makes_its_clock_from_the_settings(tmp_path: Path) -> None:
    def runtime(settings: Settings) -> Runtime:
        return Runtime(
            settings=settings,
            rpc_url="http://127.0.0.1:1",
            dispatcher=RecordingDispatcher(),
            capabilities=CAPABILITIES,
        )

    SimulatedClock(tmp_path).set_offset(3600)
    simulated = runtime(Settings(data_dir=tmp_path)).clock
    assert isinstance(simulated, SimulatedClock)
    assert simulated.now() - time.time() >= 3599
    wall = runtime(Settings(data_dir=tmp_path, simulated_time=False)).clock
    assert isinstance(wall, WallClock)
    assert abs(wall.now() - time.time()) <= 1
    assert isinstance(clock_for(Settings(data_dir=tmp_path, simulated_time=False)), WallClock)
