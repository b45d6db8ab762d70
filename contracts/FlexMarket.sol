// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CbpRoles} from "./CbpRoles.sol";
import {ResourceRegistry} from "./ResourceRegistry.sol";
import {CbpMulticall} from "./CbpMulticall.sol";

/// @title FlexMarket
/// @notice The flexibility market of the crowd balancing platform (FLOW D5.5 §3 user journey):
///         BSP bids on qualified UVAMs, the DSOs' grid checks (clear, cap or block), the TSO's
///         needs and their clearing into awards, and activations with the BSP's acknowledgement.
///         Measurement commitments live in {MeasurementLedger}.
/// @dev Gas: a bid keeps two storage slots (owner, status, gate closure, validity, pending DSO
///      checks; and the hash of its terms). Its terms travel in calldata and in events; calls
///      that need them later (DSO checks, awards, activations) pass them again and the contract
///      checks them against the stored hash. Awards are kept per bid and delivery period,
///      because activations are checked against them period by period ("no double activation").
///      Prices are integers in micro-EUR per MWh (6 decimals); powers are integer kW; delivery
///      periods are 15 minutes, identified by their start as a unix timestamp.
///      {CbpMulticall}: a signer's bids, checks and acknowledgements sent while its previous
///      transaction is pending go together into one transaction, each item with its own outcome
///      (about 430 bytes of code; the contract stays under the 24,576-byte EIP-170 limit).
contract FlexMarket is CbpMulticall {
    enum Direction {
        Up,
        Down
    }

    enum BidStatus {
        None,
        Received,
        Active,
        Suspended,
        Expired,
        Selected,
        Rejected,
        Withdrawn,
        Blocked
    }

    enum DsoOutcome {
        Cleared,
        Capped,
        Blocked
    }

    enum Pricing {
        PayAsBid,
        PayAsClear
    }

    enum NeedStatus {
        None,
        Open,
        Cleared
    }

    enum ActivationStatus {
        None,
        Sent,
        Accepted,
        Cancelled,
        Stopped,
        Lapsed
    }

    /// @notice Length of a delivery period (settlement period) in seconds.
    uint40 public constant PERIOD_SECONDS = 900;
    /// @notice Most periods one bid, need or activation may cover (one day).
    uint256 public constant MAX_PERIODS = 96;
    /// @notice Most DSO grids one admitted UVAM may span.
    uint256 public constant MAX_DSOS_PER_UVAM = 8;

    struct MarketConfig {
        uint32 gateClosureSeconds;
        uint32 activationNoticeSeconds;
        uint32 acknowledgementSeconds;
        bool open;
    }

    struct Admission {
        uint32 upKw;
        uint32 downKw;
        bytes16[] dsoEics;
    }

    struct BidTerms {
        bytes32 uvamId;
        bytes32 marketId;
        Direction direction;
        uint40 deliveryStart;
        uint40 validUntil;
        int64 priceMicroEurPerMwh;
        bool divisible;
        uint32[] quantitiesKw;
    }

    struct Bid {
        address bsp;
        BidStatus status;
        uint40 gateClosesAt;
        uint40 validUntil;
        uint8 pendingDsos;
        bytes32 termsHash;
    }

    struct DsoVerdict {
        BidTerms terms;
        DsoOutcome outcome;
        uint32[] cappedKw;
        uint8 reasonCode;
        bytes32 reasonsHash;
    }

    struct NeedTerms {
        bytes32 marketId;
        Direction direction;
        uint40 deliveryStart;
        uint32[] quantitiesKw;
        bool hasPriceLimit;
        int64 priceLimitMicroEurPerMwh;
        Pricing pricing;
    }

    struct Need {
        NeedStatus status;
        uint40 gateClosesAt;
        bytes32 termsHash;
        bytes32 resultHash;
    }

    struct AwardInput {
        bytes32 bidId;
        BidTerms terms;
        uint32[] awardedKw;
        int64[] pricesMicroEurPerMwh;
    }

    struct Award {
        uint32 awardedKw;
        uint32 activatedKw;
        int64 priceMicroEurPerMwh;
    }

    struct Activation {
        bytes32 bidId;
        bytes32 marketId;
        address bsp;
        ActivationStatus status;
        uint40 firstPeriod;
        uint40 ackDeadline;
        uint32[] setPointsKw;
    }

    int256 private constant _UNSET_PRICE = type(int256).min;

    CbpRoles private immutable _roles;
    ResourceRegistry private immutable _registry;

    mapping(bytes32 marketId => MarketConfig) private _markets;
    mapping(bytes32 uvamId => Admission) private _admissions;
    mapping(bytes32 bidId => Bid) private _bids;
    mapping(bytes32 needId => Need) private _needs;
    mapping(bytes32 bidId => mapping(uint40 periodStart => Award)) private _awards;
    mapping(bytes32 activationId => Activation) private _activations;

    /// @notice The caller lacks the role the action needs.
    error MarketUnauthorized(address account, bytes32 neededRole);
    /// @notice The caller is not the BSP that owns the bid, UVAM or activation_.
    error MarketNotOwner(bytes32 id, address account);
    /// @notice The caller is a DSO whose grid the bid's UVAM does not touch, or has checked it.
    error MarketNotCompetentDso(bytes32 bidId, address account);
    /// @notice The id is already taken.
    error MarketAlreadyExists(bytes32 id);
    /// @notice Nothing is recorded under this id.
    error MarketUnknownId(bytes32 id);
    /// @notice Array arguments of a batch call differ in length or are empty.
    error MarketBadBatch();
    /// @notice The market is not configured or not open for bids.
    error MarketClosedMarket(bytes32 marketId);
    /// @notice The UVAM is not qualified in the registry (status as the registry spells it).
    error MarketUvamNotQualified(bytes32 uvamId, ResourceRegistry.UvamStatus status);
    /// @notice The TSO has not admitted the UVAM to the market with its qualified powers.
    error MarketUvamNotAdmitted(bytes32 uvamId);
    /// @notice A quantity exceeds the UVAM's qualified power for the bid's direction.
    error MarketAboveQualifiedPower(bytes32 bidId, uint40 periodStart, uint32 quantityKw, uint32 qualifiedKw);
    /// @notice The gate of the bid's first delivery period has closed.
    error MarketGateClosed(bytes32 bidId, uint40 gateClosesAt, uint256 blockTime);
    /// @notice Periods not aligned to 15 minutes, none or too many, all quantities zero, or a
    ///         validity outside the delivery window.
    error MarketBadTerms(bytes32 id);
    /// @notice The terms passed do not hash to the ones recorded.
    error MarketTermsMismatch(bytes32 id);
    /// @notice The bid cannot move from `fromStatus` to `toStatus`.
    error MarketInvalidBidTransition(bytes32 bidId, BidStatus fromStatus, BidStatus toStatus);
    /// @notice The bid's validity has not ended yet.
    error MarketStillValid(bytes32 bidId, uint40 validUntil);
    /// @notice The DSO's cap raises a quantity, or caps nothing.
    error MarketBadCap(bytes32 bidId);
    /// @notice The need is not open for clearing.
    error MarketNeedNotOpen(bytes32 needId, NeedStatus needStatus);
    /// @notice The gate of the need's first period has not closed yet: bids may still come.
    error MarketGateNotClosed(bytes32 needId, uint40 gateClosesAt, uint256 blockTime);
    /// @notice The award does not fit the need (market, direction, window) or the bid's offer.
    error MarketAwardMismatch(bytes32 needId, bytes32 bidId);
    /// @notice The awards of one period add up to more than the need.
    error MarketNeedExceeded(bytes32 needId, uint40 periodStart, uint256 awardedKw, uint32 neededKw);
    /// @notice An award's price breaks the need's pricing rule or price limit.
    error MarketPriceRule(bytes32 bidId, uint40 periodStart, int64 priceMicroEurPerMwh);
    /// @notice The first set point starts sooner than the market's activation notice allows.
    error MarketNoticeTooShort(bytes32 activationId, uint40 periodStart, uint256 earliestStart);
    /// @notice A set point, with the activations already sent, exceeds what was awarded.
    error MarketBeyondAward(bytes32 activationId, uint40 periodStart, uint32 requestedKw, uint32 availableKw);
    /// @notice The activation cannot move from `fromStatus` to `toStatus`.
    error MarketInvalidActivationTransition(
        bytes32 activationId, ActivationStatus fromStatus, ActivationStatus toStatus
    );
    /// @notice The acknowledgement deadline has passed.
    error MarketAckDeadlinePassed(bytes32 activationId, uint40 ackDeadline);
    /// @notice The acknowledgement deadline has not passed yet.
    error MarketAckDeadlineNotReached(bytes32 activationId, uint40 ackDeadline);
    /// @notice The activation's delivery is over: it can no longer be changed or stopped.
    error MarketDeliveryOver(bytes32 activationId, uint40 deliveryEnd, uint256 blockTime);
    event MarketConfigured(bytes32 indexed marketId, MarketConfig config);
    event UvamAdmitted(bytes32 indexed uvamId, uint32 upKw, uint32 downKw, bytes16[] dsoEics);
    event BidSubmitted(bytes32 indexed bidId, bytes32 indexed uvamId, address indexed bsp, BidTerms terms, bytes32 termsHash);
    event BidUpdated(bytes32 indexed bidId, bytes32 indexed uvamId, address indexed bsp, BidTerms terms, bytes32 termsHash);
    /// @param detailHash hash of the reasons (suspension, DSO block), zero when none.
    event BidStatusChanged(
        bytes32 indexed bidId, BidStatus fromStatus, BidStatus toStatus, address indexed actor, bytes32 detailHash
    );
    /// @param cappedKw the quantities after the cap (empty unless the outcome is Capped).
    event BidChecked(
        bytes32 indexed bidId,
        bytes16 indexed dsoEic,
        DsoOutcome outcome,
        uint32[] cappedKw,
        uint8 reasonCode,
        bytes32 reasonsHash,
        bytes32 termsHash
    );
    /// @param gateClosesAt the gate of the need's first period: clearing waits for it.
    event NeedPublished(bytes32 indexed needId, NeedTerms terms, bytes32 termsHash, uint40 gateClosesAt);
    event NeedCleared(bytes32 indexed needId, bytes32 inputsHash, bytes32 resultHash, uint256 awarded, uint256 rejected);
    event BidAwarded(
        bytes32 indexed bidId, bytes32 indexed needId, uint40 deliveryStart, uint32[] awardedKw, int64[] pricesMicroEurPerMwh
    );
    event ActivationSent(
        bytes32 indexed activationId,
        bytes32 indexed bidId,
        address indexed bsp,
        bytes32 uvamId,
        uint40 firstPeriod,
        uint32[] setPointsKw,
        uint40 ackDeadline,
        bytes16[] dsoEics
    );
    event ActivationChanged(bytes32 indexed activationId, uint32[] setPointsKw, uint40 ackDeadline);
    event ActivationStatusChanged(
        bytes32 indexed activationId,
        ActivationStatus fromStatus,
        ActivationStatus toStatus,
        address indexed actor,
        bytes32 detailHash
    );
    constructor(CbpRoles roles, ResourceRegistry registry) {
        _roles = roles;
        _registry = registry;
    }

    // ---------------------------------------------------------------- configuration (TSO)

    /// @notice Create or change a market (product): its gate closure lead time, the minimum
    ///         notice of an activation and the BSP's acknowledgement window.
    /// @dev Requirements: caller is the TSO. Bids already received keep the gate closure they
    ///      were submitted under. Emits {MarketConfigured}.
    function configureMarket(bytes32 marketId, MarketConfig calldata config) external {
        _requireRole(_roles.TSO_ROLE());
        _markets[marketId] = config;
        emit MarketConfigured(marketId, config);
    }

    /// @notice Admit qualified UVAMs to the market with their qualified powers and the DSOs whose
    ///         grids their PODs are connected to (the DSOs that check their bids).
    /// @dev Requirements: caller is the TSO; each UVAM Qualified in the registry; 1 to 8 DSO
    ///      EICs each held by a DSO. Admitting again replaces the powers and DSOs.
    ///      Emits {UvamAdmitted} per UVAM.
    function admitUvams(
        bytes32[] calldata uvamIds,
        uint32[] calldata upKw,
        uint32[] calldata downKw,
        bytes16[][] calldata dsoEics
    ) external {
        _requireRole(_roles.TSO_ROLE());
        uint256 count = uvamIds.length;
        if (count == 0 || upKw.length != count || downKw.length != count || dsoEics.length != count) {
            revert MarketBadBatch();
        }
        bytes32 dsoRole = _roles.DSO_ROLE();
        for (uint256 i = 0; i < count; ++i) {
            ResourceRegistry.Uvam memory uvam_ = _registry.uvam(uvamIds[i]);
            if (uvam_.status != ResourceRegistry.UvamStatus.Qualified) {
                revert MarketUvamNotQualified(uvamIds[i], uvam_.status);
            }
            uint256 dsoCount = dsoEics[i].length;
            if (dsoCount == 0 || dsoCount > MAX_DSOS_PER_UVAM) revert MarketBadBatch();
            for (uint256 j = 0; j < dsoCount; ++j) {
                if (!_roles.hasRole(_roles.accountOf(dsoEics[i][j]), dsoRole)) {
                    revert MarketUnauthorized(_roles.accountOf(dsoEics[i][j]), dsoRole);
                }
            }
            _admissions[uvamIds[i]] = Admission(upKw[i], downKw[i], dsoEics[i]);
            emit UvamAdmitted(uvamIds[i], upKw[i], downKw[i], dsoEics[i]);
        }
    }

    // ---------------------------------------------------------------- bids (BSP)

    /// @notice Submit bids on the caller's qualified UVAMs, many in one transaction.
    /// @dev Requirements: caller is a BSP owning each UVAM, which is Qualified and admitted; the
    ///      market is open; periods aligned to 15 minutes (1 to 96 of them), each quantity at most
    ///      the UVAM's qualified power for the direction, not all zero; validity (zero: the end of
    ///      delivery) after now and not after the end of delivery; the gate of the first period
    ///      still open; ids new. A bid is Received until every DSO concerned has checked it.
    ///      Emits {BidSubmitted} per bid (which is its move to Received).
    function submitBids(bytes32[] calldata bidIds, BidTerms[] calldata terms) external {
        _requireRole(_roles.BSP_ROLE());
        uint256 count = bidIds.length;
        if (count == 0 || terms.length != count) revert MarketBadBatch();
        for (uint256 i = 0; i < count; ++i) {
            bytes32 bidId = bidIds[i];
            if (_bids[bidId].status != BidStatus.None) revert MarketAlreadyExists(bidId);
            _recordTerms(bidId, terms[i], BidStatus.None);
            emit BidSubmitted(bidId, terms[i].uvamId, msg.sender, terms[i], _bids[bidId].termsHash);
        }
    }

    /// @notice Replace the terms of the caller's bids before their gate closes; each goes back to
    ///         Received for a new DSO check.
    /// @dev Requirements: caller owns each bid, which is Received, Active or Suspended and whose
    ///      gate is open; the new terms pass every check of {submitBids}.
    ///      Emits {BidUpdated} and {BidStatusChanged} per bid.
    function updateBids(bytes32[] calldata bidIds, BidTerms[] calldata terms) external {
        uint256 count = bidIds.length;
        if (count == 0 || terms.length != count) revert MarketBadBatch();
        for (uint256 i = 0; i < count; ++i) {
            bytes32 bidId = bidIds[i];
            Bid storage bid_ = _ownedBid(bidId);
            BidStatus current = bid_.status;
            if (current != BidStatus.Received && current != BidStatus.Active && current != BidStatus.Suspended) {
                revert MarketInvalidBidTransition(bidId, current, BidStatus.Received);
            }
            _requireGateOpen(bidId, bid_.gateClosesAt);
            _recordTerms(bidId, terms[i], current);
            emit BidUpdated(bidId, terms[i].uvamId, msg.sender, terms[i], bid_.termsHash);
        }
    }

    /// @notice Withdraw the caller's bids before their gate closes.
    /// @dev Requirements: caller owns each bid, Received, Active or Suspended, gate open.
    ///      Emits {BidStatusChanged}.
    function withdrawBids(bytes32[] calldata bidIds) external {
        if (bidIds.length == 0) revert MarketBadBatch();
        for (uint256 i = 0; i < bidIds.length; ++i) {
            Bid storage bid_ = _ownedBid(bidIds[i]);
            BidStatus current = bid_.status;
            if (current != BidStatus.Received && current != BidStatus.Active && current != BidStatus.Suspended) {
                revert MarketInvalidBidTransition(bidIds[i], current, BidStatus.Withdrawn);
            }
            _requireGateOpen(bidIds[i], bid_.gateClosesAt);
            _moveBid(bidIds[i], bid_, BidStatus.Withdrawn, bytes32(0));
        }
    }

    /// @notice The BSP declares it cannot deliver: its Received or Active bids become Suspended
    ///         (at any time before clearing); an update before gate closure revives them.
    /// @dev Emits {BidStatusChanged} with the hash of the reasons.
    function suspendBids(bytes32[] calldata bidIds, bytes32 reasonsHash) external {
        if (bidIds.length == 0) revert MarketBadBatch();
        for (uint256 i = 0; i < bidIds.length; ++i) {
            Bid storage bid_ = _ownedBid(bidIds[i]);
            BidStatus current = bid_.status;
            if (current != BidStatus.Received && current != BidStatus.Active) {
                revert MarketInvalidBidTransition(bidIds[i], current, BidStatus.Suspended);
            }
            _moveBid(bidIds[i], bid_, BidStatus.Suspended, reasonsHash);
        }
    }

    /// @notice Mark bids whose validity has ended as Expired (anyone may call: housekeeping).
    /// @dev Requirements: each bid Received, Active or Suspended and past its validity.
    ///      Emits {BidStatusChanged}.
    function expireBids(bytes32[] calldata bidIds) external {
        if (bidIds.length == 0) revert MarketBadBatch();
        for (uint256 i = 0; i < bidIds.length; ++i) {
            Bid storage bid_ = _existingBid(bidIds[i]);
            BidStatus current = bid_.status;
            if (current != BidStatus.Received && current != BidStatus.Active && current != BidStatus.Suspended) {
                revert MarketInvalidBidTransition(bidIds[i], current, BidStatus.Expired);
            }
            if (block.timestamp < bid_.validUntil) revert MarketStillValid(bidIds[i], bid_.validUntil);
            _moveBid(bidIds[i], bid_, BidStatus.Expired, bytes32(0));
        }
    }

    // ---------------------------------------------------------------- DSO checks

    /// @notice The caller DSO's verdict on received bids of UVAMs in its grid: cleared, capped
    ///         (new quantities, each at most the offered one) or blocked, with the reasons' hash
    ///         and a reason code. A bid becomes Active once every DSO concerned has cleared or
    ///         capped it, Blocked as soon as one blocks it.
    /// @dev Requirements: caller is a DSO listed for the bid's UVAM that has not checked it yet;
    ///      the bid is Received; the terms match. Emits {BidChecked}, and {BidStatusChanged} when
    ///      the bid becomes Active or Blocked.
    function checkBids(bytes32[] calldata bidIds, DsoVerdict[] calldata verdicts) external {
        uint256 count = bidIds.length;
        if (count == 0 || verdicts.length != count) revert MarketBadBatch();
        (bytes32 role, bytes16 eic) = _roles.memberOf(msg.sender);
        if (role != _roles.DSO_ROLE()) revert MarketUnauthorized(msg.sender, _roles.DSO_ROLE());
        for (uint256 i = 0; i < count; ++i) {
            _check(bidIds[i], verdicts[i], eic);
        }
    }

    // ---------------------------------------------------------------- needs and awards (TSO)

    /// @notice The TSO states a need: market, direction, quantity per period, optional price
    ///         limit, pricing rule. Its gate closes when that of its first period does, under
    ///         the market's gate closure of now.
    /// @dev Requirements: caller is the TSO; id new; periods aligned (1 to 96).
    ///      Emits {NeedPublished}.
    function publishNeed(bytes32 needId, NeedTerms calldata terms) external {
        _requireRole(_roles.TSO_ROLE());
        if (_needs[needId].status != NeedStatus.None) revert MarketAlreadyExists(needId);
        uint256 periods = terms.quantitiesKw.length;
        if (periods == 0 || periods > MAX_PERIODS || terms.deliveryStart % PERIOD_SECONDS != 0) {
            revert MarketBadTerms(needId);
        }
        bytes32 termsHash = keccak256(abi.encode(terms));
        uint40 gateClosesAt = _gateOf(terms.deliveryStart, _markets[terms.marketId].gateClosureSeconds);
        _needs[needId] = Need(NeedStatus.Open, gateClosesAt, termsHash, bytes32(0));
        emit NeedPublished(needId, terms, termsHash, gateClosesAt);
    }

    /// @notice Record the clearing of an open need: the awards (quantity and price per period of
    ///         each selected bid) and the bids considered but not selected, with the hashes of
    ///         the clearing's inputs and result (so that anyone can rerun it and compare).
    /// @dev Requirements: caller is the TSO; the need is Open, its gate closed (a bid on time
    ///      is never shut out) and its terms match; each awarded
    ///      bid Active, of the need's market and direction, with matching terms; awards only in
    ///      the need's periods, each at most the offer, adding up to at most the need per period;
    ///      prices: pay-as-bid the bid's price, pay-as-clear one price per period not below any
    ///      awarded bid's; none above the price limit. Awarded bids become Selected, the others
    ///      listed Rejected. Emits {BidAwarded} and {BidStatusChanged} per bid, {NeedCleared}.
    function clearNeed(
        bytes32 needId,
        NeedTerms calldata terms,
        bytes32 inputsHash,
        bytes32 resultHash,
        AwardInput[] calldata awards,
        bytes32[] calldata rejectedBidIds
    ) external {
        _requireRole(_roles.TSO_ROLE());
        Need storage need_ = _needs[needId];
        if (need_.status != NeedStatus.Open) revert MarketNeedNotOpen(needId, need_.status);
        if (block.timestamp < need_.gateClosesAt) revert MarketGateNotClosed(needId, need_.gateClosesAt, block.timestamp);
        if (keccak256(abi.encode(terms)) != need_.termsHash) revert MarketTermsMismatch(needId);
        _awardAll(needId, terms, awards);
        _rejectAll(needId, rejectedBidIds);
        need_.status = NeedStatus.Cleared;
        need_.resultHash = resultHash;
        emit NeedCleared(needId, inputsHash, resultHash, awards.length, rejectedBidIds.length);
    }

    // ---------------------------------------------------------------- activations

    /// @notice The TSO sends set points (kW per period, from `firstPeriod`) to the UVAM of a
    ///         selected bid. The BSP must acknowledge before the market's acknowledgement window
    ///         ends.
    /// @dev Requirements: caller is the TSO; id new; the bid Selected with matching terms; the
    ///      first period at least the market's notice ahead; for every period the set point plus
    ///      what other live activations of the bid already use at most the award.
    ///      Emits {ActivationSent} (with the DSOs of the UVAM's grid, who are informed).
    function sendActivation(
        bytes32 activationId,
        bytes32 bidId,
        BidTerms calldata terms,
        uint40 firstPeriod,
        uint32[] calldata setPointsKw
    ) external {
        _requireRole(_roles.TSO_ROLE());
        if (_activations[activationId].status != ActivationStatus.None) revert MarketAlreadyExists(activationId);
        Bid storage bid_ = _existingBid(bidId);
        if (bid_.status != BidStatus.Selected) revert MarketInvalidBidTransition(bidId, bid_.status, BidStatus.Selected);
        if (keccak256(abi.encode(terms)) != bid_.termsHash) revert MarketTermsMismatch(bidId);
        if (setPointsKw.length == 0 || setPointsKw.length > MAX_PERIODS || firstPeriod % PERIOD_SECONDS != 0) {
            revert MarketBadTerms(activationId);
        }
        _reserveAll(activationId, bidId, terms.marketId, firstPeriod, setPointsKw);
        address bsp = bid_.bsp;
        uint40 deadline = uint40(block.timestamp) + _markets[terms.marketId].acknowledgementSeconds;
        _activations[activationId] =
            Activation(bidId, terms.marketId, bsp, ActivationStatus.Sent, firstPeriod, deadline, setPointsKw);
        _emitSent(activationId, terms.uvamId);
        emit ActivationStatusChanged(activationId, ActivationStatus.None, ActivationStatus.Sent, msg.sender, bytes32(0));
    }

    /// @notice The BSP acknowledges an activation (Accepted) or refuses it (Cancelled, which
    ///         releases its set points) before the deadline.
    /// @dev Requirements: caller is the activation's BSP; it is Sent; the deadline has not
    ///      passed. Emits {ActivationStatusChanged}.
    function acknowledgeActivation(bytes32 activationId, bool accept, bytes32 reasonsHash) external {
        Activation storage activation_ = _existingActivation(activationId);
        _requireOwner(activation_.bsp, activationId);
        ActivationStatus target = accept ? ActivationStatus.Accepted : ActivationStatus.Cancelled;
        if (activation_.status != ActivationStatus.Sent) {
            revert MarketInvalidActivationTransition(activationId, activation_.status, target);
        }
        if (block.timestamp > activation_.ackDeadline) revert MarketAckDeadlinePassed(activationId, activation_.ackDeadline);
        if (!accept) _releaseFrom(activation_, 0);
        _moveActivation(activationId, activation_, target, reasonsHash);
    }

    /// @notice The TSO changes the set points of a live activation; a changed period must still
    ///         be the market's notice ahead. The BSP acknowledges again.
    /// @dev Requirements: caller is the TSO; the activation Sent or Accepted and its delivery
    ///      not over; same number of periods; the award respected. Emits {ActivationChanged} and
    ///      {ActivationStatusChanged}.
    function changeActivation(bytes32 activationId, uint32[] calldata setPointsKw) external {
        _requireRole(_roles.TSO_ROLE());
        Activation storage activation_ = _existingActivation(activationId);
        ActivationStatus current = activation_.status;
        if (current != ActivationStatus.Sent && current != ActivationStatus.Accepted) {
            revert MarketInvalidActivationTransition(activationId, current, ActivationStatus.Sent);
        }
        _requireDeliveryNotOver(activationId, activation_);
        uint256 periods = activation_.setPointsKw.length;
        if (setPointsKw.length != periods) revert MarketBadTerms(activationId);
        MarketConfig storage config = _markets[activation_.marketId];
        uint256 earliest = block.timestamp + config.activationNoticeSeconds;
        for (uint256 p = 0; p < periods; ++p) {
            uint32 previous = activation_.setPointsKw[p];
            if (setPointsKw[p] == previous) continue;
            uint40 periodStart = activation_.firstPeriod + uint40(p) * PERIOD_SECONDS;
            if (periodStart < earliest) revert MarketNoticeTooShort(activationId, periodStart, earliest);
            _awards[activation_.bidId][periodStart].activatedKw -= previous;
            _reserve(activationId, activation_.bidId, periodStart, setPointsKw[p]);
            activation_.setPointsKw[p] = setPointsKw[p];
        }
        uint40 deadline = uint40(block.timestamp) + config.acknowledgementSeconds;
        activation_.ackDeadline = deadline;
        emit ActivationChanged(activationId, setPointsKw, deadline);
        if (current != ActivationStatus.Sent) {
            _moveActivation(activationId, activation_, ActivationStatus.Sent, bytes32(0));
        }
    }

    /// @notice The TSO stops a live activation: the set points of periods not yet started are
    ///         released.
    /// @dev Requirements: caller is the TSO; the activation Sent or Accepted and its delivery
    ///      not over. Emits {ActivationStatusChanged}.
    function stopActivation(bytes32 activationId, bytes32 reasonsHash) external {
        _requireRole(_roles.TSO_ROLE());
        Activation storage activation_ = _existingActivation(activationId);
        if (activation_.status != ActivationStatus.Sent && activation_.status != ActivationStatus.Accepted) {
            revert MarketInvalidActivationTransition(activationId, activation_.status, ActivationStatus.Stopped);
        }
        _requireDeliveryNotOver(activationId, activation_);
        _releaseFrom(activation_, block.timestamp);
        _moveActivation(activationId, activation_, ActivationStatus.Stopped, reasonsHash);
    }

    /// @notice Activations not acknowledged by their deadline lapse and release their set points
    ///         (anyone may call: housekeeping).
    /// @dev Requirements: each activation Sent and past its deadline. Emits {ActivationStatusChanged}.
    function lapseActivations(bytes32[] calldata activationIds) external {
        if (activationIds.length == 0) revert MarketBadBatch();
        for (uint256 i = 0; i < activationIds.length; ++i) {
            Activation storage activation_ = _existingActivation(activationIds[i]);
            if (activation_.status != ActivationStatus.Sent) {
                revert MarketInvalidActivationTransition(activationIds[i], activation_.status, ActivationStatus.Lapsed);
            }
            if (block.timestamp <= activation_.ackDeadline) {
                revert MarketAckDeadlineNotReached(activationIds[i], activation_.ackDeadline);
            }
            _releaseFrom(activation_, 0);
            _moveActivation(activationIds[i], activation_, ActivationStatus.Lapsed, bytes32(0));
        }
    }

    // ---------------------------------------------------------------- views

    /// @notice A market's configuration.
    function market(bytes32 marketId) external view returns (MarketConfig memory) {
        return _markets[marketId];
    }

    /// @notice A UVAM's admission: qualified powers and the DSOs of its grid.
    function admission(bytes32 uvamId) external view returns (Admission memory) {
        return _admissions[uvamId];
    }

    /// @notice A bid's owner, status, gate closure, validity, pending DSO checks, terms hash.
    function bid(bytes32 bidId) external view returns (Bid memory) {
        return _bids[bidId];
    }

    /// @notice A need's status, gate closure, terms hash and clearing result hash.
    function need(bytes32 needId) external view returns (Need memory) {
        return _needs[needId];
    }

    /// @notice What a bid was awarded for one period, and how much of it is activated.
    function award(bytes32 bidId, uint40 periodStart) external view returns (Award memory) {
        return _awards[bidId][periodStart];
    }

    /// @notice An activation_.
    function activation(bytes32 activationId) external view returns (Activation memory) {
        return _activations[activationId];
    }

    // ---------------------------------------------------------------- internals

    function _requireRole(bytes32 role) private view {
        if (!_roles.hasRole(msg.sender, role)) revert MarketUnauthorized(msg.sender, role);
    }

    function _requireGateOpen(bytes32 bidId, uint40 gateClosesAt) private view {
        if (block.timestamp >= gateClosesAt) revert MarketGateClosed(bidId, gateClosesAt, block.timestamp);
    }

    function _requireDeliveryNotOver(bytes32 activationId, Activation storage activation_) private view {
        uint40 deliveryEnd = activation_.firstPeriod + uint40(activation_.setPointsKw.length) * PERIOD_SECONDS;
        if (block.timestamp >= deliveryEnd) revert MarketDeliveryOver(activationId, deliveryEnd, block.timestamp);
    }

    /// The gate of a delivery starting at `start`: `gateClosureSeconds` before it (0 if sooner).
    function _gateOf(uint40 start, uint32 gateClosureSeconds) private pure returns (uint40) {
        return start > gateClosureSeconds ? start - gateClosureSeconds : 0;
    }

    function _existingBid(bytes32 bidId) private view returns (Bid storage bid_) {
        bid_ = _bids[bidId];
        if (bid_.status == BidStatus.None) revert MarketUnknownId(bidId);
    }

    /// The caller acts for the organisation of `owner` (the same account, or its account after
    /// a key rotation).
    function _requireOwner(address owner, bytes32 id) private view {
        if (!_roles.isSameOrganisation(owner, msg.sender)) revert MarketNotOwner(id, msg.sender);
    }

    function _ownedBid(bytes32 bidId) private view returns (Bid storage bid_) {
        bid_ = _existingBid(bidId);
        _requireOwner(bid_.bsp, bidId);
    }

    function _existingActivation(bytes32 activationId) private view returns (Activation storage activation_) {
        activation_ = _activations[activationId];
        if (activation_.status == ActivationStatus.None) revert MarketUnknownId(activationId);
    }

    /// Checks new terms (submission or update) and stores them; the bid becomes Received.
    function _recordTerms(bytes32 bidId, BidTerms calldata terms, BidStatus from) private {
        (uint256 dsoCount, uint32 qualified) = _checkUvam(terms.uvamId, terms.direction);
        MarketConfig storage config = _markets[terms.marketId];
        if (!config.open) revert MarketClosedMarket(terms.marketId);
        uint40 validUntil = _checkQuantities(bidId, terms, qualified);
        uint40 start = terms.deliveryStart;
        uint40 gateClosesAt = _gateOf(start, config.gateClosureSeconds);
        _requireGateOpen(bidId, gateClosesAt);

        Bid storage bid_ = _bids[bidId];
        bid_.bsp = msg.sender;
        bid_.gateClosesAt = gateClosesAt;
        bid_.validUntil = validUntil;
        bid_.pendingDsos = uint8((1 << dsoCount) - 1);
        bid_.termsHash = keccak256(abi.encode(terms));
        bid_.status = BidStatus.Received;
        // A new bid is Received by {BidSubmitted} itself: no second event on the hot path.
        if (from != BidStatus.None) emit BidStatusChanged(bidId, from, BidStatus.Received, msg.sender, bytes32(0));
    }

    /// The caller owns the UVAM, which is qualified and admitted; returns its DSO count and its
    /// qualified power for `direction`.
    function _checkUvam(bytes32 uvamId, Direction direction) private view returns (uint256, uint32) {
        ResourceRegistry.Uvam memory uvam_ = _registry.uvam(uvamId);
        if (uvam_.status == ResourceRegistry.UvamStatus.None) revert MarketUnknownId(uvamId);
        _requireOwner(uvam_.bsp, uvamId);
        if (uvam_.status != ResourceRegistry.UvamStatus.Qualified) {
            revert MarketUvamNotQualified(uvamId, uvam_.status);
        }
        Admission storage admission_ = _admissions[uvamId];
        uint256 dsoCount = admission_.dsoEics.length;
        if (dsoCount == 0) revert MarketUvamNotAdmitted(uvamId);
        return (dsoCount, direction == Direction.Up ? admission_.upKw : admission_.downKw);
    }

    /// Periods aligned, quantities within the qualified power and not all zero, validity inside
    /// the delivery window; returns the validity end.
    function _checkQuantities(bytes32 bidId, BidTerms calldata terms, uint32 qualified) private view returns (uint40) {
        uint256 periods = terms.quantitiesKw.length;
        uint40 start = terms.deliveryStart;
        if (periods == 0 || periods > MAX_PERIODS || start % PERIOD_SECONDS != 0) revert MarketBadTerms(bidId);
        uint40 deliveryEnd = start + uint40(periods) * PERIOD_SECONDS;
        uint40 validUntil = terms.validUntil == 0 ? deliveryEnd : terms.validUntil;
        if (validUntil <= block.timestamp || validUntil > deliveryEnd) revert MarketBadTerms(bidId);
        bool anyQuantity = false;
        for (uint256 p = 0; p < periods; ++p) {
            uint32 quantity = terms.quantitiesKw[p];
            if (quantity > qualified) {
                revert MarketAboveQualifiedPower(bidId, start + uint40(p) * PERIOD_SECONDS, quantity, qualified);
            }
            anyQuantity = anyQuantity || quantity > 0;
        }
        if (!anyQuantity) revert MarketBadTerms(bidId);
        return validUntil;
    }

    function _check(bytes32 bidId, DsoVerdict calldata verdict, bytes16 eic) private {
        Bid storage bid_ = _existingBid(bidId);
        if (bid_.status != BidStatus.Received) {
            revert MarketInvalidBidTransition(bidId, bid_.status, BidStatus.Active);
        }
        if (keccak256(abi.encode(verdict.terms)) != bid_.termsHash) revert MarketTermsMismatch(bidId);
        uint8 bit = _dsoBit(verdict.terms.uvamId, eic);
        if (bit == 0 || bid_.pendingDsos & bit == 0) revert MarketNotCompetentDso(bidId, msg.sender);
        bid_.pendingDsos &= ~bit;
        if (verdict.outcome == DsoOutcome.Capped) {
            bid_.termsHash = _cappedTermsHash(bidId, verdict);
        }
        emit BidChecked(
            bidId, eic, verdict.outcome, verdict.cappedKw, verdict.reasonCode, verdict.reasonsHash, bid_.termsHash
        );
        if (verdict.outcome == DsoOutcome.Blocked) {
            bid_.pendingDsos = 0;
            _moveBid(bidId, bid_, BidStatus.Blocked, verdict.reasonsHash);
        } else if (bid_.pendingDsos == 0) {
            _moveBid(bidId, bid_, BidStatus.Active, bytes32(0));
        }
    }

    function _dsoBit(bytes32 uvamId, bytes16 eic) private view returns (uint8) {
        bytes16[] storage eics = _admissions[uvamId].dsoEics;
        for (uint256 j = 0; j < eics.length; ++j) {
            if (eics[j] == eic) return uint8(1 << j);
        }
        return 0;
    }

    function _cappedTermsHash(bytes32 bidId, DsoVerdict calldata verdict) private pure returns (bytes32) {
        uint32[] calldata offered = verdict.terms.quantitiesKw;
        uint32[] calldata capped = verdict.cappedKw;
        if (capped.length != offered.length) revert MarketBadCap(bidId);
        bool lowered = false;
        bool anyLeft = false;
        for (uint256 p = 0; p < offered.length; ++p) {
            if (capped[p] > offered[p]) revert MarketBadCap(bidId);
            lowered = lowered || capped[p] < offered[p];
            anyLeft = anyLeft || capped[p] > 0;
        }
        if (!lowered || !anyLeft) revert MarketBadCap(bidId);
        BidTerms memory terms = verdict.terms;
        terms.quantitiesKw = capped;
        return keccak256(abi.encode(terms));
    }

    function _awardAll(bytes32 needId, NeedTerms calldata terms, AwardInput[] calldata awards) private {
        uint256 periods = terms.quantitiesKw.length;
        uint256[] memory totals = new uint256[](periods);
        int256[] memory clearingPrices = new int256[](periods);
        for (uint256 p = 0; p < periods; ++p) {
            clearingPrices[p] = _UNSET_PRICE;
        }
        for (uint256 i = 0; i < awards.length; ++i) {
            _award(needId, terms, awards[i], totals, clearingPrices);
        }
        for (uint256 p = 0; p < periods; ++p) {
            if (totals[p] > terms.quantitiesKw[p]) {
                revert MarketNeedExceeded(
                    needId, terms.deliveryStart + uint40(p) * PERIOD_SECONDS, totals[p], terms.quantitiesKw[p]
                );
            }
        }
    }

    function _rejectAll(bytes32 needId, bytes32[] calldata bidIds) private {
        for (uint256 i = 0; i < bidIds.length; ++i) {
            Bid storage bid_ = _existingBid(bidIds[i]);
            if (bid_.status != BidStatus.Active) {
                revert MarketInvalidBidTransition(bidIds[i], bid_.status, BidStatus.Rejected);
            }
            _moveBid(bidIds[i], bid_, BidStatus.Rejected, needId);
        }
    }

    function _award(
        bytes32 needId,
        NeedTerms calldata need_,
        AwardInput calldata input,
        uint256[] memory totals,
        int256[] memory clearingPrices
    ) private {
        bytes32 bidId = input.bidId;
        Bid storage bid_ = _existingBid(bidId);
        if (bid_.status != BidStatus.Active) revert MarketInvalidBidTransition(bidId, bid_.status, BidStatus.Selected);
        BidTerms calldata terms = input.terms;
        if (keccak256(abi.encode(terms)) != bid_.termsHash) revert MarketTermsMismatch(bidId);
        uint256 periods = terms.quantitiesKw.length;
        if (
            terms.marketId != need_.marketId || terms.direction != need_.direction
                || input.awardedKw.length != periods || input.pricesMicroEurPerMwh.length != periods
        ) revert MarketAwardMismatch(needId, bidId);
        for (uint256 p = 0; p < periods; ++p) {
            uint32 awarded = input.awardedKw[p];
            if (awarded == 0) continue;
            uint40 periodStart = terms.deliveryStart + uint40(p) * PERIOD_SECONDS;
            if (awarded > terms.quantitiesKw[p] || periodStart < need_.deliveryStart) revert MarketAwardMismatch(needId, bidId);
            uint256 index = (periodStart - need_.deliveryStart) / PERIOD_SECONDS;
            if (index >= totals.length) revert MarketAwardMismatch(needId, bidId);
            int64 price = input.pricesMicroEurPerMwh[p];
            _checkPrice(need_, terms.priceMicroEurPerMwh, price, clearingPrices, index, bidId, periodStart);
            totals[index] += awarded;
            _awards[bidId][periodStart] = Award(awarded, 0, price);
        }
        _moveBid(bidId, bid_, BidStatus.Selected, needId);
        emit BidAwarded(bidId, needId, terms.deliveryStart, input.awardedKw, input.pricesMicroEurPerMwh);
    }

    function _checkPrice(
        NeedTerms calldata need_,
        int64 bidPrice,
        int64 price,
        int256[] memory clearingPrices,
        uint256 index,
        bytes32 bidId,
        uint40 periodStart
    ) private pure {
        bool ok = need_.pricing == Pricing.PayAsBid ? price == bidPrice : price >= bidPrice;
        if (ok && need_.hasPriceLimit) ok = bidPrice <= need_.priceLimitMicroEurPerMwh && price <= need_.priceLimitMicroEurPerMwh;
        if (ok && need_.pricing == Pricing.PayAsClear) {
            // One clearing price per period: the first award of the period fixes it.
            if (clearingPrices[index] == _UNSET_PRICE) clearingPrices[index] = price;
            ok = clearingPrices[index] == price;
        }
        if (!ok) revert MarketPriceRule(bidId, periodStart, price);
    }

    function _emitSent(bytes32 activationId, bytes32 uvamId) private {
        Activation storage activation_ = _activations[activationId];
        emit ActivationSent(
            activationId,
            activation_.bidId,
            activation_.bsp,
            uvamId,
            activation_.firstPeriod,
            activation_.setPointsKw,
            activation_.ackDeadline,
            _admissions[uvamId].dsoEics
        );
    }

    function _reserveAll(
        bytes32 activationId,
        bytes32 bidId,
        bytes32 marketId,
        uint40 firstPeriod,
        uint32[] calldata setPointsKw
    ) private {
        uint256 earliest = block.timestamp + _markets[marketId].activationNoticeSeconds;
        if (firstPeriod < earliest) revert MarketNoticeTooShort(activationId, firstPeriod, earliest);
        for (uint256 p = 0; p < setPointsKw.length; ++p) {
            _reserve(activationId, bidId, firstPeriod + uint40(p) * PERIOD_SECONDS, setPointsKw[p]);
        }
    }

    function _reserve(bytes32 activationId, bytes32 bidId, uint40 periodStart, uint32 setPoint) private {
        if (setPoint == 0) return;
        Award storage award_ = _awards[bidId][periodStart];
        uint32 available = award_.awardedKw - award_.activatedKw;
        if (setPoint > available) revert MarketBeyondAward(activationId, periodStart, setPoint, available);
        award_.activatedKw += setPoint;
    }

    /// Releases the set points of periods starting at or after `from` (0: all of them).
    function _releaseFrom(Activation storage activation_, uint256 from) private {
        uint256 periods = activation_.setPointsKw.length;
        for (uint256 p = 0; p < periods; ++p) {
            uint40 periodStart = activation_.firstPeriod + uint40(p) * PERIOD_SECONDS;
            uint32 setPoint = activation_.setPointsKw[p];
            if (setPoint == 0 || periodStart < from) continue;
            _awards[activation_.bidId][periodStart].activatedKw -= setPoint;
            activation_.setPointsKw[p] = 0;
        }
    }

    function _moveBid(bytes32 bidId, Bid storage bid_, BidStatus to, bytes32 detailHash) private {
        BidStatus from = bid_.status;
        bid_.status = to;
        emit BidStatusChanged(bidId, from, to, msg.sender, detailHash);
    }

    function _moveActivation(
        bytes32 activationId,
        Activation storage activation_,
        ActivationStatus to,
        bytes32 detailHash
    ) private {
        ActivationStatus from = activation_.status;
        activation_.status = to;
        emit ActivationStatusChanged(activationId, from, to, msg.sender, detailHash);
    }
}
