"""Names for the dashboard where the platform's views carry ids: a UVAM's name, the period an
activation covers, a POD's code. People recognise "UVAM Nord 3, 6 Dec 13:00-13:30" and
"IT001E12345678", not "f9ce7013" or "08ab0c25-...".

``label_items`` adds, to each item that has the id, the name beside it (never replacing it):
``uvamName`` for a ``uvamId``; ``uvamName``, ``firstPeriod`` and ``periodCount`` for an
``activationId``; ``targetName`` (the POD code) for a constraint on one POD.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from ledger.db.market_models import MarketActivation
from ledger.db.models import Pod, Uvam
from ledger.market.periods import iso


def _by_id(session: Session, model: Any, ids: set[str]) -> dict[str, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(ids))).all()}


def label_items(session: Session, items: Iterable[dict[str, Any]]) -> None:
    """Add the names beside the ids of ``items`` (in place), with one query per kind."""
    items = list(items)
    activations = _by_id(
        session, MarketActivation, {i["activationId"] for i in items if i.get("activationId")}
    )
    uvam_ids = {i["uvamId"] for i in items if i.get("uvamId")}
    uvam_ids |= {a.uvam_id for a in activations.values()}
    uvams = _by_id(session, Uvam, uvam_ids)
    pods = _by_id(
        session, Pod, {i["target"] for i in items if i.get("scope") == "pod" and i.get("target")}
    )
    for item in items:
        activation = activations.get(item.get("activationId") or "")
        if activation is not None:
            item["firstPeriod"] = iso(activation.first_period)
            item["periodCount"] = len(activation.set_points_kw)
            item.setdefault("uvamId", activation.uvam_id)
        uvam = uvams.get(item.get("uvamId") or "")
        if uvam is not None:
            item["uvamName"] = uvam.name
        pod = pods.get(item.get("target") or "") if item.get("scope") == "pod" else None
        if pod is not None:
            item["targetName"] = pod.metering_point_id
