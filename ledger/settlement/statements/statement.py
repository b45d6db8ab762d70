"""A BSP's statement for a period (issue 14, item 4): every activation whose settlement is
final, the availability pay of its awards, and the netting. Per ISP an activation's lines
follow UFTP ``FlexOrderSettlementISP``: baseline, ordered, actual, delivered, deficiency, price,
penalty, net - copied from the final settlement record, whose hash the statement names, so
each line can be checked against a record already on chain. ``docs/statements.md``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from eth_utils import keccak

from ledger.core.domain.canonical import canonical_json
from ledger.settlement.statements.availability import AwardedCapacity, availability_lines
from ledger.settlement.statements.period import StatementPeriod

STATEMENT_SCHEMA: Final = "cbp.statement/1"


@dataclass(frozen=True)
class SettledActivation:
    """The final version of an activation's settlement: its record (parsed canonical JSON)."""

    settlement_id: str
    settlement_hash: str
    record: Mapping[str, Any]


def isp_lines(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The record's periods as statement lines (the record's own values, renamed as UFTP)."""
    return [
        {
            "start": period["start"],
            "baselineWh": period["baselineWh"],
            "orderedWh": period["orderedWh"],
            "actualWh": period["measuredWh"],
            "deliveredWh": period["deliveredWh"],
            "deficiencyWh": period["deficiencyWh"],
            "priceEurMwh": Decimal(period["priceEurMwh"]),
            "remunerationEur": Decimal(period["remunerationEur"]),
            "sanctionEurMwh": Decimal(period["sanctionEurMwh"]),
            "penaltyEur": Decimal(period["penaltyEur"]),
            "netEur": Decimal(period["netEur"]),
        }
        for period in record["periods"]
    ]


def _activation(settled: SettledActivation) -> dict[str, Any]:
    record = settled.record
    isps = isp_lines(record)
    return {
        "activationId": record["activationId"],
        "uvamId": record["uvamId"],
        "direction": record["direction"],
        "settlementId": settled.settlement_id,
        "version": record["version"],
        "settlementHash": settled.settlement_hash,
        "isps": isps,
        "remunerationEur": sum((line["remunerationEur"] for line in isps), Decimal(0)),
        "penaltyEur": sum((line["penaltyEur"] for line in isps), Decimal(0)),
        "netEur": sum((line["netEur"] for line in isps), Decimal(0)),
    }


def _start_of(record: Mapping[str, Any]) -> int:
    return int(record["periods"][0]["start"])


def build_statement(
    *,
    bsp: str,
    period: StatementPeriod,
    settled: Sequence[SettledActivation],
    awards: Sequence[AwardedCapacity],
    outstanding: Sequence[Mapping[str, str]] = (),
    supersedes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The statement document. ``settled``: final settlements of the BSP's activations whose
    first period starts in ``period``; ``awards``: its awards (ISPs outside the period are left
    out); ``outstanding``: ``{activationId, status}`` of its activations in the period that
    have no final settlement yet (listed, not netted); ``supersedes``: ``{statementId,
    statementHash}`` of the disputed statement this one replaces (the key is left out of a
    first statement). Lists are sorted so that the document, and so its hash, does not depend
    on the order given."""
    activations = [
        _activation(s)
        for s in sorted(settled, key=lambda s: (_start_of(s.record), s.record["activationId"]))
    ]
    availability = [
        lines
        for award in sorted(awards, key=lambda a: (a.delivery_start, a.bid_id))
        if (lines := availability_lines(award, period)) is not None
    ]
    remuneration = sum((a["remunerationEur"] for a in activations), Decimal(0))
    penalty = sum((a["penaltyEur"] for a in activations), Decimal(0))
    energy_net = sum((a["netEur"] for a in activations), Decimal(0))
    available = sum((a["availabilityEur"] for a in availability), Decimal(0))
    document: dict[str, Any] = {
        "schema": STATEMENT_SCHEMA,
        "bsp": bsp,
        "period": period.as_dict(),
        "activations": activations,
        "availability": availability,
        "outstanding": sorted(
            ({"activationId": o["activationId"], "status": o["status"]} for o in outstanding),
            key=lambda o: o["activationId"],
        ),
        "totals": {
            "activations": len(activations),
            "remunerationEur": remuneration,
            "penaltyEur": penalty,
            "energyNetEur": energy_net,
            "availabilityEur": available,
            "netEur": energy_net + available,
        },
    }
    if supersedes is not None:
        document["supersedes"] = {
            "statementId": supersedes["statementId"],
            "statementHash": supersedes["statementHash"],
        }
    return document


def document_hash(document: Mapping[str, Any]) -> bytes:
    """``keccak256(canonical_json(document))``: what goes on chain for a statement or a
    correction report."""
    return bytes(keccak(canonical_json(dict(document))))
