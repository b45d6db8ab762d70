"""Answers of the dashboard's own reads (``/ui/...``).

These reads serve one client, the dashboard, and grow with it: their models check the keys they
declare and let new ones through (``extra="allow"``), so a field added for a page never turns
its read into a 500. The platform API's models (every other module) refuse undeclared keys."""

from __future__ import annotations

from pydantic import ConfigDict

from api.models.common import DecimalText, Instant, JsonObject
from api.models.common import PublicModel as _Public


class _DashboardModel(_Public):
    model_config = ConfigDict(extra="allow")


class DirectoryEntry(_DashboardModel):
    name: str
    role: str
    eic: str | None


class Directory(_DashboardModel):
    """The TSO and the DSOs of the platform, and for the roles that read every BSP's resources
    the BSPs (public identifiers only)."""

    tso: DirectoryEntry | None
    dsos: list[DirectoryEntry]
    bsps: list[DirectoryEntry]


class AttentionGroup(_DashboardModel):
    count: int
    items: list[JsonObject]


class Attention(_DashboardModel):
    """What waits for the organisation, per role, most urgent first."""

    role: str
    now: Instant
    gate_horizon_seconds: int
    groups: dict[str, AttentionGroup]


class MarketUvam(_DashboardModel):
    id: str
    name: str
    bsp: str
    bsp_name: str
    up_kw: int
    down_kw: int
    admitted: bool
    admitted_at: Instant | None


class AuditMatch(_DashboardModel):
    kind: str
    id: str
    label: str
    history_id: str
    """The id to ask ``GET /audit/history/{id}`` for."""


class WindowRow(_DashboardModel):
    window_id: str
    operator_id: str
    mine: bool
    price_eur_per_kwh: DecimalText
    opened_at: Instant | None
    closes_at: Instant | None
    status: str
    trades: dict[str, int]


class MeritOrder(_DashboardModel):
    """A cleared need's bids per period in merit order, cleared again from its inputs."""

    need_id: str
    pricing: str
    price_limit: DecimalText | None
    above_limit: list[str]
    """Bids priced above the need's limit (left out of the clearing)."""
    reproduced: bool
    inputs_hash: str | None
    result_hash: str | None
    periods: list[JsonObject]


class Portfolio(_DashboardModel):
    registrations: list[JsonObject]
    periods: list[JsonObject]
    zones: list[JsonObject]


class Clock(_DashboardModel):
    now: Instant
