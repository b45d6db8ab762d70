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

    /// @notice Item `index` ran out of gas: the transaction carried too little for its items,
    ///         so none of them is recorded (rather than that item failing on its own).
    error MulticallOutOfGas(uint256 index);

    /// @notice Run each of `calls` (ABI-encoded calls of this contract) as if sent alone.
    /// @dev Emits one `MulticallItemDone` per item, after the item's own events. Returns, per
    ///      item, whether it succeeded, its revert data and the gas it took with its event:
    ///      one `eth_call` is the dry run of the whole multicall and its gas figure.
    ///      An item that failed with at most 1/64 of the gas before it left ran out of gas
    ///      (a delegatecall forwards at most 63/64): the whole multicall reverts.
    function multicall(bytes[] calldata calls)
        external
        returns (bool[] memory succeeded, bytes[] memory revertData, uint256[] memory gasUsed)
    {
        succeeded = new bool[](calls.length);
        revertData = new bytes[](calls.length);
        gasUsed = new uint256[](calls.length);
        for (uint256 index = 0; index < calls.length; ++index) {
            uint256 gasBefore = gasleft();
            (bool ok, bytes memory data) = address(this).delegatecall(calls[index]);
            if (!ok && gasleft() <= gasBefore / 64) revert MulticallOutOfGas(index);
            emit MulticallItemDone(index, ok, ok ? bytes("") : data);
            succeeded[index] = ok;
            if (!ok) revertData[index] = data;
            gasUsed[index] = gasBefore - gasleft();
        }
    }
}
