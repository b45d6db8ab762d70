"""Encode calls and decode results, events and custom errors from the committed artifacts.

Everything leaving this module is plain Python: ``bytes`` for fixed bytes, ``int`` for integers
and enums, checksummed ``str`` for addresses, tuples as dicts keyed by component name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from ledger.core.chain.compiler import load_artifact
from ledger.core.chain.errors import ContractRevert

AbiEntry = dict[str, Any]


def abi_type(param: AbiEntry) -> str:
    """The canonical type string of a parameter, expanding tuples (structs)."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(component) for component in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def signature(entry: AbiEntry) -> str:
    return f"{entry['name']}({','.join(abi_type(p) for p in entry['inputs'])})"


#: The same few addresses (contracts, organisations) recur in every log: checksumming them is
#: a Keccak hash each time, the largest cost of decoding before this cache.
checksum_address = lru_cache(maxsize=65536)(to_checksum_address)


@dataclass(frozen=True)
class _EventLayout:
    """An event's ABI entry with its indexed and data parameters split once."""

    entry: AbiEntry
    indexed: tuple[tuple[AbiEntry, str], ...]
    plain: tuple[AbiEntry, ...]
    plain_types: tuple[str, ...]

    @classmethod
    def of(cls, entry: AbiEntry) -> _EventLayout:
        plain = tuple(p for p in entry["inputs"] if not p["indexed"])
        return cls(
            entry=entry,
            indexed=tuple((p, abi_type(p)) for p in entry["inputs"] if p["indexed"]),
            plain=plain,
            plain_types=tuple(abi_type(p) for p in plain),
        )


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
    """The ABI of one compiled contract."""

    def __init__(self, name: str, abi: list[AbiEntry]) -> None:
        self.name = name
        self.abi = abi

    @classmethod
    def load(cls, name: str) -> ContractAbi:
        return cls(name, load_artifact(name)["abi"])

    @cached_property
    def _functions(self) -> dict[str, AbiEntry]:
        return {e["name"]: e for e in self.abi if e["type"] == "function"}

    @cached_property
    def _events_by_topic(self) -> dict[bytes, AbiEntry]:
        return {keccak(text=signature(e)): e for e in self.abi if e["type"] == "event"}

    @cached_property
    def _layouts_by_topic(self) -> dict[str, _EventLayout]:
        """Keyed by the topic as JSON-RPC spells it (0x + lowercase hex)."""
        return {"0x" + t.hex(): _EventLayout.of(e) for t, e in self._events_by_topic.items()}

    @cached_property
    def errors_by_selector(self) -> dict[bytes, AbiEntry]:
        return {keccak(text=signature(e))[:4]: e for e in self.abi if e["type"] == "error"}

    def event_topic(self, name: str) -> bytes:
        for topic, entry in self._events_by_topic.items():
            if entry["name"] == name:
                return topic
        raise KeyError(f"{self.name} has no event {name}")

    def encode_call(self, function: str, *args: Any) -> bytes:
        entry = self._functions[function]
        types = [abi_type(p) for p in entry["inputs"]]
        return keccak(text=signature(entry))[:4] + encode(types, list(args))

    def encode_constructor(self, bytecode: str, *args: Any) -> bytes:
        entry: AbiEntry = next((e for e in self.abi if e["type"] == "constructor"), {"inputs": []})
        return bytes.fromhex(bytecode.removeprefix("0x")) + encode(
            [abi_type(p) for p in entry["inputs"]], list(args)
        )

    def decode_output(self, function: str, data: bytes) -> Any:
        outputs = self._functions[function]["outputs"]
        values = decode([abi_type(p) for p in outputs], data)
        decoded = [_normalise(p, v) for p, v in zip(outputs, values, strict=True)]
        return decoded[0] if len(decoded) == 1 else tuple(decoded)

    def decode_log(self, log: dict[str, Any]) -> DecodedEvent | None:
        """Decode a raw JSON-RPC log; ``None`` when it is not one of this contract's events."""
        topics: list[str] = log["topics"]
        layout = self._layouts_by_topic.get(topics[0].lower()) if topics else None
        if layout is None:
            return None
        entry = layout.entry
        values: dict[str, Any] = {}
        for (param, kind), topic in zip(layout.indexed, topics[1:], strict=True):
            values[param["name"]] = _normalise(param, decode([kind], bytes.fromhex(topic[2:]))[0])
        data = bytes.fromhex(log["data"][2:])
        for param, value in zip(layout.plain, decode(layout.plain_types, data), strict=True):
            values[param["name"]] = _normalise(param, value)
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


def decode_revert(data: bytes, abis: list[ContractAbi]) -> ContractRevert:
    """Turn revert data into a :class:`ContractRevert` naming the custom error."""
    selector, body = data[:4], data[4:]
    for contract in abis:
        entry = contract.errors_by_selector.get(selector)
        if entry is not None:
            values = decode([abi_type(p) for p in entry["inputs"]], body)
            arguments = {
                p["name"]: _normalise(p, v) for p, v in zip(entry["inputs"], values, strict=True)
            }
            return ContractRevert(entry["name"], arguments)
    if selector == keccak(text="Error(string)")[:4]:
        return ContractRevert("Error", {"message": decode(["string"], body)[0]})
    if selector == keccak(text="Panic(uint256)")[:4]:
        return ContractRevert("Panic", {"code": decode(["uint256"], body)[0]})
    return ContractRevert("UnknownRevert", {"data": "0x" + data.hex()})
