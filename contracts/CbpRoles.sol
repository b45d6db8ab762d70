// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CbpRoles
/// @notice Who is who on the crowd balancing platform. The TSO (network administrator) deploys
///         this contract and grants every other organisation exactly one role, bound to its
///         ENTSO-E EIC code. Other contracts ask this one before letting an account act.
/// @dev An organisation is its EIC; its account (key) may change. The TSO hands its role over
///      in two steps (propose, accept), so a mistyped address cannot strand the platform. Any
///      other organisation rotates its own key with {rotateAccount}: only the current key can
///      move the role, which is the proof that the organisation itself asks, and the TSO is not
///      needed (a TSO confirmation would add a step without adding proof; a key the
///      organisation has lost is handled by the TSO with {revokeRole} then {grantRole} with the
///      same EIC). Resources stored under an account stay the organisation's: an account that
///      rotated away or was revoked keeps its EIC as "former EIC", and {isSameOrganisation}
///      lets the organisation's current account act on them.
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
    mapping(address account => bytes16 eic) private _formerEic;
    address private _tso;
    address private _proposedTso;

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
    /// @notice The account once acted for another organisation (EIC `formerEic`); it cannot
    ///         take a role of a different one, or that organisation's resources would follow it.
    error RolesAccountRetired(address account, bytes16 formerEic);
    /// @notice The caller is not the account the TSO role was proposed to.
    error RolesNoHandoverFor(address account, address proposed);
    /// @notice The TSO changes its key only by the two-step handover.
    error RolesTsoUsesHandover(address tso);

    /// @notice `account` now acts as `role` for the organisation with EIC `eic`.
    event RoleGranted(address indexed account, bytes32 indexed role, bytes16 eic, address indexed grantedBy);
    /// @notice `account` no longer holds `role`.
    event RoleRevoked(address indexed account, bytes32 indexed role, bytes16 eic, address indexed revokedBy);
    /// @notice The organisation `eic` now acts from `newAccount`; `previousAccount` lost the role.
    event AccountRotated(
        bytes16 indexed eic, bytes32 indexed role, address indexed previousAccount, address newAccount
    );
    /// @notice The TSO proposed `proposed` as its next account (zero: proposal withdrawn).
    event TsoHandoverProposed(address indexed tso, address indexed proposed);
    /// @notice `newTso` accepted the TSO role from `previousTso`.
    event TsoHandoverAccepted(address indexed previousTso, address indexed newTso);

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
    ///      holds no role yet and never acted for another EIC; the EIC is not bound to another
    ///      account. Granting a revoked organisation's EIC again reinstates it, with its
    ///      resources. Emits {RoleGranted}.
    function grantRole(address account, bytes32 role, bytes16 eic) external {
        _requireTso();
        if (role != DSO_ROLE && role != BSP_ROLE && role != OPERATOR_ROLE && role != AUDITOR_ROLE) {
            revert RolesUnknownRole(role);
        }
        _requireFreeAccount(account, eic);
        if (eic == bytes16(0) || _accountByEic[eic] != address(0)) revert RolesEicUnavailable(eic);
        _members[account] = Member(role, eic);
        _accountByEic[eic] = account;
        emit RoleGranted(account, role, eic, msg.sender);
    }

    /// @notice Remove the role of `account` (an organisation leaving the platform or suspended).
    /// @dev Requirements: caller is the TSO; `account` holds a role and is not the TSO.
    ///      The account keeps its EIC as former EIC. Emits {RoleRevoked}.
    function revokeRole(address account) external {
        _requireTso();
        Member memory member = _members[account];
        if (member.role == bytes32(0) || account == _tso) revert RolesNotAMember(account);
        delete _members[account];
        delete _accountByEic[member.eic];
        _formerEic[account] = member.eic;
        emit RoleRevoked(account, member.role, member.eic, msg.sender);
    }

    /// @notice Move the caller's role and EIC to `newAccount` (key rotation).
    /// @dev Requirements: caller holds a role and is not the TSO (see {proposeTsoHandover});
    ///      `newAccount` is not zero, holds no role and never acted for another EIC. The old
    ///      account loses the role and keeps the EIC as former EIC. Emits {AccountRotated}.
    function rotateAccount(address newAccount) external {
        if (msg.sender == _tso) revert RolesTsoUsesHandover(msg.sender);
        if (_members[msg.sender].role == bytes32(0)) revert RolesNotAMember(msg.sender);
        _move(msg.sender, newAccount);
    }

    /// @notice First step of the TSO handover: name the account that may take the TSO role.
    /// @dev Requirements: caller is the TSO; `newAccount` holds no role and never acted for
    ///      another EIC (zero withdraws the proposal). Emits {TsoHandoverProposed}.
    function proposeTsoHandover(address newAccount) external {
        _requireTso();
        if (newAccount != address(0)) _requireFreeAccount(newAccount, _members[_tso].eic);
        _proposedTso = newAccount;
        emit TsoHandoverProposed(msg.sender, newAccount);
    }

    /// @notice Second step of the TSO handover: the proposed account takes the TSO role and
    ///         EIC; the previous account loses them.
    /// @dev Requirements: caller is the proposed account, which still holds no role.
    ///      Emits {AccountRotated} and {TsoHandoverAccepted}.
    function acceptTsoHandover() external {
        if (msg.sender != _proposedTso || msg.sender == address(0)) {
            revert RolesNoHandoverFor(msg.sender, _proposedTso);
        }
        address previous = _tso;
        _proposedTso = address(0);
        _tso = msg.sender;
        _move(previous, msg.sender);
        emit TsoHandoverAccepted(previous, msg.sender);
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

    /// @notice Whether `account` acts today for the organisation that `owner` acted for when
    ///         it stored something: `account` holds a role (a revoked, suspended or rotated-away
    ///         key acts for nobody) and is `owner` itself, or the current account of the EIC
    ///         that `owner` holds or held (after a key rotation or a reinstatement).
    function isSameOrganisation(address owner, address account) external view returns (bool) {
        Member memory member = _members[account];
        if (member.role == bytes32(0)) return false;
        if (owner == account) return true;
        bytes16 ownerEic = _members[owner].eic;
        if (ownerEic == bytes16(0)) ownerEic = _formerEic[owner];
        return ownerEic == member.eic;
    }

    /// @notice The EIC `account` acted for before it rotated away or was revoked (zero if none).
    function formerEicOf(address account) external view returns (bytes16) {
        return _formerEic[account];
    }

    /// @notice The account bound to `eic`, or the zero address.
    function accountOf(bytes16 eic) external view returns (address) {
        return _accountByEic[eic];
    }

    /// @notice The TSO's account.
    function tso() external view returns (address) {
        return _tso;
    }

    /// @notice The account the TSO role is proposed to, or the zero address.
    function proposedTso() external view returns (address) {
        return _proposedTso;
    }

    function _requireTso() private view {
        if (msg.sender != _tso) revert RolesUnauthorized(msg.sender, TSO_ROLE);
    }

    function _requireFreeAccount(address account, bytes16 eic) private view {
        if (account == address(0)) revert RolesNotAMember(account);
        if (_members[account].role != bytes32(0)) revert RolesAlreadyGranted(account);
        bytes16 former = _formerEic[account];
        if (former != bytes16(0) && former != eic) revert RolesAccountRetired(account, former);
    }

    /// Moves the member of `from` (role and EIC) to the free account `to`.
    function _move(address from, address to) private {
        Member memory member = _members[from];
        _requireFreeAccount(to, member.eic);
        delete _members[from];
        _formerEic[from] = member.eic;
        delete _formerEic[to];
        _members[to] = member;
        _accountByEic[member.eic] = to;
        emit AccountRotated(member.eic, member.role, from, to);
    }
}
