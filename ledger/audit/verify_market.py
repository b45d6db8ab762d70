"""Market, settlement and P2P rows against the views of ``FlexMarket``, ``MeasurementLedger``,
``SettlementLedger`` and ``P2PTrading``: statuses, owners, amounts and committed hashes.

Columns the chain holds directly are compared with its views; columns it holds only as a hash
(a bid's or need's terms, a clearing result, a settlement record, a window's record) are hashed
again and compared with the committed hash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from eth_abi import encode
from eth_utils import keccak
from sqlmodel import Session, col, select

from ledger.audit.accounts import OrganisationAccounts
from ledger.audit.mismatch import Mismatch, RowCheck, hex_or_none
from ledger.audit.reads import read_many
from ledger.core.chain.client import ChainClient
from ledger.core.domain.enums import ActivationStatus, BidStatus
from ledger.core.ids import to_bytes32
from ledger.indexer.tables import ChainEvent
from ledger.market import clearing
from ledger.market.tables import (
    MarketActivation,
    MarketAward,
    MarketBid,
    MarketNeed,
    MeasurementBatch,
)
from ledger.market.terms import BidTerms, Direction, MeterKind, NeedTerms, Pricing
from ledger.measurements.service import CHAIN_METER_KINDS
from ledger.p2p.tables import P2PEv, P2PTrade, P2PWindow
from ledger.registry.tables import Uvam
from ledger.settlement.tables import Settlement

MARKET, MEASUREMENTS, SETTLEMENTS, P2P = (
    "FlexMarket",
    "MeasurementLedger",
    "SettlementLedger",
    "P2PTrading",
)
NOT_ON_CHAIN = "the chain holds no such record"
BID_TERMS = (
    "uvam_id, product_id, direction, delivery_start, valid_until, price_micro, divisible,"
    " quantities_kw"
)
NEED_TERMS = "product_id, direction, delivery_start, quantities_kw, price_limit_micro, pricing"
NEED_STATUS = {1: "Open", 2: "Cleared"}
SETTLEMENT_STATUS = {1: "recorded", 2: "disputed", 3: "final"}
TRADE_STATUS = {1: "Pending", 2: "Confirmed", 3: "Rejected"}
TRADE_EVENT_COLUMNS = {
    "energy_wh": "energyWh",
    "cost_cents": "costCents",
    "buyer_ev_id": "buyerEv",
    "seller_ev_id": "sellerEv",
}
TRADE_TERMS_TYPE = "(bytes32,bytes32,bytes32,bytes32,uint64,uint128)"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _reads(chain: ChainClient, contract: str, function: str, keys: Sequence[str]) -> list[Any]:
    return read_many(chain, contract, function, [(to_bytes32(key),) for key in keys])


def _hashed(check: RowCheck, field: str, compute: Callable[[], bytes], committed: Any) -> None:
    """``field`` hashes (``compute``) to ``committed``; a value that cannot be hashed differs."""
    try:
        value: str | None = _hex(compute())
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        value = f"unhashable: {exc}"
    check.expect(field, value, committed, "hash of the stored columns")


def check_bids(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    uvam_keys = dict(session.exec(select(Uvam.id, Uvam.chain_key)).all())
    bids = session.exec(select(MarketBid).order_by(col(MarketBid.id))).all()
    for bid, view in zip(
        bids, _reads(chain, MARKET, "bid", [b.chain_key for b in bids]), strict=True
    ):
        row = RowCheck("market_bids", bid.id, found)
        if view["status"] == BidStatus.NONE:
            row.expect("chain_key", bid.chain_key, None, NOT_ON_CHAIN)
            continue
        row.expect("status", bid.status, BidStatus(view["status"]).label)
        row.expect(
            "bsp_id", accounts.expected(bid.bsp_id, view["bsp"]), view["bsp"], "the BSP's address"
        )
        row.expect("gate_closes_at", bid.gate_closes_at, view["gateClosesAt"])
        row.expect("valid_until", bid.valid_until, view["validUntil"])
        committed = _hex(view["termsHash"])
        row.expect("terms_hash", bid.terms_hash.lower(), committed)

        def terms(bid: MarketBid = bid) -> bytes:
            return BidTerms(
                uvam_key=to_bytes32(uvam_keys[bid.uvam_id]),
                market_id=bid.product_id,
                direction=Direction(bid.direction),
                delivery_start=bid.delivery_start,
                valid_until=bid.valid_until,
                price_micro=bid.price_micro,
                divisible=bid.divisible,
                quantities_kw=tuple(bid.quantities_kw),
            ).hash()

        _hashed(row, f"terms ({BID_TERMS})", terms, committed)
    return found


def check_needs(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    needs = session.exec(select(MarketNeed).order_by(col(MarketNeed.id))).all()
    views = _reads(chain, MARKET, "need", [n.chain_key for n in needs])
    for need, view in zip(needs, views, strict=True):
        row = RowCheck("market_needs", need.id, found)
        if view["status"] == 0:
            row.expect("chain_key", need.chain_key, None, NOT_ON_CHAIN)
            continue
        row.expect("status", need.status, NEED_STATUS.get(view["status"]))
        committed = _hex(view["termsHash"])
        row.expect("terms_hash", need.terms_hash.lower(), committed)

        def terms(need: MarketNeed = need) -> bytes:
            return NeedTerms(
                market_id=need.product_id,
                direction=Direction(need.direction),
                delivery_start=need.delivery_start,
                quantities_kw=tuple(need.quantities_kw),
                price_limit_micro=need.price_limit_micro,
                pricing=Pricing(need.pricing),
            ).hash()

        _hashed(row, f"terms ({NEED_TERMS})", terms, committed)
        result = hex_or_none(view["resultHash"])
        row.expect("result_hash", need.result_hash and need.result_hash.lower(), result)
        if need.result is not None:
            _hashed(row, "result", partial(clearing.document_hash, need.result), result)
    return found


def check_awards(session: Session, chain: ChainClient) -> list[Mismatch]:
    """Each period's awarded power and price are the ones ``FlexMarket.award`` holds."""
    found: list[Mismatch] = []
    bid_keys = dict(session.exec(select(MarketBid.id, MarketBid.chain_key)).all())
    awards = session.exec(select(MarketAward).order_by(col(MarketAward.bid_id))).all()
    calls = [
        (to_bytes32(bid_keys.get(a.bid_id, "0x" + "00" * 32)), a.delivery_start + 900 * period)
        for a in awards
        for period in range(len(a.awarded_kw))
    ]
    views = iter(read_many(chain, MARKET, "award", calls))
    for award in awards:
        row = RowCheck("market_awards", award.bid_id, found)
        held = [next(views) for _ in award.awarded_kw]
        row.expect("awarded_kw", list(award.awarded_kw), [v["awardedKw"] for v in held])
        row.expect(
            "prices_micro", list(award.prices_micro), [v["priceMicroEurPerMwh"] for v in held]
        )
    return found


