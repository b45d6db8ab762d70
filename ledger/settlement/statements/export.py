"""A statement as CSV (one row per ISP line, then the totals) and as PDF (fpdf2). The numbers
are the statement document's, written as plain decimals; ``docs/statements.md`` gives the
columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from fpdf import FPDF

from ledger.core.periods import iso

COLUMNS: Final = (
    "section",
    "reference",
    "ispStart",
    "baselineWh",
    "orderedWh",
    "actualWh",
    "deliveredWh",
    "deficiencyWh",
    "priceEurMwh",
    "remunerationEur",
    "sanctionEurMwh",
    "penaltyEur",
    "awardedKw",
    "priceEurKwIsp",
    "availabilityEur",
    "netEur",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def rows(statement: Mapping[str, Any]) -> list[dict[str, str]]:
    """The statement's lines in ``COLUMNS`` order: activation ISPs, availability ISPs, the
    netting (``total`` rows)."""
    out: list[dict[str, Any]] = []
    for activation in statement["activations"]:
        for line in activation["isps"]:
            out.append(
                {
                    "section": "activation",
                    "reference": activation["activationId"],
                    "ispStart": iso(int(line["start"])),
                    **{k: line[k] for k in COLUMNS if k in line and k != "start"},
                }
            )
    for award in statement["availability"]:
        for line in award["isps"]:
            out.append(
                {
                    "section": "availability",
                    "reference": award["bidId"],
                    "ispStart": iso(int(line["start"])),
                    "awardedKw": line["awardedKw"],
                    "priceEurKwIsp": award["priceEurKwIsp"],
                    "availabilityEur": line["availabilityEur"],
                    "netEur": line["availabilityEur"],
                }
            )
    totals = statement["totals"]
    out.append(
        {
            "section": "total",
            "reference": statement["bsp"],
            "remunerationEur": totals["remunerationEur"],
            "penaltyEur": totals["penaltyEur"],
            "availabilityEur": totals["availabilityEur"],
            "netEur": totals["netEur"],
        }
    )
    return [{column: _text(row.get(column)) for column in COLUMNS} for row in out]


def to_csv(statement: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(statement))
    return buffer.getvalue()


_PDF_COLUMNS: Final = (
    ("ISP (UTC)", "ispStart", 30),
    ("Baseline Wh", "baselineWh", 20),
    ("Ordered Wh", "orderedWh", 20),
    ("Actual Wh", "actualWh", 20),
    ("Delivered Wh", "deliveredWh", 20),
    ("Deficiency Wh", "deficiencyWh", 22),
    ("EUR/MWh", "priceEurMwh", 18),
    ("Remun. EUR", "remunerationEur", 20),
    ("Penalty EUR", "penaltyEur", 20),
    ("kW", "awardedKw", 12),
    ("Avail. EUR", "availabilityEur", 20),
    ("Net EUR", "netEur", 20),
)


def to_pdf(statement: Mapping[str, Any], *, statement_hash: str) -> bytes:
    """A one-table PDF (A4 landscape): header, every line, the netting, the statement's hash.
    Its creation date is the period's end, so the same statement gives the same bytes."""
    pdf = FPDF(orientation="L", format="A4")
    end = datetime.fromisoformat(statement["period"]["end"]).replace(tzinfo=UTC)
    pdf.set_creation_date(end)
    pdf.set_title(f"Statement {statement['bsp']} {statement['period']['start']}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    period = statement["period"]
    pdf.cell(0, 8, f"Statement of {statement['bsp']}: {period['start']} to {period['end']}")
    pdf.ln(9)
    pdf.set_font("Helvetica", size=8)
    pdf.cell(0, 5, f"Hash {statement_hash} ({statement['schema']})")
    pdf.ln(7)
    pdf.set_font("Helvetica", "B", 7)
    for title, _, width in _PDF_COLUMNS:
        pdf.cell(width, 6, title, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=7)
    current = None
    for row in rows(statement):
        if row["section"] != "total" and row["reference"] != current:
            current = row["reference"]
            pdf.set_font("Helvetica", "B", 7)
            pdf.cell(0, 5, f"{row['section']} {current}")
            pdf.ln()
            pdf.set_font("Helvetica", size=7)
        if row["section"] == "total":
            pdf.set_font("Helvetica", "B", 7)
            row = {**row, "ispStart": "Net"}
        for _, key, width in _PDF_COLUMNS:
            pdf.cell(width, 5, row[key], border=1, align="L" if key == "ispStart" else "R")
        pdf.ln()
    return bytes(pdf.output())
