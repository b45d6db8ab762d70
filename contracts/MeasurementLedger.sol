// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CbpRoles} from "./CbpRoles.sol";
import {CbpMulticall} from "./CbpMulticall.sol";

/// @title MeasurementLedger
/// @notice Commitments to the measurements that verify activations (FLOW D5.5 §3): a BSP's
///         behind-the-meter readings of its flex devices, a DSO's POD meter readings, and a BSP's
///         declared baselines of its PODs (average power per 15-minute period). The readings
///         stay off chain; each uploaded batch is committed here as the root of a Merkle tree over
///         its readings, so that anyone holding one reading and its proof can check that it was
///         part of what was committed. A correction is a new batch that supersedes the old one;
///         the old one stays readable.
/// @dev Leaf of a reading: `keccak256(0x00 || resourceKey || uint40 timestamp || int64 valueW)`
///      ({readingLeaf}); inner node: `keccak256(0x01 || min(a, b) || max(a, b))`, so a proof is the
///      list of sibling hashes from the leaf upwards ({verifyReading}).
contract MeasurementLedger is CbpMulticall {
    enum MeterKind {
        FlexDevice,
        Pod,
        Baseline
    }

    struct Batch {
        address uploader;
        MeterKind kind;
        uint40 committedAt;
        uint32 readingCount;
        bytes32 root;
        bytes32 supersedes;
        bytes32 supersededBy;
    }

    CbpRoles private immutable _roles;

    mapping(bytes32 batchId => Batch) private _batches;

    /// @notice The caller lacks the role the kind of batch needs (BSP: devices and baselines,
    ///         DSO: PODs).
    error MeasurementsUnauthorized(address account, bytes32 neededRole);
    /// @notice The id is already taken.
    error MeasurementsAlreadyExists(bytes32 batchId);
    /// @notice An empty root or a batch without readings.
    error MeasurementsEmptyBatch(bytes32 batchId);
    /// @notice A batch may be superseded only once, by its own uploader, with the same kind.
    error MeasurementsBadCorrection(bytes32 batchId, bytes32 supersedes);

    /// @notice Batch `batchId` of `uploader` is committed; `supersedes` is the batch it corrects
    ///         (zero for a first version).
    event MeasurementsCommitted(
        bytes32 indexed batchId,
        address indexed uploader,
        MeterKind kind,
        bytes32 root,
        uint32 readingCount,
        bytes32 indexed supersedes
    );

    constructor(CbpRoles roles) {
        _roles = roles;
    }

    /// @notice Commit the Merkle root of a batch of readings, or of a correction of an earlier
    ///         batch of the caller.
    /// @dev Requirements: caller is a BSP (kinds FlexDevice and Baseline) or a DSO (kind Pod); the
    ///      id is new; the root is not zero and the batch has readings; a superseded batch exists, is
    ///      the caller's, of the same kind, and not superseded yet. Emits {MeasurementsCommitted}.
    function commitBatch(bytes32 batchId, MeterKind kind, bytes32 root, uint32 readingCount, bytes32 supersedes)
        external
    {
        bytes32 role = kind == MeterKind.Pod ? _roles.DSO_ROLE() : _roles.BSP_ROLE();
        if (!_roles.hasRole(msg.sender, role)) revert MeasurementsUnauthorized(msg.sender, role);
        if (_batches[batchId].uploader != address(0)) revert MeasurementsAlreadyExists(batchId);
        if (readingCount == 0 || root == bytes32(0)) revert MeasurementsEmptyBatch(batchId);
        if (supersedes != bytes32(0)) {
            Batch storage previous = _batches[supersedes];
            if (!_roles.isSameOrganisation(previous.uploader, msg.sender) || previous.supersededBy != bytes32(0) || previous.kind != kind) {
                revert MeasurementsBadCorrection(batchId, supersedes);
            }
            previous.supersededBy = batchId;
        }
        _batches[batchId] = Batch(msg.sender, kind, uint40(block.timestamp), readingCount, root, supersedes, bytes32(0));
        emit MeasurementsCommitted(batchId, msg.sender, kind, root, readingCount, supersedes);
    }

    /// @notice A committed batch (zero values when unknown).
    function batch(bytes32 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /// @notice The leaf of one reading: power `valueW` (W, average over the interval starting at
    ///         `timestamp`) of the resource whose platform key is `resourceKey`.
    function readingLeaf(bytes32 resourceKey, uint40 timestamp, int64 valueW) external pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), resourceKey, timestamp, valueW));
    }

    /// @notice Whether `leaf` belongs to the committed batch `batchId`, given its Merkle proof.
    function verifyReading(bytes32 batchId, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        bytes32 node = leaf;
        for (uint256 i = 0; i < proof.length; ++i) {
            bytes32 sibling = proof[i];
            node = node < sibling
                ? keccak256(abi.encodePacked(bytes1(0x01), node, sibling))
                : keccak256(abi.encodePacked(bytes1(0x01), sibling, node));
        }
        bytes32 root = _batches[batchId].root;
        return root != bytes32(0) && node == root;
    }

    /// @notice The roles contract this ledger trusts.
    function roles() external view returns (CbpRoles) {
        return _roles;
    }
}
