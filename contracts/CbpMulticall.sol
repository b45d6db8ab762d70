// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title CbpMulticall
/// @notice Several calls of one account to one contract in one transaction, each with its own
///         outcome: a refused call does not undo the others. The platform puts the operations
///         an organisation sends while its previous transaction is pending into one multicall.
/// @dev Each item is a delegatecall of the contract to itself, so `msg.sender` and every role
///      check stay those of the caller. The events an item emits come before its
///      `MulticallItemDone`, which tells the item's index and, if it reverted, its revert data.
abstract contract CbpMulticall {
    /// @notice Item `index` of a multicall ended; `revertData` is empty when it succeeded.
    event MulticallItemDone(uint256 indexed index, bool succeeded, bytes revertData);

    /// @notice Run each of `calls` (ABI-encoded calls of this contract) as if sent alone.
    /// @dev Emits one `MulticallItemDone` per item, after the item's own events.
    function multicall(bytes[] calldata calls) external {
        for (uint256 index = 0; index < calls.length; ++index) {
            (bool succeeded, bytes memory revertData) = address(this).delegatecall(calls[index]);
            emit MulticallItemDone(index, succeeded, succeeded ? bytes("") : revertData);
        }
    }
}
