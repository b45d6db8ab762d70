"""What the set-up hands the generator process: where the API is, whose tokens, which
resources to bid and upload for, and the steps to run. Written as JSON, read by the runner."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class BspAssets:
    """One BSP's qualified UVAM (admitted to the market) and the flex devices of its POD."""

    slug: str
    eic: str
    uvam_id: str
    uvam_kw: int
    device_ids: list[str]


@dataclass
class Plan:
    api_url: str
    tokens: dict[str, str]
    """API token per organisation slug."""
    tso_eic: str
    dso_eics: list[str]
    bsps: list[BspAssets]
    product_id: str
    rates: list[float]
    step_s: float
    seed: int = 1
    poisson: bool = True
    mass_load_rows: int = 20
    readings_per_device: int = 60
    pod_ids: dict[str, list[str]] = field(default_factory=dict)
    """Confirmed PODs of each BSP, which its reads ask for."""
    bid_ids: dict[str, list[str]] = field(default_factory=dict)
    """Confirmed bids of each BSP, which its reads ask for."""
    operation_ids: dict[str, list[str]] = field(default_factory=dict)
    """Set-up operations of each BSP, which its reads ask for until the load's own exist."""
    backlog_orgs: list[str] = field(default_factory=list)
    """Organisations whose unfinished operations make the backlog (their follow-ups too)."""
    backlog_interval_s: float = 2.0
    drain_timeout_s: float = 180.0
    request_timeout_s: float = 60.0
    p99_bound_s: float = 2.0
    stop_after_saturated_steps: int = 1
    """Stop early once this many steps in a row are saturated (0: run every rate)."""

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Plan:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        data["bsps"] = [BspAssets(**item) for item in data["bsps"]]
        return cls(**data)
