"""The request mix and the open-loop schedule: when each request of a step is due, and which.

Pure: no I/O. A step at ``rate`` requests per second for ``duration_s`` seconds is a list of
:class:`Arrival` (offset from the step's start, endpoint, a run-wide sequence number that makes
each request's body unique). The runner sends each at its offset whatever happened to the ones
before (open loop), so a slow platform shows up as latency and backlog, not as fewer requests.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

POD_REGISTER: Final = "POST /pods"
POD_MASS_LOAD: Final = "POST /pods/mass-load"
BID_SUBMIT: Final = "POST /market/bids"
MEASUREMENTS_JSON: Final = "POST /market/measurements"
MEASUREMENTS_CSV: Final = "POST /market/measurements/csv"
POD_LIST: Final = "GET /pods"
POD_DETAIL: Final = "GET /pods/{id}"
OPERATION_GET: Final = "GET /operations/{id}"
BID_LIST: Final = "GET /market/bids"
BID_DETAIL: Final = "GET /market/bids/{id}"

WRITES: Final = (POD_REGISTER, POD_MASS_LOAD, BID_SUBMIT, MEASUREMENTS_JSON, MEASUREMENTS_CSV)
READS: Final = (POD_LIST, POD_DETAIL, OPERATION_GET, BID_LIST, BID_DETAIL)

#: Relative weights (per 100 requests): about 40 % writes, 60 % reads, as BSP systems that
#: register and bid and poll what they sent, and dashboards that list.
DEFAULT_MIX: Final[Mapping[str, int]] = {
    POD_REGISTER: 14,
    POD_MASS_LOAD: 3,
    BID_SUBMIT: 14,
    MEASUREMENTS_JSON: 4,
    MEASUREMENTS_CSV: 3,
    POD_LIST: 14,
    POD_DETAIL: 14,
    OPERATION_GET: 14,
    BID_LIST: 10,
    BID_DETAIL: 10,
}


@dataclass(frozen=True)
class Arrival:
    at: float
    """Seconds after the step's start when the request is due."""
    endpoint: str
    sequence: int
    """Run-wide number of the request (unique POD codes, which BSP sends it, ...)."""


def arrival_offsets(
    rate: float, duration_s: float, *, poisson: bool, rng: random.Random
) -> list[float]:
    """Due times in ``[0, duration_s)``: evenly spaced, or a Poisson process of that rate."""
    if rate <= 0 or duration_s <= 0:
        return []
    if not poisson:
        count = round(rate * duration_s)
        return [index / rate for index in range(count)]
    offsets: list[float] = []
    at = rng.expovariate(rate)
    while at < duration_s:
        offsets.append(at)
        at += rng.expovariate(rate)
    return offsets


def weighted_sequence(weights: Mapping[str, int], count: int, *, skip: int = 0) -> list[str]:
    """``count`` endpoints interleaved in proportion to ``weights`` (smooth weighted round
    robin: every block of ``sum(weights)`` picks from the first holds each endpoint exactly its
    weight times). ``skip`` continues a sequence: the picks after the first ``skip``."""
    active = {name: weight for name, weight in weights.items() if weight > 0}
    if not active:
        raise ValueError("the mix has no endpoint with a positive weight")
    total = sum(active.values())
    current = dict.fromkeys(active, 0)
    picks: list[str] = []
    for _ in range(skip + count):
        for name, weight in active.items():
            current[name] += weight
        chosen = max(current, key=lambda name: current[name])
        current[chosen] -= total
        picks.append(chosen)
    return picks[skip:]


def schedule(
    rate: float,
    duration_s: float,
    mix: Mapping[str, int] = DEFAULT_MIX,
    *,
    seed: int = 0,
    poisson: bool = True,
    first_sequence: int = 0,
) -> list[Arrival]:
    """The arrivals of one step, in due order; the endpoints continue the run's weighted
    sequence from ``first_sequence``, so the whole run holds the mix's exact proportions."""
    offsets = arrival_offsets(rate, duration_s, poisson=poisson, rng=random.Random(seed))
    endpoints = weighted_sequence(mix, len(offsets), skip=first_sequence)
    return [
        Arrival(at, endpoint, first_sequence + index)
        for index, (at, endpoint) in enumerate(zip(offsets, endpoints, strict=True))
    ]
