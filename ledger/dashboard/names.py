"""Names for the dashboard where the platform's views carry ids: a UVAM's name, the period an
activation covers, a POD's code. People recognise "UVAM Nord 3, 6 Dec 13:00-13:30" and
"IT001E12345678", not "f9ce7013" or "08ab0c25-...".

``label_items`` adds, to each item that has the id, the name beside it (never replacing it):
``uvamName`` for a ``uvamId``; ``uvamName``, ``firstPeriod`` and ``periodCount`` for an
``activationId``; ``targetName`` (the POD code) for a constraint on one POD.

``operation_target_names`` names what each operation of a page acts on (``targetName`` in the
operation's public view).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from ledger.core.db.models import Operation, Organisation
from ledger.core.periods import delivery_end, iso
from ledger.market.tables import MarketActivation, MarketBid
from ledger.p2p.tables import P2PTrade, P2PWindow
from ledger.registry.tables import Pod, Uvam
from ledger.settlement.tables import Settlement, Statement


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


# What an operation's ``target_id`` names, by the operation's kind (the ``target_id`` each
# service gives ``operations.accept``). A kind missing here, or a target no longer found, is
# named None and the dashboard shows a short id.
_POD, _UVAM, _BID, _ACTIVATION, _SETTLEMENT, _STATEMENT, _WINDOW, _TRADE = (
    "pod",
    "uvam",
    "bid",
    "activation",
    "settlement",
    "statement",
    "window",
    "trade",
)
_TARGETS: dict[str, tuple[str, ...]] = {
    "pod.register": (_POD,),
    "pod.update": (_POD,),
    "pod.status": (_POD,),
    "pod.decision": (_POD,),
    "uvam.register": (_UVAM,),
    "uvam.update": (_UVAM,),
    "uvam.status": (_UVAM,),
    "uvam.decision": (_UVAM,),
    "connection.set": (_UVAM,),
    "market.admit": (_UVAM,),
    "market.bids.submit": (_BID,),
    "market.bids.update": (_BID,),
    "market.bids.withdraw": (_BID,),
    "market.bids.expire": (_BID,),
    "market.bids.suspend": (_BID,),
    "market.activation.send": (_ACTIVATION,),
    "market.activation.ack": (_ACTIVATION,),
    "market.activation.change": (_ACTIVATION,),
    "market.activation.stop": (_ACTIVATION,),
    "market.activation.lapse": (_ACTIVATION,),
    "settlement.record": (_ACTIVATION,),
    "settlement.resettle": (_ACTIVATION,),
    "settlement.accept": (_SETTLEMENT,),
    "settlement.dispute": (_SETTLEMENT,),
    "settlement.confirm": (_SETTLEMENT,),
    "settlement.finalise": (_SETTLEMENT,),
    "statement.record": (_STATEMENT,),
    "statement.accept": (_STATEMENT,),
    "statement.dispute": (_STATEMENT,),
    "p2p.window.open": (_WINDOW,),
    "p2p.window.close": (_WINDOW,),
    "p2p.trades.add": (_TRADE, _WINDOW),
    "p2p.trades.confirm": (_TRADE,),
    "p2p.trades.reject": (_TRADE,),
}


def period_label(first: int, count: int) -> str:
    """``6 Dec 13:00-13:30`` (UTC): the delivery periods from ``first``, ``count`` of them."""
    start = datetime.fromtimestamp(first, UTC)
    end = datetime.fromtimestamp(delivery_end(first, count), UTC)
    until = (
        end.strftime("%H:%M")
        if end.date() == start.date() or end.time() == time(0)
        else (end.strftime(f"{end.day} %b %H:%M"))
    )
    return f"{start.strftime(f'{start.day} %b %H:%M')}-{until}"


def _month_label(period_start: str, period_end: str) -> str:
    start, end = date.fromisoformat(period_start), date.fromisoformat(period_end)
    if start.day == 1 and end == (start.replace(day=28) + timedelta(days=4)).replace(day=1):
        return start.strftime("%b %Y")
    return f"{period_start} to {(end - timedelta(days=1)).isoformat()}"


def operation_target_names(
    session: Session, operations: Sequence[Operation]
) -> dict[str, str | None]:
    """A human name for each operation's target (by operation id), for a page at once: a POD's
    code, a UVAM's name, a bid's or activation's UVAM and periods, a settlement's with its
    version, a statement's BSP and month, a P2P trade's or window's window. One query per kind
    of target (and per kind of row the names come from), whatever the page's size."""
    wanted: dict[str, set[str]] = {}
    for operation in operations:
        if operation.target_id:
            for target in _TARGETS.get(operation.kind, ()):
                wanted.setdefault(target, set()).add(operation.target_id)
    pods = _by_id(session, Pod, wanted.get(_POD, set()))
    bids = _by_id(session, MarketBid, wanted.get(_BID, set()))
    settlements = _by_id(session, Settlement, wanted.get(_SETTLEMENT, set()))
    activations = _by_id(
        session,
        MarketActivation,
        wanted.get(_ACTIVATION, set()) | {s.activation_id for s in settlements.values()},
    )
    uvams = _by_id(
        session,
        Uvam,
        wanted.get(_UVAM, set())
        | {b.uvam_id for b in bids.values()}
        | {a.uvam_id for a in activations.values()},
    )
    statements = _by_id(session, Statement, wanted.get(_STATEMENT, set()))
    bsps = _by_id(session, Organisation, {s.bsp_id for s in statements.values()})
    trades = _by_id(session, P2PTrade, wanted.get(_TRADE, set()))
    windows = _by_id(
        session, P2PWindow, wanted.get(_WINDOW, set()) | {t.window_id for t in trades.values()}
    )

    def uvam_name(uvam_id: str) -> str:
        uvam = uvams.get(uvam_id)
        return uvam.name if uvam is not None else f"UVAM {uvam_id[:8]}"

    def activation_name(activation: MarketActivation) -> str:
        periods = period_label(activation.first_period, len(activation.set_points_kw))
        return f"{uvam_name(activation.uvam_id)}, {periods}"

    def window_name(window: P2PWindow) -> str:
        return f"P2P window of {window.created_at.strftime(f'{window.created_at.day} %b %H:%M')}"

    def name(target: str, target_id: str) -> str | None:
        if target == _POD and target_id in pods:
            return str(pods[target_id].metering_point_id)
        if target == _UVAM and target_id in uvams:
            return str(uvams[target_id].name)
        if target == _BID and target_id in bids:
            bid = bids[target_id]
            periods = period_label(bid.delivery_start, bid.period_count)
            return f"{uvam_name(bid.uvam_id)}, {periods}"
        if target == _ACTIVATION and target_id in activations:
            return activation_name(activations[target_id])
        if target == _SETTLEMENT and target_id in settlements:
            settlement = settlements[target_id]
            activation = activations.get(settlement.activation_id)
            if activation is None:
                return None
            return f"{activation_name(activation)}, v{settlement.version}"
        if target == _STATEMENT and target_id in statements:
            statement = statements[target_id]
            bsp = bsps.get(statement.bsp_id)
            month = _month_label(statement.period_start, statement.period_end)
            return f"{bsp.name if bsp is not None else 'BSP'}, {month}"
        if target == _TRADE and target_id in trades:
            window = windows.get(trades[target_id].window_id)
            return f"Trade in {window_name(window)}" if window is not None else None
        if target == _WINDOW and target_id in windows:
            return window_name(windows[target_id])
        return None

    names: dict[str, str | None] = {}
    for operation in operations:
        found = None
        if operation.target_id:
            for target in _TARGETS.get(operation.kind, ()):
                found = name(target, operation.target_id)
                if found is not None:
                    break
        names[operation.id] = found
    return names
