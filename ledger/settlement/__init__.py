"""Settlement of activations against baselines: pure, vectorised, reproducible bit for bit.

The modules exported here use no database and no chain: the service (``service``,
``stored_inputs``, ``terms``, ``tables``) hands in plain arrays (energies per POD and period,
calendars, activations, Merkle roots of the committed data) and gets back records whose
``settlement_hash()`` it commits on chain. ``statements`` holds the monthly statements and the
BRP perimeter corrections. See ``docs/settlement.md``.
"""

from ledger.settlement.baselines import (
    CAISO_10_OF_10,
    HIGH_4_OF_5,
    Baseline,
    BaselineInputs,
    BaselineMethod,
    DayType,
    DeclaredBaseline,
    MeterBeforeBaseline,
    SameDayAdjustment,
    Selection,
    XOfYBaseline,
    day_type,
    describe,
)
from ledger.settlement.days import join_day_parts, utc_date, utc_days
from ledger.settlement.energy import (
    GAP,
    PERIOD_SECONDS,
    PeriodEnergy,
    PowerSeries,
    devices_to_pods,
    ordered_wh_from_kw,
    within_reading_bound,
)
from ledger.settlement.engine import DayResults, compute, direction_sign
from ledger.settlement.errors import SettlementInputError
from ledger.settlement.inputs import Activation, History, SettlementDay
from ledger.settlement.record import (
    RECORD_SCHEMA,
    RECORD_SCHEMA_ACTIVATION_TERMS,
    RECORD_SCHEMA_DAY_PARTS,
    RECORD_SCHEMA_WITHOUT_TERMS,
    DayPart,
    DeliveryCheckResult,
    PeriodResult,
    PeriodStatus,
    PodResults,
    SettlementRecord,
    Totals,
    build_records,
)
from ledger.settlement.rounding import div_round_half_even, round_cents
from ledger.settlement.rules import (
    DeliveryCheck,
    MeterSource,
    MeterTolerance,
    MissingDataPolicy,
    SettlementRules,
)
from ledger.settlement.settle import settle, settlement_hashes

__all__ = [
    "CAISO_10_OF_10",
    "GAP",
    "HIGH_4_OF_5",
    "PERIOD_SECONDS",
    "RECORD_SCHEMA",
    "RECORD_SCHEMA_ACTIVATION_TERMS",
    "RECORD_SCHEMA_DAY_PARTS",
    "RECORD_SCHEMA_WITHOUT_TERMS",
    "Activation",
    "Baseline",
    "BaselineInputs",
    "BaselineMethod",
    "DayPart",
    "DayResults",
    "DayType",
    "DeclaredBaseline",
    "DeliveryCheck",
    "DeliveryCheckResult",
    "History",
    "MeterBeforeBaseline",
    "MeterSource",
    "MeterTolerance",
    "MissingDataPolicy",
    "PeriodEnergy",
    "PeriodResult",
    "PeriodStatus",
    "PodResults",
    "PowerSeries",
    "SameDayAdjustment",
    "Selection",
    "SettlementDay",
    "SettlementInputError",
    "SettlementRecord",
    "SettlementRules",
    "Totals",
    "XOfYBaseline",
    "build_records",
    "compute",
    "day_type",
    "describe",
    "devices_to_pods",
    "direction_sign",
    "div_round_half_even",
    "join_day_parts",
    "ordered_wh_from_kw",
    "round_cents",
    "settle",
    "settlement_hashes",
    "utc_date",
    "utc_days",
    "within_reading_bound",
]
