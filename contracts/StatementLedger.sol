// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CbpRoles} from "./CbpRoles.sol";

/// @title StatementLedger
/// @notice Periodic settlement documents (issue 14): the TSO records the hash of a BSP's
///         statement for a period (every final settlement, the availability pay, the netting),
///         which the BSP accepts or disputes as a whole, once, with the hash of its reason; and
///         the hash of each BRP perimeter correction report (transfer of energy). The documents
///         stay off chain (they name PODs); their canonical JSON hashes to what is recorded here.
/// @dev Keys are the platform's document ids (bytes32). A statement is answered once.
contract StatementLedger {
    enum Status {
        None,
        Recorded,
        Accepted,
        Disputed
    }

    struct Statement {
        bytes32 statementHash;
        address bsp;
        uint40 recordedAt;
        Status status;
        bytes32 disputeReason;
    }

    CbpRoles private immutable _roles;

    mapping(bytes32 statementId => Statement) private _statements;
    mapping(bytes32 reportId => bytes32 reportHash) private _corrections;

    /// @notice The caller is not the TSO (record a statement or a correction report).
    error StatementUnauthorizedTso(address account);
    /// @notice The caller is not the BSP the statement was recorded for.
    error StatementUnauthorizedBsp(bytes32 statementId, address account, address bsp);
    /// @notice A statement is recorded under this id already.
    error StatementAlreadyRecorded(bytes32 statementId);
    /// @notice No statement is recorded under this id.
    error StatementUnknownId(bytes32 statementId);
    /// @notice A zero hash or a zero BSP address (or a dispute without a reason hash).
    error StatementInvalid(bytes32 statementId);
    /// @notice The statement was answered already (accepted or disputed).
    error StatementAlreadyAnswered(bytes32 statementId, Status statementStatus);
    /// @notice A correction report is recorded under this id already, or its hash is zero.
    error StatementCorrectionRejected(bytes32 reportId);

    /// @notice The statement `statementId` of `bsp` is recorded with its hash.
    event StatementRecorded(bytes32 indexed statementId, bytes32 statementHash, address indexed bsp);
    /// @notice The BSP accepted the statement.
    event StatementAccepted(bytes32 indexed statementId, address indexed bsp);
    /// @notice The BSP disputed the statement, for the reason whose hash is `reasonHash`.
    event StatementDisputed(bytes32 indexed statementId, address indexed bsp, bytes32 reasonHash);
    /// @notice A BRP perimeter correction report is recorded with its hash.
    event CorrectionRecorded(bytes32 indexed reportId, bytes32 reportHash);

    constructor(CbpRoles roles) {
        _roles = roles;
    }

    modifier onlyTso() {
        if (!_roles.hasRole(msg.sender, _roles.TSO_ROLE())) revert StatementUnauthorizedTso(msg.sender);
        _;
    }

    /// @notice Record a BSP's statement for a period.
    /// @dev Requirements: caller is the TSO; the id is new; hash and BSP not zero.
    ///      Emits {StatementRecorded}.
    function recordStatement(bytes32 statementId, bytes32 statementHash, address bsp) external onlyTso {
        if (_statements[statementId].status != Status.None) revert StatementAlreadyRecorded(statementId);
        if (statementHash == bytes32(0) || bsp == address(0)) revert StatementInvalid(statementId);
        _statements[statementId] = Statement(statementHash, bsp, uint40(block.timestamp), Status.Recorded, bytes32(0));
        emit StatementRecorded(statementId, statementHash, bsp);
    }

    /// @notice The BSP accepts the statement as a whole.
    /// @dev Requirements: caller is the statement's BSP (or another account of it); not answered
    ///      yet. Emits {StatementAccepted}.
    function acceptStatement(bytes32 statementId) external {
        Statement storage s = _answerable(statementId);
        s.status = Status.Accepted;
        emit StatementAccepted(statementId, msg.sender);
    }

    /// @notice The BSP disputes the statement as a whole, giving the hash of its reason.
    /// @dev Requirements as {acceptStatement}, and a non-zero reason hash. Emits {StatementDisputed}.
    function disputeStatement(bytes32 statementId, bytes32 reasonHash) external {
        Statement storage s = _answerable(statementId);
        if (reasonHash == bytes32(0)) revert StatementInvalid(statementId);
        s.status = Status.Disputed;
        s.disputeReason = reasonHash;
        emit StatementDisputed(statementId, msg.sender, reasonHash);
    }

    /// @notice Record the hash of a BRP perimeter correction report.
    /// @dev Requirements: caller is the TSO; the id is new; the hash not zero.
    ///      Emits {CorrectionRecorded}.
    function recordCorrection(bytes32 reportId, bytes32 reportHash) external onlyTso {
        if (reportHash == bytes32(0) || _corrections[reportId] != bytes32(0)) {
            revert StatementCorrectionRejected(reportId);
        }
        _corrections[reportId] = reportHash;
        emit CorrectionRecorded(reportId, reportHash);
    }

    /// @notice A statement as recorded (zero values when unknown).
    function statement(bytes32 statementId) external view returns (Statement memory) {
        return _statements[statementId];
    }

    /// @notice The hash of a correction report (zero when unknown).
    function correctionHashOf(bytes32 reportId) external view returns (bytes32) {
        return _corrections[reportId];
    }

    /// @notice The roles contract this ledger trusts.
    function roles() external view returns (CbpRoles) {
        return _roles;
    }

    function _answerable(bytes32 statementId) private view returns (Statement storage s) {
        s = _statements[statementId];
        if (s.status == Status.None) revert StatementUnknownId(statementId);
        if (!_roles.isSameOrganisation(s.bsp, msg.sender)) {
            revert StatementUnauthorizedBsp(statementId, msg.sender, s.bsp);
        }
        if (s.status != Status.Recorded) revert StatementAlreadyAnswered(statementId, s.status);
    }
}
