"""The dashboard's read of UVAMs that can bid (``GET /ui/market/uvams``): qualified UVAMs with
their qualified powers and whether the TSO has admitted them to the market yet.

The admission itself stays the TSO's write (``POST /market/admissions/{id}``, or automatically
before a UVAM's first bid, ``market.ensure_admission``); this read only lets a BSP see where
each UVAM stands before it bids, and the TSO which ones it has still to admit.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ledger.core.db.models import Organisation
from ledger.market.bids import qualified_powers
from ledger.market.tables import MarketAdmission
from ledger.registry.access import visible_uvams
from ledger.registry.tables import Uvam

QUALIFIED = "Qualified"
MAX_ROWS = 500


def market_uvams(session: Session, organisation: Organisation) -> dict[str, Any]:
    """A BSP's qualified UVAMs (the TSO and the auditor: everyone's), by name."""
    query = visible_uvams(select(Uvam).where(Uvam.status == QUALIFIED), organisation)
    uvams = session.exec(query.order_by(col(Uvam.name), col(Uvam.id)).limit(MAX_ROWS)).all()
    ids = [uvam.id for uvam in uvams]
    admitted = {
        row.uvam_id: row
        for row in session.exec(
            select(MarketAdmission).where(col(MarketAdmission.uvam_id).in_(ids))
        ).all()
    }
    bsp_ids = {uvam.bsp_id for uvam in uvams}
    bsp_names = {
        row.id: row.name
        for row in session.exec(select(Organisation).where(col(Organisation.id).in_(bsp_ids))).all()
    }
    data = []
    for uvam in uvams:
        up, down = qualified_powers(uvam)
        admission = admitted.get(uvam.id)
        data.append(
            {
                "id": uvam.id,
                "name": uvam.name,
                "bsp": uvam.bsp_id,
                "bspName": bsp_names.get(uvam.bsp_id, uvam.bsp_id),
                "upKw": up,
                "downKw": down,
                "admitted": admission is not None,
                "admittedAt": admission.admitted_at.isoformat() if admission else None,
            }
        )
    return {"data": data, "count": len(data)}