def check_activations(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    bid_keys = dict(session.exec(select(MarketBid.id, MarketBid.chain_key)).all())
    rows = session.exec(select(MarketActivation).order_by(col(MarketActivation.id))).all()
    views = _reads(chain, MARKET, "activation", [a.chain_key for a in rows])
    for activation, view in zip(rows, views, strict=True):
        row = RowCheck("market_activations", activation.id, found)
        if view["status"] == ActivationStatus.NONE:
            row.expect("chain_key", activation.chain_key, None, NOT_ON_CHAIN)
            continue
        row.expect("status", activation.status, ActivationStatus(view["status"]).label)
        row.expect("bid_id", bid_keys.get(activation.bid_id), _hex(view["bidId"]), "bid's key")
        row.expect(
            "bsp_id",
            accounts.expected(activation.bsp_id, view["bsp"]),
            view["bsp"],
            "the BSP's address",
        )
        row.expect("first_period", activation.first_period, view["firstPeriod"])
        row.expect("ack_deadline", activation.ack_deadline, view["ackDeadline"])
        row.expect("set_points_kw", list(activation.set_points_kw), list(view["setPointsKw"]))
    return found


def check_measurement_batches(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    batches = session.exec(
        select(MeasurementBatch)
        .where(col(MeasurementBatch.transaction_hash).is_not(None))
        .order_by(col(MeasurementBatch.id))
    ).all()
    keys = dict(session.exec(select(MeasurementBatch.id, MeasurementBatch.chain_key)).all())
    views = _reads(chain, MEASUREMENTS, "batch", [b.chain_key for b in batches])
    for batch, view in zip(batches, views, strict=True):
        row = RowCheck("measurement_batches", batch.id, found)
        if int(view["uploader"], 16) == 0:
            row.expect("chain_key", batch.chain_key, None, NOT_ON_CHAIN)
            continue
        row.expect(
            "uploader_id", accounts.expected(batch.uploader_id, view["uploader"]), view["uploader"]
        )
        stored_kind = CHAIN_METER_KINDS.get(batch.kind)
        row.expect(
            "kind",
            stored_kind.name if stored_kind is not None else batch.kind,
            MeterKind(view["kind"]).name,
        )
        row.expect("reading_count", batch.reading_count, view["readingCount"])
        row.expect("root", batch.root.lower(), _hex(view["root"]))
        for column, field in (
            ("supersedes_id", "supersedes"),
            ("superseded_by_id", "supersededBy"),
        ):
            stored = getattr(batch, column)
            row.expect(column, stored and keys.get(stored), hex_or_none(view[field]), "batch key")
    return found


def check_settlements(session: Session, chain: ChainClient) -> list[Mismatch]:
    """Every version on chain hashes its stored record; the latest version's status and BSP."""
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    activation_keys = dict(
        session.exec(select(MarketActivation.id, MarketActivation.chain_key)).all()
    )
    rows = session.exec(
        select(Settlement)
        .where(col(Settlement.transaction_hash).is_not(None))
        .order_by(col(Settlement.id))
    ).all()
    keyed = [to_bytes32(activation_keys.get(s.activation_id, "0x" + "00" * 32)) for s in rows]
    hashes = read_many(
        chain,
        SETTLEMENTS,
        "settlementHashOf",
        [(k, s.version) for k, s in zip(keyed, rows, strict=True)],
    )
    views = read_many(chain, SETTLEMENTS, "settlement", [(k,) for k in keyed])
    for settlement, committed, view in zip(rows, hashes, views, strict=True):
        row = RowCheck("settlements", settlement.id, found)
        on_chain = hex_or_none(committed)
        if on_chain is None:
            row.expect("transaction_hash", settlement.transaction_hash, None, NOT_ON_CHAIN)
            continue
        row.expect("settlement_hash", settlement.settlement_hash.lower(), on_chain)
        _hashed(row, "record_json", partial(keccak, text=settlement.record_json), on_chain)
        if view["version"] == settlement.version:
            row.expect("status", settlement.status, SETTLEMENT_STATUS.get(view["status"]))
            row.expect("bsp_id", accounts.expected(settlement.bsp_id, view["bsp"]), view["bsp"])
            row.expect("answer_deadline", settlement.answer_deadline, view["answerDeadline"])
    return found


def check_p2p(session: Session, chain: ChainClient) -> list[Mismatch]:
    """EVs' commitments and agents, windows' operators, prices and records, trades' statuses
    (and, while Pending, their terms: energy and cost)."""
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    evs = session.exec(select(P2PEv).order_by(col(P2PEv.id))).all()
    for ev, view in zip(evs, _reads(chain, P2P, "ev", [e.chain_key for e in evs]), strict=True):
        row = RowCheck("p2p_evs", ev.id, found)
        row.expect(
            "agent_id",
            accounts.expected(ev.agent_id, view["agent"]),
            view["agent"],
            "the agent's address",
        )
        row.expect("commitment", ev.commitment.lower(), hex_or_none(view["commitment"]))
        row.recomputed("record", ev.record, ev.salt, hex_or_none(view["commitment"]))
    windows = session.exec(select(P2PWindow).order_by(col(P2PWindow.id))).all()
    views = _reads(chain, P2P, "window", [w.chain_key for w in windows])
    for window, view in zip(windows, views, strict=True):
        row = RowCheck("p2p_windows", window.id, found)
        row.expect(
            "operator_id", accounts.expected(window.operator_id, view["operator"]), view["operator"]
        )
        row.expect(
            "price_micro_eur_per_kwh", window.price_micro_eur_per_kwh, view["priceMicroEurPerKwh"]
        )
        committed = hex_or_none(view["recordHash"])
        row.expect("record_hash", window.record_hash.lower(), committed)
        row.recomputed("record", window.record, window.salt, committed)
    found += _check_trades(session, chain)
    return found


def _check_trades(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    ev_keys = dict(session.exec(select(P2PEv.id, P2PEv.chain_key)).all())
    window_keys = dict(session.exec(select(P2PWindow.id, P2PWindow.chain_key)).all())
    trades = session.exec(
        select(P2PTrade).where(P2PTrade.status != "Matched").order_by(col(P2PTrade.id))
    ).all()
    views = _reads(chain, P2P, "trade", [t.chain_key for t in trades])
    created = {
        str(event.args["tradeId"]): event.args
        for event in session.exec(
            select(ChainEvent).where(
                ChainEvent.chain_id == chain.chain_id, ChainEvent.name == "TradeCreated"
            )
        ).all()
    }
    for trade, view in zip(trades, views, strict=True):
        row = RowCheck("p2p_trades", trade.id, found)
        row.expect("status", trade.status, TRADE_STATUS.get(view["status"]))
        # A decided trade keeps only a status marker on chain: its terms are in TradeCreated.
        args = created.get(trade.chain_key.lower(), {})
        for column, arg in TRADE_EVENT_COLUMNS.items():
            value = getattr(trade, column)
            stored = ev_keys.get(value) if column.endswith("_ev_id") else value
            row.expect(column, stored, args.get(arg), "as the indexed TradeCreated event holds")
        if view["status"] != 1:
            continue

        def terms(trade: P2PTrade = trade) -> bytes:
            item = (
                to_bytes32(trade.chain_key),
                to_bytes32(window_keys[trade.window_id]),
                to_bytes32(ev_keys[trade.buyer_ev_id]),
                to_bytes32(ev_keys[trade.seller_ev_id]),
                trade.energy_wh,
                trade.cost_cents,
            )
            return bytes(keccak(encode([TRADE_TERMS_TYPE], [item])))

        terms_columns = "terms (window_id, buyer_ev_id, seller_ev_id, energy_wh, cost_cents)"
        _hashed(row, terms_columns, terms, hex_or_none(view["termsHash"]))
    return found


MarketCheck = Callable[[Session, ChainClient], list[Mismatch]]
MARKET_CHECKS: tuple[MarketCheck, ...] = (
    check_bids,
    check_needs,
    check_awards,
    check_activations,
    check_measurement_batches,
    check_settlements,
    check_p2p,
)
