"""P2P EV trading (FLOW D5.5 §2): EVs under pseudonyms, deposits, charging sessions, trading
windows with their matching, trades created Pending in batches (Add Batch), and the
infrastructure operator's confirmations and rejections.

Who does what:

* a BSP, as the agent of EV owners, registers EVs (a salted commitment on chain, the record off
  chain) and creates its buyers' trades, Pending, with their cost held on chain;
* an infrastructure operator (OPERATOR role) reports charging sessions with their state of
  charge, opens a trading window at a posted price (the platform matches it, see
  :mod:`ledger.p2p.matching`), and confirms or rejects the window's trades;
* the EV's own operator (named by its agent when it registers the EV) credits deposits to its
  balance (integer cents on chain); no other operator, and not the TSO;
* a window takes trades until its close time (one hour by default) or until its operator
  closes it; its Pending trades are still confirmed or rejected after the close.

The contract is the one home of the permission and status rules: every write is simulated as
the caller when it is accepted, so a refusal comes back at once with the contract's decoded
error (403 for a missing role or a foreign EV, 404 for an unknown id, 409 for a trade no longer
Pending or a buyer without funds) and nothing is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from eth_utils import keccak
from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from ledger.core import operations
from ledger.core.access import sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, chunks, events_named, seal, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.canonical import canonical_json
from ledger.core.domain.enums import Role
from ledger.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id
from ledger.core.runtime import Runtime
from ledger.p2p.energy import EvRole, Thresholds, position_of
from ledger.p2p.matching import Offer, match
from ledger.p2p.pricing import (
    cents_to_eur,
    cost_cents,
    eur_to_cents,
    kwh_to_wh,
    price_from_micro,
    price_to_micro,
    wh_to_kwh,
)
from ledger.p2p.schemas import (
    MAX_TRADES,
    DepositItem,
    EvCreate,
    SessionReportIn,
    TradeBatch,
    WindowCreate,
)
from ledger.p2p.tables import P2PEv, P2PSession, P2PTrade, P2PWindow
from ledger.payloads import read
from ledger.payloads.p2p import (
    DepositBatch,
    EvRegistration,
    TradeAddition,
    TradeConfirmation,
    TradeRejection,
    TradeTerms,
    WindowClosing,
    WindowOpening,
)

P2P = "P2PTrading"
#: Records per transaction. Measured: ~36k gas per new trade and ~31k per confirmation (the
#: benchmark), EVs and deposits less than 60k: 200 keep a transaction under 12 M gas.
CHUNK = 200

MATCHED, PENDING, CONFIRMED, REJECTED = "Matched", "Pending", "Confirmed", "Rejected"
#: The Solidity ``TradeStatus`` enum, by position.
CHAIN_TRADE_STATUS = ("None", PENDING, CONFIRMED, REJECTED)

ERROR_FIELDS = {
    "P2PUnauthorized": "role",
    "P2PUnauthorizedOperator": "tradeIds",
    "P2PNotOwner": "buyerEvId",
    "P2PInsufficientFunds": "buyerEvId",
    "P2PTradeNotPending": "tradeIds",
    "P2PAlreadyExists": "tradeIds",
    "P2PZeroEnergy": "energyKwh",
    "P2PSelfTrade": "sellerEvId",
    "P2PCostMismatch": "costEur",
    "P2PNotAnOperator": "operatorId",
    "P2PNotEvOperator": "evId",
    "P2PWindowClosed": "windowId",
    "P2PBadCloseTime": "closesAt",
}
#: How long a window takes trades when its operator names no close time.
DEFAULT_WINDOW_S = 3600


# ------------------------------------------------------------------------- EVs and deposits


def register_evs(
    runtime: Runtime,
    session: Session,
    *,
    agent: Organisation,
    evs: Sequence[EvCreate],
    operator_id: str,
) -> Operation:
    """Register EVs with ``agent`` (a BSP) acting for their owners; one chain key each.
    ``operator_id`` is the infrastructure operator that alone credits their balances."""
    operator = session.get(Organisation, operator_id)
    if operator is None or operator.role != Role.OPERATOR or operator.suspended_at is not None:
        raise InvalidInput(
            f"{operator_id} is not an infrastructure operator of the platform", field="operatorId"
        )
    items = []
    for ev in evs:
        ev_id = new_id()
        record = ev.model_dump(mode="json", by_alias=True, exclude_none=True)
        items.append(
            {
                "id": ev_id,
                "chainKey": chain_key("p2p-ev", ev_id),
                "capacityWh": kwh_to_wh(ev.capacity_kwh),
                **seal(record),
            }
        )
    operation = operations.accept(
        session,
        organisation=agent,
        kind="p2p.ev.register",
        payload={"evs": items, "operatorId": operator.id},
        target_id=items[0]["id"] if len(items) == 1 else None,
    )
    simulate(runtime, agent, EvRegister().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def deposit(
    runtime: Runtime, session: Session, *, actor: Organisation, deposits: Sequence[DepositItem]
) -> Operation:
    """Credit money paid in off chain to EV balances (each EV's own operator only)."""
    if actor.role != Role.OPERATOR:
        raise Forbidden(
            f"only an EV's infrastructure operator credits its balance; you are {actor.role}",
            field="role",
        )
    items: list[dict[str, Any]] = []
    for index, item in enumerate(deposits):
        ev = session.get(P2PEv, item.ev_id)
        if ev is None:
            raise NotFound(f"no EV {item.ev_id}", field=f"deposits[{index}].evId")
        if ev.operator_id != actor.id:
            raise Forbidden(
                f"EV {ev.id} is credited by its own operator ({ev.operator_id}), not by you",
                field=f"deposits[{index}].evId",
            )
        items.append(
            {"evId": ev.id, "chainKey": ev.chain_key, "amountCents": eur_to_cents(item.amount_eur)}
        )
    operation = operations.accept(
        session,
        organisation=actor,
        kind="p2p.deposit",
        payload={"deposits": items},
        target_id=items[0]["evId"] if len(items) == 1 else None,
    )
    simulate(runtime, actor, DepositHandler().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


# ------------------------------------------------------------------------- sessions and windows


def report_sessions(
    session: Session, *, operator: Organisation, sessions: Sequence[SessionReportIn]
) -> list[P2PSession]:
    """Record charging sessions reported by the operator's charge points (off chain)."""
    if operator.role != Role.OPERATOR:
        raise Forbidden(
            f"only an infrastructure operator reports charging sessions; you are {operator.role}"
        )
    rows = []
    now = utcnow()
    for index, report in enumerate(sessions):
        if session.get(P2PEv, report.ev_id) is None:
            raise NotFound(f"no EV {report.ev_id}", field=f"sessions[{index}].evId")
        rows.append(
            P2PSession(
                id=new_id(),
                ev_id=report.ev_id,
                operator_id=operator.id,
                charge_point_id=report.charge_point_id,
                soc_bp=int(report.soc_percent * 100),
                reported_at=report.reported_at or now,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def open_window(
    runtime: Runtime, session: Session, *, operator: Organisation, request: WindowCreate
) -> Operation:
    """Match the operator's sessions at the posted price and open the window on chain.

    The sessions are reserved for this window at once (they are operational data, not chain
    facts); the window and its matched trades are written when ``openWindow`` is mined.
    Several reports of one EV: the latest counts, the others are set aside with the window.
    """
    reports = _window_sessions(session, operator, request.session_ids)
    now = runtime.clock.now()
    closes_at = (
        now + DEFAULT_WINDOW_S if request.closes_at is None else int(request.closes_at.timestamp())
    )
    if closes_at <= now:
        raise InvalidInput(
            f"must be in the future (the platform's clock reads {_instant(now).isoformat()})",
            field="closesAt",
        )
    latest: dict[str, P2PSession] = {}
    for report in sorted(reports, key=lambda r: (r.reported_at, r.id)):
        latest[report.ev_id] = report
    evs = {
        ev.id: ev for ev in session.exec(select(P2PEv).where(col(P2PEv.id).in_(list(latest)))).all()
    }
    thresholds = Thresholds(request.buyer_threshold_percent, request.seller_threshold_percent)
    price_micro = price_to_micro(request.price_eur_per_kwh)
    offers, positions = [], {}
    for ev_id, report in latest.items():
        position = position_of(Decimal(report.soc_bp) / 100, evs[ev_id].capacity_wh, thresholds)
        positions[report.id] = position
        if position.role is not EvRole.NEUTRAL and position.energy_wh > 0:
            offers.append(Offer(ev_id, position.role, position.energy_wh, report.reported_at))
    result = match(offers, price_micro_eur_per_kwh=price_micro)

    window_id = new_id()
    record = {
        "operator": operator.eic,
        "priceEurPerKwh": str(request.price_eur_per_kwh),
        "buyerThresholdPercent": str(request.buyer_threshold_percent),
        "sellerThresholdPercent": str(request.seller_threshold_percent),
        "sessions": [
            {
                "ev": evs[r.ev_id].chain_key,
                "chargePoint": r.charge_point_id,
                "socBp": r.soc_bp,
                "capacityWh": evs[r.ev_id].capacity_wh,
                "reportedAt": r.reported_at.isoformat(),
            }
            for r in latest.values()
        ],
    }
    trades = []
    for trade in result.trades:
        trade_id = new_id()
        trades.append(
            {
                "id": trade_id,
                "chainKey": chain_key("p2p-trade", trade_id),
                "buyerEvId": trade.buyer_ev_id,
                "sellerEvId": trade.seller_ev_id,
                "energyWh": trade.energy_wh,
                "costCents": trade.cost_cents,
            }
        )
    payload = {
        "windowId": window_id,
        "chainKey": chain_key("p2p-window", window_id),
        "priceMicroEurPerKwh": price_micro,
        "buyerThresholdBp": int(request.buyer_threshold_percent * 100),
        "sellerThresholdBp": int(request.seller_threshold_percent * 100),
        "demandWh": result.demand_wh,
        "supplyWh": result.supply_wh,
        "closesAt": closes_at,
        "trades": trades,
        **seal(record),
    }
    operation = operations.accept(
        session, organisation=operator, kind="p2p.window.open", payload=payload, target_id=window_id
    )
    simulate(runtime, operator, WindowOpen().calls(session, operation), error_fields=ERROR_FIELDS)
    for report in reports:
        report.window_id = window_id
        found = positions.get(report.id)
        if found is not None:
            report.role, report.energy_wh = found.role.value, found.energy_wh
    return operation


def _window_sessions(
    session: Session, operator: Organisation, session_ids: Sequence[str] | None
) -> list[P2PSession]:
    if operator.role != Role.OPERATOR:
        raise Forbidden(
            f"only an infrastructure operator opens trading windows; you are {operator.role}"
        )
    if session_ids is None:
        rows = list(
            session.exec(
                select(P2PSession).where(
                    P2PSession.operator_id == operator.id, col(P2PSession.window_id).is_(None)
                )
            ).all()
        )
    else:
        found = {
            r.id: r
            for r in session.exec(
                select(P2PSession).where(col(P2PSession.id).in_(list(session_ids)))
            ).all()
        }
        rows = []
        for index, session_id in enumerate(dict.fromkeys(session_ids)):
            row = found.get(session_id)
            if row is None or row.operator_id != operator.id:
                raise NotFound(f"no session {session_id} of yours", field=f"sessionIds[{index}]")
            if row.window_id is not None:
                raise Conflict(
                    f"session {session_id} is in window {row.window_id} already",
                    field=f"sessionIds[{index}]",
                )
            rows.append(row)
    if not rows:
        raise InvalidInput(
            "no charging sessions to match: report sessions first", field="sessionIds"
        )
    return rows


# ------------------------------------------------------------------------- trades


def add_trades(
    runtime: Runtime, session: Session, *, agent: Organisation, request: TradeBatch
) -> Operation:
    """Add Batch: the buyer's side creates trades Pending, each cost held from the buyer."""
    window = _open_window(runtime, session, request.window_id)
    items = []
    for index, trade in enumerate(request.trades):
        buyer = _ev(session, trade.buyer_ev_id, f"trades[{index}].buyerEvId")
        seller = _ev(session, trade.seller_ev_id, f"trades[{index}].sellerEvId")
        energy_wh = kwh_to_wh(trade.energy_kwh)
        cost = cost_cents(energy_wh, window.price_micro_eur_per_kwh)
        if trade.cost_eur is not None and eur_to_cents(trade.cost_eur) != cost:
            raise InvalidInput(
                f"{trade.energy_kwh} kWh at {price_from_micro(window.price_micro_eur_per_kwh)} "
                f"EUR/kWh costs {cents_to_eur(cost)} EUR",
                field=f"trades[{index}].costEur",
            )
        trade_id = new_id()
        items.append(
            {
                "id": trade_id,
                "chainKey": chain_key("p2p-trade", trade_id),
                "buyerEvId": buyer.id,
                "sellerEvId": seller.id,
                "buyerKey": buyer.chain_key,
                "sellerKey": seller.chain_key,
                "energyWh": energy_wh,
                "costCents": cost,
                "matched": False,
            }
        )
    return _accept_trades(runtime, session, agent, window, items)


def submit_matched(
    runtime: Runtime,
    session: Session,
    *,
    agent: Organisation,
    window_id: str,
    trade_ids: Sequence[str] | None = None,
) -> Operation:
    """Add Batch from the window's matching: the caller's matched trades, created Pending."""
    window = _open_window(runtime, session, window_id)
    query = select(P2PTrade).where(P2PTrade.window_id == window.id)
    remaining = 0
    if trade_ids is None:
        query = query.where(P2PTrade.agent_id == agent.id, P2PTrade.status == MATCHED)
        waiting = session.exec(query.order_by(col(P2PTrade.buyer_ev_id), col(P2PTrade.id))).all()
        taken = _whole_buyers(waiting, MAX_TRADES)
        remaining = len(waiting) - len(taken)
        rows = {row.id: row for row in taken}
    else:
        _check_size(trade_ids)
        found = {r.id: r for r in session.exec(query.where(col(P2PTrade.id).in_(list(trade_ids))))}
        for index, trade_id in enumerate(trade_ids):
            if trade_id not in found:
                raise NotFound(
                    f"no trade {trade_id} in window {window.id}", field=f"tradeIds[{index}]"
                )
        # the answer's tradeIds follow the request's order, whatever order the query returned
        rows = {trade_id: found[trade_id] for trade_id in trade_ids}
    if not rows:
        raise InvalidInput(
            "none of your trades in this window is waiting to be submitted", field="tradeIds"
        )
    keys = _ev_keys(
        session, {r.buyer_ev_id for r in rows.values()} | {r.seller_ev_id for r in rows.values()}
    )
    items = [
        {
            "id": r.id,
            "chainKey": r.chain_key,
            "buyerEvId": r.buyer_ev_id,
            "sellerEvId": r.seller_ev_id,
            "buyerKey": keys[r.buyer_ev_id],
            "sellerKey": keys[r.seller_ev_id],
            "energyWh": r.energy_wh,
            "costCents": r.cost_cents,
            "matched": True,
        }
        for r in rows.values()
    ]
    operation = _accept_trades(runtime, session, agent, window, items)
    operation.payload = {**operation.payload, "remainingMatched": remaining}
    return operation


def _whole_buyers(rows: Sequence[P2PTrade], limit: int) -> list[P2PTrade]:
    """The first rows (ordered by buyer) up to ``limit``, never splitting a buyer's trades."""
    taken: list[P2PTrade] = []
    for row in rows:
        if len(taken) >= limit and row.buyer_ev_id != taken[-1].buyer_ev_id:
            break
        taken.append(row)
    return taken


def _check_size(trade_ids: Sequence[str]) -> None:
    if len(trade_ids) > MAX_TRADES:
        raise InvalidInput(f"at most {MAX_TRADES} trades per request", field="tradeIds")


def _accept_trades(
    runtime: Runtime,
    session: Session,
    agent: Organisation,
    window: P2PWindow,
    items: list[dict[str, Any]],
) -> Operation:
    # Kept in the request's order: the answer's tradeIds map to the submitted trades by
    # position. A buyer's trades still share one transaction (``_chunks_by_buyer``).
    operation = operations.accept(
        session,
        organisation=agent,
        kind="p2p.trades.add",
        payload={"windowId": window.id, "windowKey": window.chain_key, "trades": items},
        target_id=items[0]["id"] if len(items) == 1 else window.id,
    )
    simulate(runtime, agent, TradesAdd().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def confirm_trades(
    runtime: Runtime,
    session: Session,
    *,
    operator: Organisation,
    trade_ids: Sequence[str],
    energy_kwh: Decimal | None = None,
    cost_eur: Decimal | None = None,
) -> Operation:
    """The window's operator confirms traded energy and cost; only then is a trade final.

    ``energy_kwh`` and ``cost_eur``, when given, are what the operator measured: the trade is
    confirmed only if they are its terms.
    """
    rows = _decidable(session, operator, trade_ids)
    for row in rows:
        if energy_kwh is not None and kwh_to_wh(energy_kwh) != row.energy_wh:
            raise Conflict(
                f"trade {row.id} is for {wh_to_kwh(row.energy_wh)} kWh", field="energyKwh"
            )
        if cost_eur is not None and eur_to_cents(cost_eur) != row.cost_cents:
            raise Conflict(
                f"trade {row.id} costs {cents_to_eur(row.cost_cents)} EUR", field="costEur"
            )
    payload = {"trades": _terms(session, rows)}
    operation = operations.accept(
        session,
        organisation=operator,
        kind="p2p.trades.confirm",
        payload=payload,
        target_id=rows[0].id if len(rows) == 1 else None,
    )
    simulate(
        runtime, operator, TradesConfirm().calls(session, operation), error_fields=ERROR_FIELDS
    )
    return operation


def reject_trades(
    runtime: Runtime,
    session: Session,
    *,
    operator: Organisation,
    trade_ids: Sequence[str],
    reasons: Sequence[str],
) -> Operation:
    """The window's operator rejects trades with reasons; the held cost returns to the buyer."""
    if not reasons:
        raise InvalidInput("a rejection needs at least one reason", field="reasons")
    rows = _decidable(session, operator, trade_ids)
    payload = {
        "trades": _terms(session, rows),
        "reasons": list(reasons),
        "reasonHash": reasons_hash(reasons),
    }
    operation = operations.accept(
        session,
        organisation=operator,
        kind="p2p.trades.reject",
        payload=payload,
        target_id=rows[0].id if len(rows) == 1 else None,
    )
    simulate(runtime, operator, TradesReject().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def reasons_hash(reasons: Sequence[str]) -> str:
    """What goes on chain for a rejection: keccak256 of the reasons' canonical JSON."""
    return "0x" + keccak(canonical_json(list(reasons))).hex()


def _decidable(
    session: Session, organisation: Organisation, trade_ids: Sequence[str]
) -> list[P2PTrade]:
    """The trades, if the caller may see them; whether it may decide is the contract's call."""
    if not trade_ids:
        raise InvalidInput("name at least one trade", field="tradeIds")
    _check_size(trade_ids)
    rows = []
    for index, trade_id in enumerate(dict.fromkeys(trade_ids)):
        row = session.get(P2PTrade, trade_id)
        if row is None or not _may_see_trade(session, organisation, row):
            raise NotFound(f"no trade {trade_id}", field=f"tradeIds[{index}]")
        if row.status == MATCHED:
            raise Conflict(
                f"trade {trade_id} is not on the ledger yet: the buyer's side submits it first",
                field=f"tradeIds[{index}]",
            )
        rows.append(row)
    return rows


def _terms(session: Session, rows: Sequence[P2PTrade]) -> list[dict[str, Any]]:
    keys = _ev_keys(session, {r.buyer_ev_id for r in rows} | {r.seller_ev_id for r in rows})
    windows = {
        w.id: w.chain_key
        for w in session.exec(
            select(P2PWindow).where(col(P2PWindow.id).in_(list({r.window_id for r in rows})))
        ).all()
    }
    return [
        {
            "id": r.id,
            "chainKey": r.chain_key,
            "windowKey": windows[r.window_id],
            "buyerKey": keys[r.buyer_ev_id],
            "sellerKey": keys[r.seller_ev_id],
            "energyWh": r.energy_wh,
            "costCents": r.cost_cents,
        }
        for r in rows
    ]


def _terms_tuple(item: TradeTerms, window_key: str) -> tuple[Any, ...]:
    """``P2PTrading.TradeTerms`` as the ABI encoder takes it."""
    return (
        bytes32(item.chain_key),
        bytes32(window_key),
        bytes32(item.buyer_key),
        bytes32(item.seller_key),
        item.energy_wh,
        item.cost_cents,
    )


class _BuyerSide(Protocol):
    @property
    def buyer_key(self) -> str: ...


T = TypeVar("T", bound=_BuyerSide)


def _chunks_by_buyer(items: Sequence[T], size: int = CHUNK) -> Iterable[list[T]]:
    """Chunks that never split one buyer's trades, so that simulating each chunk on its own
    checks the buyer's funds against all of its trades in the batch."""
    groups: dict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[item.buyer_key].append(item)
    chunk: list[T] = []
    for group in groups.values():
        if chunk and len(chunk) + len(group) > size:
            yield chunk
            chunk = []
        chunk.extend(group)
    if chunk:
        yield chunk


# ------------------------------------------------------------------------- lookups and reads


def _window(session: Session, window_id: str) -> P2PWindow:
    window = session.get(P2PWindow, window_id)
    if window is None:
        raise NotFound(f"no open trading window {window_id}", field="windowId")
    return window


def _instant(unix_s: int) -> datetime:
    return datetime.fromtimestamp(unix_s, UTC)


def _unix(value: datetime) -> int:
    """Unix seconds of a stored instant (the database may hand it back without its UTC zone)."""
    return int((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())


def window_closed(runtime: Runtime, window: P2PWindow) -> bool:
    """Whether the window's close time has come on the platform's clock (which the chain's
    block time follows): from then on the contract refuses its trades."""
    return window.closes_at is not None and runtime.clock.now() >= _unix(window.closes_at)


def _open_window(runtime: Runtime, session: Session, window_id: str) -> P2PWindow:
    """The window, if it still takes trades: after its close the answer is 409, before
    anything is stored (the contract would refuse with ``P2PWindowClosed``)."""
    window = _window(session, window_id)
    if window_closed(runtime, window):
        assert window.closes_at is not None
        raise Conflict(
            f"window {window.id} closed at {_instant(_unix(window.closes_at)).isoformat()}; "
            "it takes no more trades",
            field="windowId",
        )
    return window


def close_window(
    runtime: Runtime, session: Session, *, operator: Organisation, window_id: str
) -> Operation:
    """The window's operator closes it now: no more trades; its Pending ones still get decided."""
    window = _window(session, window_id)
    if window.operator_id != operator.id:
        raise Forbidden(f"window {window.id} is not yours", field="windowId")
    _open_window(runtime, session, window_id)
    operation = operations.accept(
        session,
        organisation=operator,
        kind="p2p.window.close",
        payload={"windowId": window.id, "chainKey": window.chain_key},
        target_id=window.id,
    )
    simulate(runtime, operator, WindowClose().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def _ev(session: Session, ev_id: str, field: str) -> P2PEv:
    ev = session.get(P2PEv, ev_id)
    if ev is None:
        raise NotFound(f"no EV {ev_id}", field=field)
    return ev


def _ev_keys(session: Session, ev_ids: set[str]) -> dict[str, str]:
    keys: dict[str, str] = {}
    ids = list(ev_ids)
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        rows = session.exec(
            select(P2PEv.id, P2PEv.chain_key).where(col(P2PEv.id).in_(ids[start : start + 900]))
        )
        keys.update(dict(rows.all()))
    return keys


def _may_see_trade(session: Session, organisation: Organisation, row: P2PTrade) -> bool:
    if sees_everything(organisation) or organisation.id in {row.agent_id, row.operator_id}:
        return True
    seller = session.get(P2PEv, row.seller_ev_id)
    return seller is not None and seller.agent_id == organisation.id


def trade_view(row: P2PTrade, keys: dict[str, str]) -> dict[str, Any]:
    """A trade as the API shows it: the columns of the source's transaction table."""
    return {
        "tradeId": row.id,
        "windowId": row.window_id,
        "senderHash": keys.get(row.buyer_ev_id),
        "receiverHash": keys.get(row.seller_ev_id),
        "buyerEvId": row.buyer_ev_id,
        "sellerEvId": row.seller_ev_id,
        "energyKwh": str(wh_to_kwh(row.energy_wh)),
        "costEur": str(cents_to_eur(row.cost_cents)),
        "status": row.status,
        "timestamp": row.created_at.isoformat(),
        "reasons": row.reasons,
        "createdTransaction": row.created_transaction,
        "settledTransaction": row.settled_transaction,
    }


def get_trade(
    runtime: Runtime, session: Session, organisation: Organisation, trade_id: str
) -> dict[str, Any]:
    row = session.get(P2PTrade, trade_id)
    if row is None or not _may_see_trade(session, organisation, row):
        raise NotFound(f"no trade {trade_id}", field="tradeId")
    view = trade_view(row, _ev_keys(session, {row.buyer_ev_id, row.seller_ev_id}))
    on_chain = runtime.chain.read(P2P, "trade", bytes32(row.chain_key))
    view["chainStatus"] = CHAIN_TRADE_STATUS[on_chain["status"]]
    return view


def list_trades(
    session: Session,
    organisation: Organisation,
    *,
    window_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    query = select(P2PTrade)
    if not sees_everything(organisation):
        sellers_of_caller = select(P2PEv.id).where(P2PEv.agent_id == organisation.id)
        query = query.where(
            or_(
                col(P2PTrade.agent_id) == organisation.id,
                col(P2PTrade.operator_id) == organisation.id,
                col(P2PTrade.seller_ev_id).in_(sellers_of_caller),
            )
        )
    if window_id:
        query = query.where(P2PTrade.window_id == window_id)
    if status:
        query = query.where(P2PTrade.status == status)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    limit, offset = max(1, min(limit, 5000)), max(0, offset)
    rows = session.exec(
        query.order_by(col(P2PTrade.created_at), col(P2PTrade.id)).offset(offset).limit(limit)
    ).all()
    keys = _ev_keys(session, {r.buyer_ev_id for r in rows} | {r.seller_ev_id for r in rows})
    return {"data": [trade_view(r, keys) for r in rows], "count": count}


def get_ev(
    runtime: Runtime, session: Session, organisation: Organisation, ev_id: str
) -> dict[str, Any]:
    """An EV with its balance read from the chain (agent, operators, TSO, auditors)."""
    ev = session.get(P2PEv, ev_id)
    if ev is None or not (
        ev.agent_id == organisation.id
        or organisation.role == Role.OPERATOR
        or sees_everything(organisation)
    ):
        raise NotFound(f"no EV {ev_id}", field="evId")
    balance = runtime.chain.read(P2P, "balanceOf", bytes32(ev.chain_key))
    view: dict[str, Any] = {
        "evId": ev.id,
        "pseudonym": ev.chain_key,
        "commitment": ev.commitment,
        "capacityKwh": str(wh_to_kwh(ev.capacity_wh)),
        "agentId": ev.agent_id,
        "operatorId": ev.operator_id,
        "balance": {
            "availableEur": str(cents_to_eur(balance["available"])),
            "heldEur": str(cents_to_eur(balance["held"])),
        },
    }
    if ev.agent_id == organisation.id:
        view["record"] = ev.record
    return view


def list_evs(
    session: Session, organisation: Organisation, *, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    query = select(P2PEv)
    if not (sees_everything(organisation) or organisation.role == Role.OPERATOR):
        query = query.where(P2PEv.agent_id == organisation.id)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(P2PEv.created_at), col(P2PEv.id))
        .offset(max(0, offset))
        .limit(max(1, min(limit, 5000)))
    ).all()
    return {
        "data": [
            {
                "evId": r.id,
                "pseudonym": r.chain_key,
                "capacityKwh": str(wh_to_kwh(r.capacity_wh)),
                "agentId": r.agent_id,
                "operatorId": r.operator_id,
            }
            for r in rows
        ],
        "count": count,
    }


def get_window(
    runtime: Runtime, session: Session, organisation: Organisation, window_id: str
) -> dict[str, Any]:
    """A window's terms and totals; its sessions to its operator, the TSO and auditors."""
    window = _window(session, window_id)
    view: dict[str, Any] = {
        "windowId": window.id,
        "pseudonym": window.chain_key,
        "operatorId": window.operator_id,
        "status": "Closed" if window_closed(runtime, window) else window.status,
        "closesAt": None
        if window.closes_at is None
        else _instant(_unix(window.closes_at)).isoformat(),
        "priceEurPerKwh": str(price_from_micro(window.price_micro_eur_per_kwh)),
        "buyerThresholdPercent": str(Decimal(window.buyer_threshold_bp) / 100),
        "sellerThresholdPercent": str(Decimal(window.seller_threshold_bp) / 100),
        "demandKwh": str(wh_to_kwh(window.demand_wh)),
        "supplyKwh": str(wh_to_kwh(window.supply_wh)),
        "matchedKwh": str(wh_to_kwh(window.matched_wh)),
        "recordHash": window.record_hash,
        "transactionHash": window.transaction_hash,
        "trades": dict(
            session.exec(
                select(P2PTrade.status, func.count())
                .where(P2PTrade.window_id == window.id)
                .group_by(P2PTrade.status)
            ).all()
        ),
    }
    if window.operator_id == organisation.id or sees_everything(organisation):
        sessions = session.exec(
            select(P2PSession)
            .where(P2PSession.window_id == window.id)
            .order_by(col(P2PSession.reported_at))
        ).all()
        view["sessions"] = [
            {
                "sessionId": s.id,
                "evId": s.ev_id,
                "chargePointId": s.charge_point_id,
                "socPercent": str(Decimal(s.soc_bp) / 100),
                "reportedAt": s.reported_at.isoformat(),
                "role": s.role,
                "energyKwh": None if s.energy_wh is None else str(wh_to_kwh(s.energy_wh)),
            }
            for s in sessions
        ]
    return view


# ------------------------------------------------------------------------- handlers


class EvRegister(Handler):
    kind = "p2p.ev.register"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        registration = read(operation, EvRegistration)
        # The operator's account is read when the calls are made: it may have rotated its key.
        operator = session.get(Organisation, registration.operator_id)
        assert operator is not None
        return [
            Call(
                P2P,
                "registerEvs",
                (
                    [bytes32(item.chain_key) for item in batch],
                    [bytes32(item.record_hash) for item in batch],
                    operator.address,
                ),
            )
            for batch in chunks(registration.evs, CHUNK)
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        registration = read(operation, EvRegistration)
        by_key = {item.chain_key: item for item in registration.evs}
        for event in events_named(receipts, "EvRegistered"):
            item = by_key["0x" + event["evId"].hex()]
            session.add(
                P2PEv(
                    id=item.id,
                    chain_key=item.chain_key,
                    agent_id=operation.organisation_id,
                    operator_id=registration.operator_id,
                    capacity_wh=item.capacity_wh,
                    record=item.record,
                    salt=item.salt,
                    commitment=item.record_hash,
                )
            )
        operation.result = {"evIds": [item.id for item in registration.evs]}
        return []


class DepositHandler(Handler):
    kind = "p2p.deposit"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        return [
            Call(
                P2P,
                "deposit",
                (
                    [bytes32(item.chain_key) for item in batch],
                    [item.amount_cents for item in batch],
                ),
            )
            for batch in chunks(read(operation, DepositBatch).deposits, CHUNK)
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        by_key = {item.chain_key: item.ev_id for item in read(operation, DepositBatch).deposits}
        balances = {
            by_key["0x" + event["evId"].hex()]: str(cents_to_eur(event["availableCents"]))
            for event in events_named(receipts, "Deposited")
        }
        operation.result = {"availableEur": balances}
        return []


class WindowOpen(Handler):
    kind = "p2p.window.open"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        window = read(operation, WindowOpening)
        return [
            Call(
                P2P,
                "openWindow",
                (
                    bytes32(window.chain_key),
                    window.price_micro_eur_per_kwh,
                    bytes32(window.record_hash),
                    window.closes_at,
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        opened = [e for r in receipts for e in r.events if e.name == "WindowOpened"]
        if not opened:
            return []
        window = read(operation, WindowOpening)
        trades = window.trades
        session.add(
            P2PWindow(
                id=window.window_id,
                chain_key=window.chain_key,
                operator_id=operation.organisation_id,
                price_micro_eur_per_kwh=window.price_micro_eur_per_kwh,
                buyer_threshold_bp=window.buyer_threshold_bp,
                seller_threshold_bp=window.seller_threshold_bp,
                demand_wh=window.demand_wh,
                supply_wh=window.supply_wh,
                matched_wh=sum(t.energy_wh for t in trades),
                record=window.record,
                salt=window.salt,
                record_hash=window.record_hash,
                closes_at=_instant(opened[0].args["closesAt"]),
                transaction_hash=opened[0].transaction_hash,
            )
        )
        session.flush()
        agents = dict(
            session.exec(
                select(P2PEv.id, P2PEv.agent_id).where(
                    col(P2PEv.id).in_(
                        select(P2PSession.ev_id).where(P2PSession.window_id == window.window_id)
                    )
                )
            ).all()
        )
        session.add_all(
            [
                P2PTrade(
                    id=t.id,
                    chain_key=t.chain_key,
                    window_id=window.window_id,
                    buyer_ev_id=t.buyer_ev_id,
                    seller_ev_id=t.seller_ev_id,
                    agent_id=agents[t.buyer_ev_id],
                    operator_id=operation.organisation_id,
                    energy_wh=t.energy_wh,
                    cost_cents=t.cost_cents,
                    status=MATCHED,
                )
                for t in trades
            ]
        )
        operation.result = {
            "windowId": window.window_id,
            "matchedTrades": len(trades),
            "demandKwh": str(wh_to_kwh(window.demand_wh)),
            "supplyKwh": str(wh_to_kwh(window.supply_wh)),
            "matchedKwh": str(wh_to_kwh(sum(t.energy_wh for t in trades))),
        }
        return []


class WindowClose(Handler):
    kind = "p2p.window.close"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        return [Call(P2P, "closeWindow", (bytes32(read(operation, WindowClosing).chain_key),))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        window = session.get(P2PWindow, read(operation, WindowClosing).window_id)
        assert window is not None
        for event in events_named(receipts, "WindowClosed"):
            window.closes_at = _instant(event["closedAt"])
            window.status = "Closed"
            operation.result = {"windowId": window.id, "closedAt": window.closes_at.isoformat()}
        return []


class TradesAdd(Handler):
    kind = "p2p.trades.add"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        addition = read(operation, TradeAddition)
        return [
            Call(P2P, "addTrades", ([_terms_tuple(item, addition.window_key) for item in batch],))
            for batch in _chunks_by_buyer(addition.trades)
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        addition = read(operation, TradeAddition)
        by_key = {item.chain_key: item for item in addition.trades}
        created = {
            "0x" + e.args["tradeId"].hex(): e
            for r in receipts
            for e in r.events
            if e.name == "TradeCreated"
        }
        matched = {
            row.chain_key: row
            for row in session.exec(
                select(P2PTrade).where(
                    P2PTrade.window_id == addition.window_id, P2PTrade.status == MATCHED
                )
            ).all()
        }
        window = session.get(P2PWindow, addition.window_id)
        assert window is not None
        now = utcnow()
        for key, event in created.items():
            item = by_key[key]
            row = matched.get(key)
            if row is None:
                session.add(
                    P2PTrade(
                        id=item.id,
                        chain_key=key,
                        window_id=addition.window_id,
                        buyer_ev_id=item.buyer_ev_id,
                        seller_ev_id=item.seller_ev_id,
                        agent_id=operation.organisation_id,
                        operator_id=window.operator_id,
                        energy_wh=item.energy_wh,
                        cost_cents=item.cost_cents,
                        status=PENDING,
                        created_transaction=event.transaction_hash,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                row.status, row.created_transaction, row.updated_at = (
                    PENDING,
                    event.transaction_hash,
                    now,
                )
        operation.result = {
            "tradeIds": [item.id for item in addition.trades if item.chain_key in created],
            "pending": len(created),
        }
        return []


class _Decision(Handler):
    """Confirmation or rejection: the same terms restated, a different outcome."""

    function: str
    event: str
    outcome: str

    def _decided(self, operation: Operation) -> TradeConfirmation | TradeRejection:
        if self.outcome == REJECTED:
            return read(operation, TradeRejection)
        return read(operation, TradeConfirmation)

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        decision = self._decided(operation)
        calls = []
        for batch in chunks(decision.trades, CHUNK):
            terms = [_terms_tuple(item, item.window_key) for item in batch]
            args: tuple[Any, ...] = (terms,)
            if isinstance(decision, TradeRejection):
                args = (terms, [bytes32(decision.reason_hash)] * len(terms))
            calls.append(Call(P2P, self.function, args))
        return calls

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        decision = self._decided(operation)
        by_key = {item.chain_key: item.id for item in decision.trades}
        decided = []
        now = utcnow()
        for receipt in receipts:
            for event in receipt.events:
                if event.name != self.event:
                    continue
                row = session.get(P2PTrade, by_key["0x" + event.args["tradeId"].hex()])
                assert row is not None
                row.status, row.settled_transaction, row.updated_at = (
                    self.outcome,
                    event.transaction_hash,
                    now,
                )
                if isinstance(decision, TradeRejection):
                    row.reasons = decision.reasons
                    row.reason_hash = decision.reason_hash
                decided.append(row.id)
        operation.result = {"tradeIds": decided, "status": self.outcome}
        return []


class TradesConfirm(_Decision):
    kind = "p2p.trades.confirm"
    function = "confirmTrades"
    event = "TradeConfirmed"
    outcome = CONFIRMED


class TradesReject(_Decision):
    kind = "p2p.trades.reject"
    function = "rejectTrades"
    event = "TradeRejected"
    outcome = REJECTED


def handlers() -> dict[str, Handler]:
    """Every P2P operation kind and its handler."""
    return {
        handler.kind: handler
        for handler in (
            EvRegister(),
            DepositHandler(),
            WindowOpen(),
            WindowClose(),
            TradesAdd(),
            TradesConfirm(),
            TradesReject(),
        )
    }
