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

from collections.abc import Sequence
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

from ledger.chain.compiler import load_artifact
from ledger.chain.errors import ContractRevert

AbiEntry = dict[str, Any]

#: No provider is ever asked: the contract objects and the codec work offline.
_WEB3 = Web3()
_CODEC = _WEB3.codec

#: The same few addresses (contracts, organisations) recur in every log: checksumming them is
#: a Keccak hash each time, the largest cost of decoding before this cache.
checksum_address = lru_cache(maxsize=65536)(to_checksum_address)


def _types(params: Sequence[Any]) -> tuple[str, ...]:
    return tuple(collapse_if_tuple(p) for p in params)


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


def _decode_named(params: list[AbiEntry], types: tuple[str, ...], data: bytes) -> dict[str, Any]:
    values = _CODEC.decode(types, data)
    return {p["name"]: _normalise(p, v) for p, v in zip(params, values, strict=True)}


@dataclass(frozen=True)
class _FunctionLayout:
    entry: AbiEntry
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]


@dataclass(frozen=True)
class _EventLayout:
    """An event's ABI entry with its indexed and data parameters split once."""

    entry: AbiEntry
    indexed: tuple[tuple[AbiEntry, str], ...]
    plain: list[AbiEntry]
    plain_types: tuple[str, ...]


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
    def _functions(self) -> dict[str, _FunctionLayout]:
        layouts = {}
        for function in self.contract.all_functions():
            entry: AbiEntry = dict(function.abi)
            layouts[function.fn_name] = _FunctionLayout(
                entry=entry,
                selector=function_signature_to_4byte_selector(function.signature),
                input_types=_types(entry["inputs"]),
                output_types=_types(entry["outputs"]),
            )
        return layouts

    @cached_property
    def _events_by_topic(self) -> dict[str, _EventLayout]:
        """Keyed by the topic as JSON-RPC spells it (0x + lowercase hex)."""
        layouts = {}
        for event in self.contract.all_events():
            entry: AbiEntry = dict(event.abi)
            plain = [p for p in entry["inputs"] if not p["indexed"]]
            layouts[event.topic.lower()] = _EventLayout(
                entry=entry,
                indexed=tuple((p, collapse_if_tuple(p)) for p in entry["inputs"] if p["indexed"]),
                plain=plain,
                plain_types=_types(plain),
            )
        return layouts

    @cached_property
    def errors_by_selector(self) -> dict[bytes, tuple[AbiEntry, tuple[str, ...]]]:
        return {
            function_signature_to_4byte_selector(abi_to_signature(entry)): (
                dict(entry),
                _types(entry["inputs"]),
            )
            for entry in filter_abi_by_type("error", self.contract.abi)
        }

    def event_topic(self, name: str) -> bytes:
        return bytes.fromhex(self.contract.events[name].topic.removeprefix("0x"))

    def encode_call(self, function: str, *args: Any) -> bytes:
        layout = self._functions[function]
        return layout.selector + _CODEC.encode(layout.input_types, list(args))

    def encode_constructor(self, bytecode: str, *args: Any) -> bytes:
        """The deployment code with the constructor's arguments appended."""
        contract = _WEB3.eth.contract(abi=self.abi, bytecode=bytecode)
        data = contract.constructor(*args).data_in_transaction
        return bytes.fromhex(data.removeprefix("0x"))

    def decode_output(self, function: str, data: bytes) -> Any:
        layout = self._functions[function]
        values = _CODEC.decode(layout.output_types, data)
        outputs = layout.entry["outputs"]
        decoded = [_normalise(p, v) for p, v in zip(outputs, values, strict=True)]
        return decoded[0] if len(decoded) == 1 else tuple(decoded)

    def decode_log(self, log: dict[str, Any]) -> DecodedEvent | None:
        """Decode a raw JSON-RPC log; ``None`` when it is not one of this contract's events."""
        topics: list[str] = log["topics"]
        layout = self._events_by_topic.get(topics[0].lower()) if topics else None
        if layout is None:
            return None
        entry = layout.entry
        values: dict[str, Any] = {}
        for (param, kind), topic in zip(layout.indexed, topics[1:], strict=True):
            values[param["name"]] = _normalise(
                param, _CODEC.decode([kind], bytes.fromhex(topic[2:]))[0]
            )
        values.update(
            _decode_named(layout.plain, layout.plain_types, bytes.fromhex(log["data"][2:]))
        )
        ordered = {p["name"]: values[p["name"]] for p in entry["inputs"]}
        return DecodedEvent(
            contract=self.name,
            name=entry["name"],
            args=ordered,
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
            entry, types = found
            return ContractRevert(entry["name"], _decode_named(entry["inputs"], types, body))
    builtin = _BUILTIN_ERRORS.get(selector)
    if builtin is not None:
        name, argument, kind = builtin
        return ContractRevert(name, {argument: _CODEC.decode([kind], body)[0]})
    return ContractRevert("UnknownRevert", {"data": "0x" + data.hex()})
