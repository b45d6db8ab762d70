// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CbpRoles
/// @notice Who is who on the crowd balancing platform. The TSO (network administrator) deploys
///         this contract and grants every other organisation exactly one role, bound to its
///         ENTSO-E EIC code. Other contracts ask this one before letting an account act.
contract CbpRoles {
    bytes32 public constant TSO_ROLE = keccak256("TSO_ROLE");
    bytes32 public constant DSO_ROLE = keccak256("DSO_ROLE");
    bytes32 public constant BSP_ROLE = keccak256("BSP_ROLE");
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");

    struct Member {
        bytes32 role;
        bytes16 eic;
    }

    mapping(address account => Member) private _members;
    mapping(bytes16 eic => address account) private _accountByEic;
    address private immutable _tso;

    /// @notice The caller lacks the role the action needs.
    error RolesUnauthorized(address account, bytes32 neededRole);
    /// @notice The account already holds a role; revoke it first.
    error RolesAlreadyGranted(address account);
    /// @notice The EIC is empty or already bound to another account.
    error RolesEicUnavailable(bytes16 eic);
    /// @notice The role is not one the TSO may grant.
    error RolesUnknownRole(bytes32 role);
    /// @notice The account holds no role.
    error RolesNotAMember(address account);

    /// @notice `account` now acts as `role` for the organisation with EIC `eic`.
    event RoleGranted(address indexed account, bytes32 indexed role, bytes16 eic, address indexed grantedBy);
    /// @notice `account` no longer holds `role`.
    event RoleRevoked(address indexed account, bytes32 indexed role, bytes16 eic, address indexed revokedBy);

    /// @param tsoEic EIC of the TSO deploying the platform; the deployer becomes the TSO.
    constructor(bytes16 tsoEic) {
        if (tsoEic == bytes16(0)) revert RolesEicUnavailable(tsoEic);
        _tso = msg.sender;
        _members[msg.sender] = Member(TSO_ROLE, tsoEic);
        _accountByEic[tsoEic] = msg.sender;
        emit RoleGranted(msg.sender, TSO_ROLE, tsoEic, msg.sender);
    }

    /// @notice Grant `role` to `account` for the organisation `eic`.
    /// @dev Requirements: caller is the TSO; `role` is DSO, BSP, OPERATOR or AUDITOR; the account
    ///      holds no role yet; the EIC is not bound to another account. Emits {RoleGranted}.
    function grantRole(address account, bytes32 role, bytes16 eic) external {
        if (msg.sender != _tso) revert RolesUnauthorized(msg.sender, TSO_ROLE);
        if (role != DSO_ROLE && role != BSP_ROLE && role != OPERATOR_ROLE && role != AUDITOR_ROLE) {
            revert RolesUnknownRole(role);
        }
        if (_members[account].role != bytes32(0)) revert RolesAlreadyGranted(account);
        if (eic == bytes16(0) || _accountByEic[eic] != address(0)) revert RolesEicUnavailable(eic);
        _members[account] = Member(role, eic);
        _accountByEic[eic] = account;
        emit RoleGranted(account, role, eic, msg.sender);
    }

    /// @notice Remove the role of `account` (an organisation leaving the platform).
    /// @dev Requirements: caller is the TSO; `account` holds a role and is not the TSO.
    ///      Emits {RoleRevoked}.
    function revokeRole(address account) external {
        if (msg.sender != _tso) revert RolesUnauthorized(msg.sender, TSO_ROLE);
        Member memory member = _members[account];
        if (member.role == bytes32(0) || account == _tso) revert RolesNotAMember(account);
        delete _members[account];
        delete _accountByEic[member.eic];
        emit RoleRevoked(account, member.role, member.eic, msg.sender);
    }

    /// @notice The role and EIC of `account` (zero values when it has none).
    function memberOf(address account) external view returns (bytes32 role, bytes16 eic) {
        Member memory member = _members[account];
        return (member.role, member.eic);
    }

    /// @notice Whether `account` holds `role`.
    function hasRole(address account, bytes32 role) external view returns (bool) {
        return _members[account].role == role;
    }

    /// @notice The account bound to `eic`, or the zero address.
    function accountOf(bytes16 eic) external view returns (address) {
        return _accountByEic[eic];
    }

    /// @notice The TSO's account.
    function tso() external view returns (address) {
        return _tso;
    }
}
