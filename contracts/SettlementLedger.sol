// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CbpRoles} from "./CbpRoles.sol";
import {FlexMarket} from "./FlexMarket.sol";

/// @title SettlementLedger
/// @notice The settlement of each activation (issue 4): the TSO records the hash of the settlement
///         record (method, parameters, Merkle roots of the data used, per-period results, totals)
///         computed off chain; the BSP accepts it or disputes it, with the hash of its reason,
///         before the answer deadline; the TSO resolves a dispute by confirming the settlement or
///         by recording a re-settlement as a new version, which the BSP answers again. An accepted
///         or confirmed settlement is Final; so is one whose window lapsed unanswered, once anyone
///         calls {finalise}. Every version's hash stays readable. A settlement is recorded only
///         for an accepted (or stopped) activation of `FlexMarket` whose delivery has ended, for
///         the activation's BSP.
/// @dev One settlement per activation, keyed by the activation id; versions start at 1.
contract SettlementLedger {
    enum Status {
        None,
        Recorded,
        Disputed,
        Final
    }

    struct Settlement {
        bytes32 settlementHash;
        address bsp;
        uint32 version;
        uint40 recordedAt;
        uint40 answerDeadline;
        Status status;
        bytes32 disputeReason;
    }

    CbpRoles private immutable _roles;
    FlexMarket private immutable _market;

    mapping(bytes32 activationId => Settlement) private _settlements;
    mapping(bytes32 activationId => mapping(uint32 version => bytes32 settlementHash)) private _hashes;

    /// @notice The caller is not the TSO (record, resolve).
    error SettlementUnauthorizedTso(address account);
    /// @notice The caller is not the BSP the settlement was recorded for (accept, dispute).
    error SettlementUnauthorizedBsp(bytes32 activationId, address account, address bsp);
    /// @notice The activation already has a settlement: re-settle through a dispute.
    error SettlementAlreadyRecorded(bytes32 activationId);
    /// @notice No settlement is recorded for the activation.
    error SettlementUnknownId(bytes32 activationId);
    /// @notice A zero hash, a zero BSP address or an answer deadline not in the future.
    error SettlementInvalid(bytes32 activationId);
    /// @notice The settlement is not in the status the call needs.
    error SettlementWrongStatus(bytes32 activationId, Status settlementStatus, Status neededStatus);
    /// @notice The answer refers to a version that is not the current one.
    error SettlementStaleVersion(bytes32 activationId, uint32 version, uint32 currentVersion);
    /// @notice The BSP answers after the deadline.
    error SettlementAnswerLate(bytes32 activationId, uint40 answerDeadline, uint256 blockTime);
    /// @notice The activation's last delivery period has not ended yet: nothing to settle.
    error SettlementDeliveryNotEnded(bytes32 activationId, uint256 deliveryEnd, uint256 blockTime);
    /// @notice The activation is not accepted or stopped on the market, or `bsp` is not its BSP.
    error SettlementNotSettleable(bytes32 activationId);
    /// @notice The answer window is still open, so the settlement cannot be finalised by lapse.
    error SettlementWindowOpen(bytes32 activationId, uint40 answerDeadline, uint256 blockTime);

    /// @notice Version `version` of the settlement of `activationId` is recorded with its hash;
    ///         `bsp` answers before `answerDeadline`.
    event SettlementRecorded(
        bytes32 indexed activationId,
        uint32 version,
        bytes32 settlementHash,
        address indexed bsp,
        uint40 answerDeadline
    );
    /// @notice The BSP accepted version `version`.
    event SettlementAccepted(bytes32 indexed activationId, uint32 version, address indexed bsp);
    /// @notice The BSP disputed version `version`, for the reason whose hash is `reasonHash`.
    event SettlementDisputed(bytes32 indexed activationId, uint32 version, address indexed bsp, bytes32 reasonHash);
    /// @notice The TSO confirmed the disputed version `version`.
    event SettlementConfirmed(bytes32 indexed activationId, uint32 version);
    /// @notice Version `version` is final; `settlementHash` is the settled record.
    event SettlementFinalised(bytes32 indexed activationId, uint32 version, bytes32 settlementHash);

    constructor(CbpRoles roles, FlexMarket market) {
        _roles = roles;
        _market = market;
    }

    modifier onlyTso() {
        if (!_roles.hasRole(msg.sender, _roles.TSO_ROLE())) revert SettlementUnauthorizedTso(msg.sender);
        _;
    }

    /// @notice Record version 1 of the settlement of an activation.
    /// @dev Requirements: caller is the TSO; no settlement yet; the activation is Accepted or
    ///      Stopped on the market, for `bsp`, and its last period has ended; hash and BSP not zero;
    ///      deadline in the future. Emits {SettlementRecorded}.
    function recordSettlement(bytes32 activationId, bytes32 settlementHash, address bsp, uint40 answerDeadline)
        external
        onlyTso
    {
        if (_settlements[activationId].status != Status.None) revert SettlementAlreadyRecorded(activationId);
        _requireDelivered(activationId, bsp);
        _record(activationId, 1, settlementHash, bsp, answerDeadline);
    }

    /// @notice The BSP accepts the current version: it becomes Final.
    /// @dev Requirements: caller is the settlement's BSP; status Recorded; `version` current; not
    ///      after the deadline. Emits {SettlementAccepted} and {SettlementFinalised}.
    function accept(bytes32 activationId, uint32 version) external {
        Settlement storage s = _answerable(activationId, version);
        s.status = Status.Final;
        emit SettlementAccepted(activationId, version, msg.sender);
        emit SettlementFinalised(activationId, version, s.settlementHash);
    }

    /// @notice The BSP disputes the current version, giving the hash of its reason.
    /// @dev Requirements as {accept}, and a non-zero reason hash. Emits {SettlementDisputed}.
    function dispute(bytes32 activationId, uint32 version, bytes32 reasonHash) external {
        Settlement storage s = _answerable(activationId, version);
        if (reasonHash == bytes32(0)) revert SettlementInvalid(activationId);
        s.status = Status.Disputed;
        s.disputeReason = reasonHash;
        emit SettlementDisputed(activationId, version, msg.sender, reasonHash);
    }

    /// @notice The TSO resolves a dispute by confirming the disputed version: it becomes Final.
    /// @dev Requirements: caller is the TSO; status Disputed; `version` current. Emits
    ///      {SettlementConfirmed} and {SettlementFinalised}.
    function confirm(bytes32 activationId, uint32 version) external onlyTso {
        Settlement storage s = _existing(activationId);
        _need(activationId, s, Status.Disputed);
        if (version != s.version) revert SettlementStaleVersion(activationId, version, s.version);
        s.status = Status.Final;
        emit SettlementConfirmed(activationId, version);
        emit SettlementFinalised(activationId, version, s.settlementHash);
    }

    /// @notice The TSO resolves a dispute by recording a re-settlement as the next version, which
    ///         the BSP answers again before the new deadline.
    /// @dev Requirements: caller is the TSO; status Disputed; as {recordSettlement} for the values.
    ///      Emits {SettlementRecorded}.
    function resettle(bytes32 activationId, bytes32 settlementHash, uint40 answerDeadline) external onlyTso {
        Settlement storage s = _existing(activationId);
        _need(activationId, s, Status.Disputed);
        _record(activationId, s.version + 1, settlementHash, s.bsp, answerDeadline);
    }

    /// @notice Anyone finalises a settlement whose answer window lapsed without an answer.
    /// @dev Requirements: status Recorded; the deadline has passed. Emits {SettlementFinalised}.
    function finalise(bytes32 activationId) external {
        Settlement storage s = _existing(activationId);
        _need(activationId, s, Status.Recorded);
        if (block.timestamp <= s.answerDeadline) {
            revert SettlementWindowOpen(activationId, s.answerDeadline, block.timestamp);
        }
        s.status = Status.Final;
        emit SettlementFinalised(activationId, s.version, s.settlementHash);
    }

    /// @notice The current state of the settlement of an activation (zero values when unknown).
    function settlement(bytes32 activationId) external view returns (Settlement memory) {
        return _settlements[activationId];
    }

    /// @notice The hash recorded for one version (zero when unknown).
    function settlementHashOf(bytes32 activationId, uint32 version) external view returns (bytes32) {
        return _hashes[activationId][version];
    }

    /// @notice The roles contract this ledger trusts.
    function roles() external view returns (CbpRoles) {
        return _roles;
    }

    /// @notice The market whose activations this ledger settles.
    function market() external view returns (FlexMarket) {
        return _market;
    }

    function _requireDelivered(bytes32 activationId, address bsp) private view {
        FlexMarket.Activation memory a = _market.activation(activationId);
        bool settleable = a.status == FlexMarket.ActivationStatus.Accepted
            || a.status == FlexMarket.ActivationStatus.Stopped;
        if (!settleable || a.bsp != bsp) revert SettlementNotSettleable(activationId);
        uint256 deliveryEnd = uint256(a.firstPeriod) + uint256(_market.PERIOD_SECONDS()) * a.setPointsKw.length;
        if (block.timestamp < deliveryEnd) {
            revert SettlementDeliveryNotEnded(activationId, deliveryEnd, block.timestamp);
        }
    }

    function _record(bytes32 activationId, uint32 version, bytes32 settlementHash, address bsp, uint40 deadline)
        private
    {
        if (settlementHash == bytes32(0) || bsp == address(0) || deadline <= block.timestamp) {
            revert SettlementInvalid(activationId);
        }
        _settlements[activationId] =
            Settlement(settlementHash, bsp, version, uint40(block.timestamp), deadline, Status.Recorded, bytes32(0));
        _hashes[activationId][version] = settlementHash;
        emit SettlementRecorded(activationId, version, settlementHash, bsp, deadline);
    }

    function _existing(bytes32 activationId) private view returns (Settlement storage s) {
        s = _settlements[activationId];
        if (s.status == Status.None) revert SettlementUnknownId(activationId);
    }

    function _need(bytes32 activationId, Settlement storage s, Status needed) private view {
        if (s.status != needed) revert SettlementWrongStatus(activationId, s.status, needed);
    }

    function _answerable(bytes32 activationId, uint32 version) private view returns (Settlement storage s) {
        s = _existing(activationId);
        if (!_roles.isSameOrganisation(s.bsp, msg.sender)) revert SettlementUnauthorizedBsp(activationId, msg.sender, s.bsp);
        _need(activationId, s, Status.Recorded);
        if (version != s.version) revert SettlementStaleVersion(activationId, version, s.version);
        if (block.timestamp > s.answerDeadline) {
            revert SettlementAnswerLate(activationId, s.answerDeadline, block.timestamp);
        }
    }
}
