// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CbpRoles} from "./CbpRoles.sol";
import {CbpMulticall} from "./CbpMulticall.sol";

/// @title P2PTrading
/// @notice Peer-to-peer energy trading between electric vehicles (FLOW D5.5 §2). EVs appear only
///         under pseudonymous ids with a salted commitment to their off-chain record; no personal
///         data lives here. Each EV has a balance in integer euro cents, credited only by the
///         EV's own infrastructure operator (named by its agent at registration) and never
///         negative.
/// @dev Flow: an infrastructure operator (OPERATOR_ROLE: a CPO or the DSO) opens a trading
///      window at a posted price (micro-euro per kWh) until a close time, and commits to its
///      charging sessions; until the close (or the operator's explicit {closeWindow}) the
///      buyer's agent (the BSP that registered the buyer EV) adds the window's trades in batches
///      ("Add Batch"), each created Pending with its cost held from the buyer's balance; the
///      window's operator then confirms each trade (the cost moves to the seller) or rejects it
///      with the hash of its reasons (the cost returns to the buyer). A trade leaves Pending
///      exactly once. A trade takes one storage slot: the hash of its terms while it is Pending,
///      then a status marker; its terms are in the events and must be restated, byte for byte,
///      to confirm or reject it.
contract P2PTrading is CbpMulticall {
    enum TradeStatus {
        None,
        Pending,
        Confirmed,
        Rejected
    }

    /// @notice What a trade is: the terms the buyer's agent submits and the operator confirms.
    /// @param costCents euro cents; at creation it must equal {costCents} of the energy at the
    ///        window's posted price.
    struct TradeTerms {
        bytes32 tradeId;
        bytes32 windowId;
        bytes32 buyerEv;
        bytes32 sellerEv;
        uint64 energyWh;
        uint128 costCents;
    }

    struct Ev {
        address agent;
        address operator;
        bytes32 commitment;
    }

    struct Balance {
        uint128 available;
        uint128 held;
    }

    /// @param closesAt block timestamp from which the window takes no more trades.
    struct Window {
        address operator;
        uint64 priceMicroEurPerKwh;
        bytes32 recordHash;
        uint64 closesAt;
    }

    /// @notice A trade as {trade} shows it; `termsHash` is zero once the trade is decided.
    struct TradeRecord {
        TradeStatus status;
        bytes32 termsHash;
    }

    /// @dev cents = Wh * micro-EUR/kWh / 10^7 (10^3 Wh per kWh, 10^4 micro-EUR per cent).
    uint256 private constant _CENT_DIVISOR = 1e7;
    /// @dev Slot values of decided trades; any other non-zero value is a Pending trade's terms
    ///      hash (a keccak256 output of 1 or 2 is not a practical concern).
    bytes32 private constant _CONFIRMED = bytes32(uint256(1));
    bytes32 private constant _REJECTED = bytes32(uint256(2));

    CbpRoles private immutable _roles;

    mapping(bytes32 evId => Ev) private _evs;
    mapping(bytes32 evId => Balance) private _balances;
    mapping(bytes32 windowId => Window) private _windows;
    mapping(bytes32 tradeId => bytes32 termsHashOrOutcome) private _trades;

    /// @notice The caller lacks the role the action needs.
    error P2PUnauthorized(address account, bytes32 neededRole);
    /// @notice The caller is an operator, but not the one of the trade's window.
    error P2PUnauthorizedOperator(bytes32 tradeId, address operator, address account);
    /// @notice The caller is not the agent that registered the buyer EV.
    error P2PNotOwner(bytes32 evId, address account);
    /// @notice The id is already taken.
    error P2PAlreadyExists(bytes32 id);
    /// @notice Nothing is registered under this id.
    error P2PUnknownId(bytes32 id);
    /// @notice Array arguments of a batch call differ in length or are empty.
    error P2PBadBatch();
    /// @notice A trade must move a positive amount of energy.
    error P2PZeroEnergy(bytes32 tradeId);
    /// @notice A deposit must credit a positive amount.
    error P2PZeroAmount(bytes32 evId);
    /// @notice A window needs a positive price.
    error P2PZeroPrice(bytes32 windowId);
    /// @notice An EV cannot trade with itself.
    error P2PSelfTrade(bytes32 tradeId, bytes32 evId);
    /// @notice The stated cost is not the energy at the window's posted price.
    error P2PCostMismatch(bytes32 tradeId, uint256 expectedCents, uint256 givenCents);
    /// @notice The buyer's available balance does not cover the trade's cost.
    error P2PInsufficientFunds(bytes32 evId, uint256 availableCents, uint256 neededCents);
    /// @notice The trade is no longer Pending: it was confirmed or rejected already.
    error P2PTradeNotPending(bytes32 tradeId, TradeStatus tradeStatus);
    /// @notice The restated terms are not those the trade was created with.
    error P2PTermsMismatch(bytes32 tradeId);
    /// @notice A rejection needs the hash of its reasons.
    error P2PMissingReason(bytes32 tradeId);
    /// @notice The account named as the EVs' operator holds no OPERATOR role.
    error P2PNotAnOperator(address account);
    /// @notice Only the EV's own operator credits it.
    error P2PNotEvOperator(bytes32 evId, address evOperator, address account);
    /// @notice The window closed at `closedAt` (block timestamp); it takes no more trades.
    error P2PWindowClosed(bytes32 windowId, uint64 closedAt);
    /// @notice A window must close after the block it is opened in.
    error P2PBadCloseTime(bytes32 windowId, uint64 closesAt, uint256 blockTime);

    event EvRegistered(bytes32 indexed evId, address indexed agent, bytes32 commitment, address indexed operator);
    event Deposited(bytes32 indexed evId, uint256 amountCents, uint256 availableCents, address indexed by);
    event WindowOpened(
        bytes32 indexed windowId,
        address indexed operator,
        uint64 priceMicroEurPerKwh,
        bytes32 recordHash,
        uint64 closesAt
    );
    event WindowClosed(bytes32 indexed windowId, address indexed operator, uint64 closedAt);
    event TradeCreated(
        bytes32 indexed tradeId,
        bytes32 indexed windowId,
        bytes32 buyerEv,
        bytes32 sellerEv,
        uint64 energyWh,
        uint128 costCents,
        address indexed operator
    );
    event TradeConfirmed(bytes32 indexed tradeId, address indexed operator, uint128 costCents);
    event TradeRejected(bytes32 indexed tradeId, address indexed operator, bytes32 reasonHash);

    constructor(CbpRoles rolesContract) {
        _roles = rolesContract;
    }

    // ---------------------------------------------------------------- participants

    /// @notice Register EVs under pseudonymous ids, with the caller as their agent and
    ///         `operator` as the infrastructure operator that credits their balances.
    /// @dev Requirements: caller is a BSP; `operator` holds the OPERATOR role; arrays of equal,
    ///      non-zero length; every id new. Emits {EvRegistered} per EV.
    /// @param commitments salted hashes of the off-chain EV records (capacity, owner reference).
    function registerEvs(bytes32[] calldata evIds, bytes32[] calldata commitments, address operator) external {
        _requireRole(_roles.BSP_ROLE());
        if (!_roles.hasRole(operator, _roles.OPERATOR_ROLE())) revert P2PNotAnOperator(operator);
        uint256 count = evIds.length;
        if (count == 0 || commitments.length != count) revert P2PBadBatch();
        for (uint256 i = 0; i < count; ++i) {
            bytes32 evId = evIds[i];
            if (_evs[evId].agent != address(0)) revert P2PAlreadyExists(evId);
            _evs[evId] = Ev(msg.sender, operator, commitments[i]);
            emit EvRegistered(evId, msg.sender, commitments[i], operator);
        }
    }

    /// @notice Credit euro cents to EV balances (money paid in off chain).
    /// @dev Requirements: caller is an operator; arrays of equal, non-zero length; every EV
    ///      registered with the caller's organisation as its operator; every amount positive.
    ///      Emits {Deposited} per credit.
    function deposit(bytes32[] calldata evIds, uint128[] calldata amountsCents) external {
        _requireRole(_roles.OPERATOR_ROLE());
        uint256 count = evIds.length;
        if (count == 0 || amountsCents.length != count) revert P2PBadBatch();
        for (uint256 i = 0; i < count; ++i) {
            bytes32 evId = evIds[i];
            Ev storage ev_ = _evs[evId];
            if (ev_.agent == address(0)) revert P2PUnknownId(evId);
            if (!_roles.isSameOrganisation(ev_.operator, msg.sender)) {
                revert P2PNotEvOperator(evId, ev_.operator, msg.sender);
            }
            if (amountsCents[i] == 0) revert P2PZeroAmount(evId);
            Balance storage balance = _balances[evId];
            balance.available += amountsCents[i];
            emit Deposited(evId, amountsCents[i], balance.available, msg.sender);
        }
    }

    // ---------------------------------------------------------------- windows and trades

    /// @notice Open a trading window at a posted P2P price until `closesAt`, committing to its
    ///         sessions.
    /// @dev Requirements: caller is an operator; the id is new; the price is positive;
    ///      `closesAt` is after the current block's timestamp. Emits {WindowOpened}.
    /// @param recordHash salted hash of the window record: price, thresholds, charging sessions.
    /// @param closesAt unix time (block timestamp) from which the window takes no more trades.
    function openWindow(bytes32 windowId, uint64 priceMicroEurPerKwh, bytes32 recordHash, uint64 closesAt)
        external
    {
        _requireRole(_roles.OPERATOR_ROLE());
        if (_windows[windowId].operator != address(0)) revert P2PAlreadyExists(windowId);
        if (priceMicroEurPerKwh == 0) revert P2PZeroPrice(windowId);
        if (closesAt <= block.timestamp) revert P2PBadCloseTime(windowId, closesAt, block.timestamp);
        _windows[windowId] = Window(msg.sender, priceMicroEurPerKwh, recordHash, closesAt);
        emit WindowOpened(windowId, msg.sender, priceMicroEurPerKwh, recordHash, closesAt);
    }

    /// @notice Close a window now, before its close time: it takes no more trades. Its
    ///         Pending trades are still confirmed or rejected.
    /// @dev Requirements: caller is an operator, of the window's organisation; the window
    ///      exists and is open. Emits {WindowClosed}.
    function closeWindow(bytes32 windowId) external {
        _requireRole(_roles.OPERATOR_ROLE());
        Window storage win = _windows[windowId];
        if (win.operator == address(0)) revert P2PUnknownId(windowId);
        if (!_roles.isSameOrganisation(win.operator, msg.sender)) {
            revert P2PUnauthorizedOperator(windowId, win.operator, msg.sender);
        }
        if (block.timestamp >= win.closesAt) revert P2PWindowClosed(windowId, win.closesAt);
        win.closesAt = uint64(block.timestamp);
        emit WindowClosed(windowId, msg.sender, uint64(block.timestamp));
    }

    /// @notice Add Batch: create trades Pending, holding each cost from the buyer's balance.
    /// @dev Requirements: caller is the agent of every buyer EV; the batch is not empty; every
    ///      trade id new; its window open (the block's timestamp before the window's close
    ///      time); its seller registered and not the buyer; its energy
    ///      positive; its cost exactly {costCents} at the window's price; the buyer's available
    ///      balance covers it. Emits {TradeCreated} per trade.
    function addTrades(TradeTerms[] calldata terms) external {
        uint256 count = terms.length;
        if (count == 0) revert P2PBadBatch();
        for (uint256 i = 0; i < count; ++i) {
            TradeTerms calldata t = terms[i];
            if (_trades[t.tradeId] != bytes32(0)) revert P2PAlreadyExists(t.tradeId);
            Window storage win = _windows[t.windowId];
            if (win.operator == address(0)) revert P2PUnknownId(t.windowId);
            if (block.timestamp >= win.closesAt) revert P2PWindowClosed(t.windowId, win.closesAt);
            address agent = _evs[t.buyerEv].agent;
            if (agent == address(0)) revert P2PUnknownId(t.buyerEv);
            if (!_roles.isSameOrganisation(agent, msg.sender)) revert P2PNotOwner(t.buyerEv, msg.sender);
            if (_evs[t.sellerEv].agent == address(0)) revert P2PUnknownId(t.sellerEv);
            if (t.buyerEv == t.sellerEv) revert P2PSelfTrade(t.tradeId, t.buyerEv);
            if (t.energyWh == 0) revert P2PZeroEnergy(t.tradeId);
            uint128 expected = costCents(t.energyWh, win.priceMicroEurPerKwh);
            if (t.costCents != expected) revert P2PCostMismatch(t.tradeId, expected, t.costCents);
            Balance storage buyer = _balances[t.buyerEv];
            if (buyer.available < expected) revert P2PInsufficientFunds(t.buyerEv, buyer.available, expected);
            buyer.available -= expected;
            buyer.held += expected;
            _trades[t.tradeId] = _termsHash(t);
            emit TradeCreated(
                t.tradeId, t.windowId, t.buyerEv, t.sellerEv, t.energyWh, expected, win.operator
            );
        }
    }

    /// @notice The window's operator confirms the traded energy and cost: the held cost moves
    ///         to the seller and the trade is final.
    /// @dev Requirements: caller is an operator, the one of every trade's window; each trade
    ///      Pending; the terms restated exactly. Emits {TradeConfirmed} per trade.
    function confirmTrades(TradeTerms[] calldata terms) external {
        _requireRole(_roles.OPERATOR_ROLE());
        uint256 count = terms.length;
        if (count == 0) revert P2PBadBatch();
        for (uint256 i = 0; i < count; ++i) {
            TradeTerms calldata t = terms[i];
            _settle(t, _CONFIRMED);
            _balances[t.buyerEv].held -= t.costCents;
            _balances[t.sellerEv].available += t.costCents;
            emit TradeConfirmed(t.tradeId, msg.sender, t.costCents);
        }
    }

    /// @notice The window's operator rejects trades, with the hash of each one's reasons: the
    ///         held cost returns to the buyer.
    /// @dev Requirements as {confirmTrades}; every reason hash non-zero. Emits {TradeRejected}.
    function rejectTrades(TradeTerms[] calldata terms, bytes32[] calldata reasonHashes) external {
        _requireRole(_roles.OPERATOR_ROLE());
        uint256 count = terms.length;
        if (count == 0 || reasonHashes.length != count) revert P2PBadBatch();
        for (uint256 i = 0; i < count; ++i) {
            TradeTerms calldata t = terms[i];
            if (reasonHashes[i] == bytes32(0)) revert P2PMissingReason(t.tradeId);
            _settle(t, _REJECTED);
            Balance storage buyer = _balances[t.buyerEv];
            buyer.held -= t.costCents;
            buyer.available += t.costCents;
            emit TradeRejected(t.tradeId, msg.sender, reasonHashes[i]);
        }
    }

    // ---------------------------------------------------------------- views

    /// @notice The cost in euro cents of `energyWh` at `priceMicroEurPerKwh`, rounded to the
    ///         cent half to even (banker's rounding): 18,000 Wh at 0.15 EUR/kWh = 270 cents,
    ///         43,500 Wh = 652.5 -> 652 cents.
    function costCents(uint64 energyWh, uint64 priceMicroEurPerKwh) public pure returns (uint128) {
        uint256 scaled = uint256(energyWh) * priceMicroEurPerKwh;
        uint256 cents = scaled / _CENT_DIVISOR;
        uint256 twiceRemainder = (scaled % _CENT_DIVISOR) * 2;
        if (twiceRemainder > _CENT_DIVISOR || (twiceRemainder == _CENT_DIVISOR && cents % 2 == 1)) {
            cents += 1;
        }
        return uint128(cents);
    }

    /// @notice An EV's agent, operator and commitment (zero values when unknown).
    function ev(bytes32 evId) external view returns (Ev memory) {
        return _evs[evId];
    }

    /// @notice An EV's available and held cents.
    function balanceOf(bytes32 evId) external view returns (Balance memory) {
        return _balances[evId];
    }

    /// @notice A window's operator, posted price, record hash and close time.
    function window(bytes32 windowId) external view returns (Window memory) {
        return _windows[windowId];
    }

    /// @notice A trade's status, and its terms hash while it is Pending.
    function trade(bytes32 tradeId) external view returns (TradeRecord memory) {
        bytes32 value = _trades[tradeId];
        return TradeRecord(_statusOf(value), _statusOf(value) == TradeStatus.Pending ? value : bytes32(0));
    }

    /// @notice The hash a trade's terms are stored under.
    function termsHash(TradeTerms calldata terms) external pure returns (bytes32) {
        return _termsHash(terms);
    }

    /// @notice The roles contract this ledger trusts.
    function roles() external view returns (CbpRoles) {
        return _roles;
    }

    // ---------------------------------------------------------------- internals

    function _requireRole(bytes32 role) private view {
        if (!_roles.hasRole(msg.sender, role)) revert P2PUnauthorized(msg.sender, role);
    }

    /// @dev Decide the trade of `t`: it must exist, be Pending, have exactly these terms, and
    ///      belong to a window of the caller's organisation.
    function _settle(TradeTerms calldata t, bytes32 outcome) private {
        bytes32 value = _trades[t.tradeId];
        TradeStatus status = _statusOf(value);
        if (status == TradeStatus.None) revert P2PUnknownId(t.tradeId);
        if (status != TradeStatus.Pending) revert P2PTradeNotPending(t.tradeId, status);
        if (value != _termsHash(t)) revert P2PTermsMismatch(t.tradeId);
        address operator = _windows[t.windowId].operator;
        if (!_roles.isSameOrganisation(operator, msg.sender)) {
            revert P2PUnauthorizedOperator(t.tradeId, operator, msg.sender);
        }
        _trades[t.tradeId] = outcome;
    }

    function _statusOf(bytes32 value) private pure returns (TradeStatus) {
        if (value == bytes32(0)) return TradeStatus.None;
        if (value == _CONFIRMED) return TradeStatus.Confirmed;
        if (value == _REJECTED) return TradeStatus.Rejected;
        return TradeStatus.Pending;
    }

    function _termsHash(TradeTerms calldata t) private pure returns (bytes32) {
        return keccak256(abi.encode(t.tradeId, t.windowId, t.buyerEv, t.sellerEv, t.energyWh, t.costCents));
    }
}
