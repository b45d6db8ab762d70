// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CbpRoles} from "./CbpRoles.sol";
import {CbpMulticall} from "./CbpMulticall.sol";

/// @title ResourceRegistry
/// @notice The registration ledger of the crowd balancing platform: PODs (grid connection
///         points), their flex devices, UVAMs (resource groups), POD-UVAM relations, attachments
///         and UVAM connection parameters. Only ids, owners, statuses and hashes of the off-chain
///         records live here; documents and personal data stay off chain.
/// @dev Status flows (FLOW D5.5 §3): POD Registered -> Open -> UnderReview -> Verified (TSO)
///      -> Validated (competent DSO), or Rejected by the TSO or the DSO; a rejected POD may be
///      reopened by its BSP. UVAM Registered -> Open -> UnderReview -> Qualified (TSO) or Rejected.
contract ResourceRegistry is CbpMulticall {
    enum PodStatus {
        None,
        Registered,
        Open,
        UnderReview,
        Verified,
        Validated,
        Rejected
    }

    enum UvamStatus {
        None,
        Registered,
        Open,
        UnderReview,
        Qualified,
        Rejected
    }

    struct Pod {
        address bsp;
        PodStatus status;
        bytes16 dsoEic;
        bytes32 recordHash;
    }

    struct FlexDevice {
        bytes32 podId;
        bytes32 recordHash;
    }

    struct Uvam {
        address bsp;
        UvamStatus status;
        bytes32 recordHash;
    }

    struct Relation {
        bytes32 uvamId;
        bytes32 podId;
        bool active;
    }

    struct Attachment {
        bytes32 ownerId;
        bytes32 contentHash;
        bytes32 metadataHash;
    }

    CbpRoles private immutable _roles;

    mapping(bytes32 podId => Pod) private _pods;
    mapping(bytes32 deviceId => FlexDevice) private _devices;
    mapping(bytes32 uvamId => Uvam) private _uvams;
    mapping(bytes32 relationId => Relation) private _relations;
    mapping(bytes32 podId => bytes32 relationId) private _activeRelationOfPod;
    mapping(bytes32 attachmentId => Attachment) private _attachments;
    mapping(bytes32 uvamId => bytes32 connectionHash) private _connections;

    /// @notice The caller lacks the role the action needs.
    error RegistryUnauthorized(address account, bytes32 neededRole);
    /// @notice The caller is not the BSP that owns the resource.
    error RegistryNotOwner(bytes32 id, address account);
    /// @notice The id is already taken.
    error RegistryAlreadyExists(bytes32 id);
    /// @notice Nothing is registered under this id.
    error RegistryUnknownId(bytes32 id);
    /// @notice The POD cannot move from `current` to `requested`.
    error RegistryInvalidPodTransition(bytes32 podId, PodStatus current, PodStatus requested);
    /// @notice The UVAM cannot move from `current` to `requested`.
    error RegistryInvalidUvamTransition(bytes32 uvamId, UvamStatus current, UvamStatus requested);
    /// @notice The record's data may change only while it is Open (or still Registered).
    error RegistryNotEditable(bytes32 id);
    /// @notice The caller is a DSO but not the one the POD is connected to.
    error RegistryNotCompetentDso(bytes32 podId, bytes16 podDsoEic, address account);
    /// @notice No DSO on the platform holds this EIC.
    error RegistryUnknownDso(bytes16 dsoEic);
    /// @notice Only validated PODs may join a UVAM.
    error RegistryPodNotValidated(bytes32 podId, PodStatus status);
    /// @notice The POD already belongs to a UVAM through this relation.
    error RegistryPodAlreadyGrouped(bytes32 podId, bytes32 relationId);
    /// @notice The relation does not exist or has already ended.
    error RegistryRelationNotActive(bytes32 relationId);
    /// @notice Array arguments of a batch call differ in length or are empty.
    error RegistryBadBatch();

    event PodRegistered(bytes32 indexed podId, address indexed bsp, bytes16 dsoEic, bytes32 recordHash);
    event PodUpdated(bytes32 indexed podId, bytes32 recordHash);
    /// @param detailHash hash of the reasons (rejection) or of the static constraints (validation).
    event PodStatusChanged(
        bytes32 indexed podId, PodStatus from, PodStatus to, address indexed actor, bytes32 detailHash
    );
    event FlexDeviceRegistered(bytes32 indexed deviceId, bytes32 indexed podId, bytes32 recordHash);
    event FlexDeviceUpdated(bytes32 indexed deviceId, bytes32 recordHash);
    event UvamRegistered(bytes32 indexed uvamId, address indexed bsp, bytes32 recordHash);
    event UvamUpdated(bytes32 indexed uvamId, bytes32 recordHash);
    event UvamStatusChanged(
        bytes32 indexed uvamId, UvamStatus from, UvamStatus to, address indexed actor, bytes32 detailHash
    );
    event RelationStarted(bytes32 indexed relationId, bytes32 indexed uvamId, bytes32 indexed podId);
    event RelationEnded(bytes32 indexed relationId, bytes32 indexed uvamId, bytes32 indexed podId);
    event AttachmentCreated(
        bytes32 indexed attachmentId, bytes32 indexed ownerId, bytes32 contentHash, bytes32 metadataHash
    );
    event AttachmentUpdated(
        bytes32 indexed attachmentId, bytes32 indexed ownerId, bytes32 contentHash, bytes32 metadataHash
    );
    event ConnectionRegistered(bytes32 indexed uvamId, bytes32 connectionHash);
    event ConnectionUpdated(bytes32 indexed uvamId, bytes32 connectionHash);

    constructor(CbpRoles roles) {
        _roles = roles;
    }

    // ---------------------------------------------------------------- PODs

    /// @notice Register PODs of the calling BSP (service 1, and CSV mass loading in one call).
    /// @dev Requirements: caller is a BSP; arrays of equal, non-zero length; every id new (no POD,
    ///      flex device or UVAM holds it); every DSO EIC held by a DSO.
    ///      Emits {PodRegistered} and {PodStatusChanged} per POD.
    function registerPods(bytes32[] calldata podIds, bytes16[] calldata dsoEics, bytes32[] calldata recordHashes)
        external
    {
        _requireRole(_roles.BSP_ROLE());
        uint256 count = podIds.length;
        if (count == 0 || dsoEics.length != count || recordHashes.length != count) revert RegistryBadBatch();
        bytes32 dsoRole = _roles.DSO_ROLE();
        for (uint256 i = 0; i < count; ++i) {
            bytes32 podId = podIds[i];
            if (_idTaken(podId)) revert RegistryAlreadyExists(podId);
            if (!_roles.hasRole(_roles.accountOf(dsoEics[i]), dsoRole)) revert RegistryUnknownDso(dsoEics[i]);
            _pods[podId] = Pod(msg.sender, PodStatus.Registered, dsoEics[i], recordHashes[i]);
            emit PodRegistered(podId, msg.sender, dsoEics[i], recordHashes[i]);
            emit PodStatusChanged(podId, PodStatus.None, PodStatus.Registered, msg.sender, bytes32(0));
        }
    }

    /// @notice Replace the record hash of a POD after its data changed (service 2).
    /// @dev Requirements: caller owns the POD; the POD is Registered or Open. Emits {PodUpdated}.
    function updatePod(bytes32 podId, bytes32 recordHash) external {
        Pod storage pod = _ownedPod(podId);
        if (!_podEditable(pod.status)) revert RegistryNotEditable(podId);
        pod.recordHash = recordHash;
        emit PodUpdated(podId, recordHash);
    }

    /// @notice The BSP moves its POD along its own part of the flow (service 5):
    ///         Registered -> Open, Open -> UnderReview, Rejected -> Open.
    /// @dev Emits {PodStatusChanged}.
    function setPodStatus(bytes32 podId, PodStatus requested) external {
        Pod storage pod = _ownedPod(podId);
        PodStatus current = pod.status;
        bool allowed = (requested == PodStatus.Open
            && (current == PodStatus.Registered || current == PodStatus.Rejected))
            || (requested == PodStatus.UnderReview && current == PodStatus.Open);
        if (!allowed) revert RegistryInvalidPodTransition(podId, current, requested);
        _movePod(podId, pod, requested, bytes32(0));
    }

    /// @notice The TSO verifies a POD under review: UnderReview -> Verified.
    /// @dev Requirements: caller is the TSO. Emits {PodStatusChanged}.
    function verifyPod(bytes32 podId) external {
        _requireRole(_roles.TSO_ROLE());
        Pod storage pod = _existingPod(podId);
        if (pod.status != PodStatus.UnderReview) {
            revert RegistryInvalidPodTransition(podId, pod.status, PodStatus.Verified);
        }
        _movePod(podId, pod, PodStatus.Verified, bytes32(0));
    }

    /// @notice The competent DSO validates a verified POD and records the hash of its static
    ///         constraints: Verified -> Validated.
    /// @dev Requirements: caller is the DSO holding the POD's DSO EIC. Emits {PodStatusChanged}.
    function validatePod(bytes32 podId, bytes32 constraintsHash) external {
        Pod storage pod = _existingPod(podId);
        _requireCompetentDso(podId, pod);
        if (pod.status != PodStatus.Verified) {
            revert RegistryInvalidPodTransition(podId, pod.status, PodStatus.Validated);
        }
        _movePod(podId, pod, PodStatus.Validated, constraintsHash);
    }

    /// @notice Reject a POD with the hash of the reasons: the TSO while it is UnderReview, the
    ///         competent DSO while it is Verified.
    /// @dev Emits {PodStatusChanged}.
    function rejectPod(bytes32 podId, bytes32 reasonsHash) external {
        Pod storage pod = _existingPod(podId);
        if (pod.status == PodStatus.UnderReview) {
            _requireRole(_roles.TSO_ROLE());
        } else if (pod.status == PodStatus.Verified) {
            _requireCompetentDso(podId, pod);
        } else {
            revert RegistryInvalidPodTransition(podId, pod.status, PodStatus.Rejected);
        }
        _movePod(podId, pod, PodStatus.Rejected, reasonsHash);
    }

    /// @notice Register flex devices (EV chargers, batteries, heat pumps) under the caller's PODs.
    /// @dev Requirements: caller owns every POD; each POD Registered or Open; ids new.
    ///      Emits {FlexDeviceRegistered} per device.
    function registerFlexDevices(
        bytes32[] calldata deviceIds,
        bytes32[] calldata podIds,
        bytes32[] calldata recordHashes
    ) external {
        uint256 count = deviceIds.length;
        if (count == 0 || podIds.length != count || recordHashes.length != count) revert RegistryBadBatch();
        for (uint256 i = 0; i < count; ++i) {
            bytes32 deviceId = deviceIds[i];
            Pod storage pod = _ownedPod(podIds[i]);
            if (!_podEditable(pod.status)) revert RegistryNotEditable(podIds[i]);
            if (_idTaken(deviceId)) revert RegistryAlreadyExists(deviceId);
            _devices[deviceId] = FlexDevice(podIds[i], recordHashes[i]);
            emit FlexDeviceRegistered(deviceId, podIds[i], recordHashes[i]);
        }
    }

    /// @notice Replace the record hash of a flex device; its POD must be editable.
    /// @dev Emits {FlexDeviceUpdated}.
    function updateFlexDevice(bytes32 deviceId, bytes32 recordHash) external {
        FlexDevice storage device = _devices[deviceId];
        if (device.podId == bytes32(0)) revert RegistryUnknownId(deviceId);
        Pod storage pod = _ownedPod(device.podId);
        if (!_podEditable(pod.status)) revert RegistryNotEditable(device.podId);
        device.recordHash = recordHash;
        emit FlexDeviceUpdated(deviceId, recordHash);
    }

    // ---------------------------------------------------------------- UVAMs

    /// @notice Register a UVAM (resource group) of the calling BSP (service 6).
    /// @dev Requirements: caller is a BSP; id new. Emits {UvamRegistered}, {UvamStatusChanged}.
    function registerUvam(bytes32 uvamId, bytes32 recordHash) external {
        _requireRole(_roles.BSP_ROLE());
        if (_idTaken(uvamId)) revert RegistryAlreadyExists(uvamId);
        _uvams[uvamId] = Uvam(msg.sender, UvamStatus.Registered, recordHash);
        emit UvamRegistered(uvamId, msg.sender, recordHash);
        emit UvamStatusChanged(uvamId, UvamStatus.None, UvamStatus.Registered, msg.sender, bytes32(0));
    }

    /// @notice Replace the record hash of a UVAM (service 7).
    /// @dev Requirements: caller owns it; it is Registered or Open. Emits {UvamUpdated}.
    function updateUvam(bytes32 uvamId, bytes32 recordHash) external {
        Uvam storage uvam = _ownedUvam(uvamId);
        if (!_uvamEditable(uvam.status)) revert RegistryNotEditable(uvamId);
        uvam.recordHash = recordHash;
        emit UvamUpdated(uvamId, recordHash);
    }

    /// @notice The BSP moves its UVAM along its own part of the flow (service 13):
    ///         Registered -> Open, Open -> UnderReview, Rejected -> Open.
    /// @dev Emits {UvamStatusChanged}.
    function setUvamStatus(bytes32 uvamId, UvamStatus requested) external {
        Uvam storage uvam = _ownedUvam(uvamId);
        UvamStatus current = uvam.status;
        bool allowed = (requested == UvamStatus.Open
            && (current == UvamStatus.Registered || current == UvamStatus.Rejected))
            || (requested == UvamStatus.UnderReview && current == UvamStatus.Open);
        if (!allowed) revert RegistryInvalidUvamTransition(uvamId, current, requested);
        _moveUvam(uvamId, uvam, requested, bytes32(0));
    }

    /// @notice The TSO qualifies a UVAM under review for the market: UnderReview -> Qualified.
    /// @dev Requirements: caller is the TSO. Emits {UvamStatusChanged}.
    function qualifyUvam(bytes32 uvamId) external {
        _requireRole(_roles.TSO_ROLE());
        Uvam storage uvam = _existingUvam(uvamId);
        if (uvam.status != UvamStatus.UnderReview) {
            revert RegistryInvalidUvamTransition(uvamId, uvam.status, UvamStatus.Qualified);
        }
        _moveUvam(uvamId, uvam, UvamStatus.Qualified, bytes32(0));
    }

    /// @notice The TSO rejects a UVAM under review, with the hash of the reasons.
    /// @dev Requirements: caller is the TSO. Emits {UvamStatusChanged}.
    function rejectUvam(bytes32 uvamId, bytes32 reasonsHash) external {
        _requireRole(_roles.TSO_ROLE());
        Uvam storage uvam = _existingUvam(uvamId);
        if (uvam.status != UvamStatus.UnderReview) {
            revert RegistryInvalidUvamTransition(uvamId, uvam.status, UvamStatus.Rejected);
        }
        _moveUvam(uvamId, uvam, UvamStatus.Rejected, reasonsHash);
    }

    /// @notice Put a validated POD of the caller into one of its UVAMs (service 8).
    /// @dev Requirements: caller owns both; the UVAM is Registered or Open; the POD is Validated
    ///      and in no other active relation; the relation id is new. Emits {RelationStarted}.
    function addPodToUvam(bytes32 relationId, bytes32 uvamId, bytes32 podId) external {
        Uvam storage uvam = _ownedUvam(uvamId);
        if (!_uvamEditable(uvam.status)) revert RegistryNotEditable(uvamId);
        Pod storage pod = _ownedPod(podId);
        if (pod.status != PodStatus.Validated) revert RegistryPodNotValidated(podId, pod.status);
        bytes32 current = _activeRelationOfPod[podId];
        if (current != bytes32(0)) revert RegistryPodAlreadyGrouped(podId, current);
        if (_relations[relationId].uvamId != bytes32(0)) revert RegistryAlreadyExists(relationId);
        _relations[relationId] = Relation(uvamId, podId, true);
        _activeRelationOfPod[podId] = relationId;
        emit RelationStarted(relationId, uvamId, podId);
    }

    /// @notice End a POD-UVAM relation (service 14, End Relation).
    /// @dev Requirements: caller owns the UVAM; the relation is active; the UVAM is not under
    ///      review. Emits {RelationEnded}.
    function endRelation(bytes32 relationId) external {
        Relation storage relation = _relations[relationId];
        if (!relation.active) revert RegistryRelationNotActive(relationId);
        Uvam storage uvam = _ownedUvam(relation.uvamId);
        if (uvam.status == UvamStatus.UnderReview) revert RegistryNotEditable(relation.uvamId);
        relation.active = false;
        delete _activeRelationOfPod[relation.podId];
        emit RelationEnded(relationId, relation.uvamId, relation.podId);
    }

    /// @notice Record the UVAM's connection parameters (service 11) or replace them (service 12).
    /// @dev Requirements: caller owns the UVAM; it is Registered or Open.
    ///      Emits {ConnectionRegistered} the first time, {ConnectionUpdated} afterwards.
    function setConnection(bytes32 uvamId, bytes32 connectionHash) external {
        Uvam storage uvam = _ownedUvam(uvamId);
        if (!_uvamEditable(uvam.status)) revert RegistryNotEditable(uvamId);
        bool first = _connections[uvamId] == bytes32(0);
        _connections[uvamId] = connectionHash;
        if (first) emit ConnectionRegistered(uvamId, connectionHash);
        else emit ConnectionUpdated(uvamId, connectionHash);
    }

    // ---------------------------------------------------------------- attachments

    /// @notice Record an attachment's content hash and metadata hash for a POD or UVAM of the
    ///         caller (services 3 and 9). The file stays off chain.
    /// @dev Requirements: caller owns the resource; it is Registered or Open; the id is new.
    ///      Emits {AttachmentCreated}.
    function createAttachment(bytes32 attachmentId, bytes32 ownerId, bytes32 contentHash, bytes32 metadataHash)
        external
    {
        if (_attachments[attachmentId].ownerId != bytes32(0)) revert RegistryAlreadyExists(attachmentId);
        _requireEditableOwner(ownerId);
        _attachments[attachmentId] = Attachment(ownerId, contentHash, metadataHash);
        emit AttachmentCreated(attachmentId, ownerId, contentHash, metadataHash);
    }

    /// @notice Replace an attachment's hashes (services 4 and 10).
    /// @dev Requirements as {createAttachment}. Emits {AttachmentUpdated}.
    function updateAttachment(bytes32 attachmentId, bytes32 contentHash, bytes32 metadataHash) external {
        Attachment storage attachment = _attachments[attachmentId];
        if (attachment.ownerId == bytes32(0)) revert RegistryUnknownId(attachmentId);
        _requireEditableOwner(attachment.ownerId);
        attachment.contentHash = contentHash;
        attachment.metadataHash = metadataHash;
        emit AttachmentUpdated(attachmentId, attachment.ownerId, contentHash, metadataHash);
    }

    // ---------------------------------------------------------------- views

    /// @notice A POD's owner, status, DSO EIC and record hash.
    function pod(bytes32 podId) external view returns (Pod memory) {
        return _pods[podId];
    }

    /// @notice A flex device's POD and record hash.
    function flexDevice(bytes32 deviceId) external view returns (FlexDevice memory) {
        return _devices[deviceId];
    }

    /// @notice A UVAM's owner, status and record hash.
    function uvam(bytes32 uvamId) external view returns (Uvam memory) {
        return _uvams[uvamId];
    }

    /// @notice A POD-UVAM relation.
    function relation(bytes32 relationId) external view returns (Relation memory) {
        return _relations[relationId];
    }

    /// @notice An attachment's owner and hashes.
    function attachment(bytes32 attachmentId) external view returns (Attachment memory) {
        return _attachments[attachmentId];
    }

    /// @notice The hash of a UVAM's connection parameters (zero when none).
    function connectionOf(bytes32 uvamId) external view returns (bytes32) {
        return _connections[uvamId];
    }

    /// @notice The roles contract this registry trusts.
    function roles() external view returns (CbpRoles) {
        return _roles;
    }

    // ---------------------------------------------------------------- internals

    function _requireRole(bytes32 role) private view {
        if (!_roles.hasRole(msg.sender, role)) revert RegistryUnauthorized(msg.sender, role);
    }

    function _requireCompetentDso(bytes32 podId, Pod storage pod_) private view {
        (bytes32 role, bytes16 eic) = _roles.memberOf(msg.sender);
        if (role != _roles.DSO_ROLE()) revert RegistryUnauthorized(msg.sender, _roles.DSO_ROLE());
        if (eic != pod_.dsoEic) revert RegistryNotCompetentDso(podId, pod_.dsoEic, msg.sender);
    }

    function _existingPod(bytes32 podId) private view returns (Pod storage pod_) {
        pod_ = _pods[podId];
        if (pod_.status == PodStatus.None) revert RegistryUnknownId(podId);
    }

    function _ownedPod(bytes32 podId) private view returns (Pod storage pod_) {
        pod_ = _existingPod(podId);
        if (!_roles.isSameOrganisation(pod_.bsp, msg.sender)) revert RegistryNotOwner(podId, msg.sender);
    }

    function _existingUvam(bytes32 uvamId) private view returns (Uvam storage uvam_) {
        uvam_ = _uvams[uvamId];
        if (uvam_.status == UvamStatus.None) revert RegistryUnknownId(uvamId);
    }

    function _ownedUvam(bytes32 uvamId) private view returns (Uvam storage uvam_) {
        uvam_ = _existingUvam(uvamId);
        if (!_roles.isSameOrganisation(uvam_.bsp, msg.sender)) revert RegistryNotOwner(uvamId, msg.sender);
    }

    function _requireEditableOwner(bytes32 ownerId) private view {
        if (_pods[ownerId].status != PodStatus.None) {
            Pod storage pod_ = _ownedPod(ownerId);
            if (!_podEditable(pod_.status)) revert RegistryNotEditable(ownerId);
        } else {
            Uvam storage uvam_ = _ownedUvam(ownerId);
            if (!_uvamEditable(uvam_.status)) revert RegistryNotEditable(ownerId);
        }
    }

    /// @dev PODs, flex devices and UVAMs share one id space: attachments find their owner by id,
    ///      so a POD must never shadow a UVAM (nor a device either).
    function _idTaken(bytes32 id) private view returns (bool) {
        return _pods[id].status != PodStatus.None || _uvams[id].status != UvamStatus.None
            || _devices[id].podId != bytes32(0);
    }

    function _podEditable(PodStatus status) private pure returns (bool) {
        return status == PodStatus.Registered || status == PodStatus.Open;
    }

    function _uvamEditable(UvamStatus status) private pure returns (bool) {
        return status == UvamStatus.Registered || status == UvamStatus.Open;
    }

    function _movePod(bytes32 podId, Pod storage pod_, PodStatus to, bytes32 detailHash) private {
        PodStatus from = pod_.status;
        pod_.status = to;
        emit PodStatusChanged(podId, from, to, msg.sender, detailHash);
    }

    function _moveUvam(bytes32 uvamId, Uvam storage uvam_, UvamStatus to, bytes32 detailHash) private {
        UvamStatus from = uvam_.status;
        uvam_.status = to;
        emit UvamStatusChanged(uvamId, from, to, msg.sender, detailHash);
    }
}
