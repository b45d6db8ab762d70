"""The project contracts as web3.py contract objects: calls encoded, and results, events and
custom errors decoded, with web3.py's ABI codec.

The contract object names every function, event and error with its canonical types, selector
and topic; each one's types are worked out once per contract, and the values go through
``Web3.codec`` directly. ``Contract.encode_abi`` and ``ContractEvent.process_log`` check and
normalise the whole ABI element on every call, several times slower (``python -m
cli.chain_codec_bench``), and every multicall item and every log of every receipt passes here.
The constructor, on the cold path of a deployment, is encoded by web3.py's contract object.

Everything leaving this module is plain Python: ``bytes`` for fixed bytes, ``int`` for integers
and enums, checksummed ``str`` for addresses, tuples as dicts keyed by component name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from eth_utils import to_checksum_address
from eth_utils.abi import (
    abi_to_signature,
    collapse_if_tuple,
    filter_abi_by_type,
    function_signature_to_4byte_selector,
)
from web3 import Web3
from web3.contract import Contract

from ledger.core.chain.compiler import load_artifact
from ledger.core.chain.errors import ContractRevert

AbiEntry = dict[str, Any]

#: No provider is ever asked: the contract objects and the codec work offline.
_WEB3 = Web3()
_CODEC = _WEB3.codec

#: The same few addresses (contracts, organisations) recur in every log: checksumming them is
#: a Keccak hash each time, the largest cost of decoding before this cache.
checksum_address = lru_cache(maxsize=65536)(to_checksum_address)


def _normalise(param: AbiEntry, value: Any) -> Any:
    kind: str = param["type"]
    if kind.endswith("[]"):
        element = {**param, "type": kind[:-2]}
        return [_normalise(element, item) for item in value]
    if kind == "tuple":
        return {
            c["name"]: _normalise(c, v) for c, v in zip(param["components"], value, strict=True)
        }
    if kind == "address":
        return checksum_address(value)
    return value


@dataclass(frozen=True)
class _Params:
    """Parameters of an ABI element with their canonical types, worked out once."""

    params: tuple[AbiEntry, ...]
    types: tuple[str, ...]

    @classmethod
    def of(cls, params: Iterable[Any]) -> _Params:
        params = tuple(params)
        return cls(params, tuple(collapse_if_tuple(p) for p in params))

    def encode(self, args: Sequence[Any]) -> bytes:
        return _CODEC.encode(self.types, args)

    def decode(self, data: bytes) -> list[Any]:
        values = _CODEC.decode(self.types, data)
        return [_normalise(p, v) for p, v in zip(self.params, values, strict=True)]

    def decode_named(self, data: bytes) -> dict[str, Any]:
        return dict(zip((p["name"] for p in self.params), self.decode(data), strict=True))


@dataclass(frozen=True)
class _Function:
    selector: bytes
    inputs: _Params
    outputs: _Params


@dataclass(frozen=True)
class _Event:
    name: str
    names: tuple[str, ...]
    indexed: tuple[_Params, ...]
    plain: _Params


@dataclass(frozen=True)
class DecodedEvent:
    """One log of a project contract, decoded."""

    contract: str
    name: str
    args: dict[str, Any]
    address: str
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int


class ContractAbi:
    """One compiled contract, as a web3.py contract object with its encodings cached."""

    def __init__(self, name: str, abi: list[AbiEntry]) -> None:
        self.name = name
        self.abi = abi
        self.contract: type[Contract] = _WEB3.eth.contract(abi=abi)

    @classmethod
    def load(cls, name: str) -> ContractAbi:
        return cls(name, load_artifact(name)["abi"])

    @cached_property
    def _functions(self) -> dict[str, _Function]:
        return {
            function.fn_name: _Function(
                selector=function_signature_to_4byte_selector(function.signature),
                inputs=_Params.of(function.abi["inputs"]),
                outputs=_Params.of(function.abi["outputs"]),
            )
            for function in self.contract.all_functions()
        }

    @cached_property
    def _events_by_topic(self) -> dict[str, _Event]:
        """Keyed by the topic as JSON-RPC spells it (0x + lowercase hex)."""
        return {
            event.topic.lower(): _Event(
                name=event.event_name,
                names=tuple(p["name"] for p in event.abi["inputs"]),
                indexed=tuple(_Params.of([p]) for p in event.abi["inputs"] if p["indexed"]),
                plain=_Params.of(p for p in event.abi["inputs"] if not p["indexed"]),
            )
            for event in self.contract.all_events()
        }

    @cached_property
    def errors_by_selector(self) -> dict[bytes, tuple[str, _Params]]:
        return {
            function_signature_to_4byte_selector(abi_to_signature(entry)): (
                entry["name"],
                _Params.of(entry["inputs"]),
            )
            for entry in filter_abi_by_type("error", self.contract.abi)
        }

    def event_topic(self, name: str) -> bytes:
        return bytes.fromhex(self.contract.events[name].topic.removeprefix("0x"))

    def encode_call(self, function: str, *args: Any) -> bytes:
        layout = self._functions[function]
        return layout.selector + layout.inputs.encode(args)

    def encode_constructor(self, bytecode: str, *args: Any) -> bytes:
        """The deployment code with the constructor's arguments appended."""
        contract = _WEB3.eth.contract(abi=self.abi, bytecode=bytecode)
        data = contract.constructor(*args).data_in_transaction
        return bytes.fromhex(data.removeprefix("0x"))

    def decode_input(self, function: str, data: bytes) -> list[Any] | None:
        """The arguments of a call of ``function`` (its calldata ``data``); None when ``data``
        calls another function."""
        layout = self._functions[function]
        if data[:4] != layout.selector:
            return None
        return layout.inputs.decode(data[4:])

    def decode_output(self, function: str, data: bytes) -> Any:
        decoded = self._functions[function].outputs.decode(data)
        return decoded[0] if len(decoded) == 1 else tuple(decoded)

    def decode_log(self, log: dict[str, Any]) -> DecodedEvent | None:
        """Decode a raw JSON-RPC log; ``None`` when it is not one of this contract's events."""
        topics: list[str] = log["topics"]
        event = self._events_by_topic.get(topics[0].lower()) if topics else None
        if event is None:
            return None
        values: dict[str, Any] = {}
        for params, topic in zip(event.indexed, topics[1:], strict=True):
            values |= params.decode_named(bytes.fromhex(topic[2:]))
        values |= event.plain.decode_named(bytes.fromhex(log["data"][2:]))
        return DecodedEvent(
            contract=self.name,
            name=event.name,
            args={name: values[name] for name in event.names},
            address=checksum_address(log["address"]),
            block_number=int(log["blockNumber"], 16),
            block_hash=log["blockHash"],
            transaction_hash=log["transactionHash"],
            log_index=int(log["logIndex"], 16),
        )


#: Reverts of Solidity itself: ``require(…, "text")`` and failed checks (overflow, assert).
_BUILTIN_ERRORS = {
    function_signature_to_4byte_selector("Error(string)"): ("Error", "message", "string"),
    function_signature_to_4byte_selector("Panic(uint256)"): ("Panic", "code", "uint256"),
}


def decode_revert(data: bytes, abis: list[ContractAbi]) -> ContractRevert:
    """Turn revert data into a :class:`ContractRevert` naming the custom error."""
    selector, body = data[:4], data[4:]
    for contract in abis:
        found = contract.errors_by_selector.get(selector)
        if found is not None:
            name, params = found
            return ContractRevert(name, params.decode_named(body))
    builtin = _BUILTIN_ERRORS.get(selector)
    if builtin is not None:
        name, argument, kind = builtin
        return ContractRevert(name, {argument: _CODEC.decode([kind], body)[0]})
    return ContractRevert("UnknownRevert", {"data": "0x" + data.hex()})
