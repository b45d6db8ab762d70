"""The chain client: preflight, sign, send in batches, collect receipts in bulk, decode.

One :class:`ChainClient` per process talks to one JSON-RPC endpoint and knows the deployed
project contracts. It uses only standard Ethereum JSON-RPC methods, so the same code runs
against Anvil locally and against a permissioned EVM network in production.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_typing import HexAddress, HexStr
from eth_utils import to_checksum_address
from web3.types import Nonce
from web3.utils.address import get_create_address

from ledger.core.chain.abi import ContractAbi, DecodedEvent, decode_revert
from ledger.core.chain.errors import (
    ChainError,
    ContractRevert,
    ReceiptTimeout,
    RpcError,
    RpcTimeout,
)
from ledger.core.chain.nonces import NonceCounters, reserve
from ledger.core.chain.rpc import RpcClient, RpcRequest
from ledger.core.chain.signer import SignedTransaction, Signer

log = logging.getLogger(__name__)

CONTRACTS = (
    "CbpRoles",
    "ResourceRegistry",
    "P2PTrading",
    "FlexMarket",
    "MeasurementLedger",
    "SettlementLedger",
    "StatementLedger",
)
GAS_HEADROOM_PERCENT = 25
#: How much a replacement raises a stuck transaction's fees (geth and Besu ask for 10 %).
FEE_BUMP_PERCENT = 20
#: Receipts asked for in one JSON-RPC batch.
RECEIPT_BATCH = 500
PRIORITY_FEE_WEI = 1_000_000_000
#: Gas estimates are asked again when the node did not answer them in time: Ganache 7 never
#: answers an eth_estimateGas that overlaps the mining of a block (it copies the state trie
#: while the miner writes it); the same request asked again is answered at once.
ESTIMATE_ATTEMPTS = 3


@dataclass(frozen=True)
class Deployment:
    """Where the project contracts live on one chain."""

    chain_id: int
    addresses: dict[str, str]
    deployed_block: int
    deployer: str

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.chain_id}.json"
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", "utf-8")
        return path

    @classmethod
    def load(cls, directory: Path, chain_id: int) -> Deployment | None:
        path = directory / f"{chain_id}.json"
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text("utf-8")))


@dataclass(frozen=True)
class Call:
    """A contract call to be sent as a transaction."""

    contract: str
    function: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Receipt:
    transaction_hash: str
    succeeded: bool
    block_number: int
    block_hash: str
    transaction_index: int
    gas_used: int
    sender: str
    contract_address: str | None
    events: tuple[DecodedEvent, ...]


class ChainClient:
    """``confirmations``: blocks on top of a receipt's block before :meth:`wait` returns it as
    final (0: final once mined, as on BFT chains); ``timeout_s``: longest wait for one answer."""

    def __init__(
        self,
        rpc_url: str,
        deployment: Deployment | None = None,
        *,
        confirmations: int = 0,
        timeout_s: float = 30.0,
    ) -> None:
        self.rpc = RpcClient(rpc_url, timeout_s=timeout_s)
        self.rpc_url = rpc_url
        self.abis = {name: ContractAbi.load(name) for name in CONTRACTS}
        self.deployment = deployment
        self.confirmations = confirmations
        self._chain_id: int | None = None

    def close(self) -> None:
        self.rpc.close()

    # ------------------------------------------------------------ reads

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.rpc.call("eth_chainId"), 16)
        return self._chain_id

    def address_of(self, contract: str) -> str:
        if self.deployment is None:
            raise ChainError("contracts are not deployed on this chain: run `cbp chain deploy`")
        return self.deployment.addresses[contract]

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def balance(self, address: str) -> int:
        """Wei held by ``address`` at the latest block."""
        return int(self.rpc.call("eth_getBalance", [address, "latest"]), 16)

    def gas_price(self) -> int:
        return int(self.rpc.call("eth_gasPrice"), 16)

    def read(self, contract: str, function: str, *args: Any) -> Any:
        """Call a view function and decode its result."""
        abi = self.abis[contract]
        request = {
            "to": self.address_of(contract),
            "data": "0x" + abi.encode_call(function, *args).hex(),
        }
        try:
            result = self.rpc.call("eth_call", [request, "latest"])
        except RpcError as exc:
            raise self.revert_of(exc.rpc_error) from exc
        return abi.decode_output(function, bytes.fromhex(result[2:]))

    def get_logs(self, from_block: int, to_block: int) -> list[DecodedEvent]:
        """Decoded events of the project contracts in a block range (inclusive)."""
        if self.deployment is None:
            return []
        logs = self.rpc.call(
            "eth_getLogs",
            [
                {
                    "fromBlock": hex(from_block),
                    "toBlock": hex(to_block),
                    "address": list(self.deployment.addresses.values()),
                }
            ],
        )
        return self._decode_logs(logs)

    # ------------------------------------------------------------ writes

    def simulate(self, sender: str, calls: Sequence[Call]) -> None:
        """Dry-run independent calls from ``sender`` on the latest block; raise the first
        decoded revert.

        ``eth_call`` on a mined block, not ``eth_estimateGas``: a dry run needs no gas figure,
        and every node answers a call on a mined block's state without waiting for its miner.
        """
        requests: list[tuple[str, list[Any]]] = []
        for call in calls:
            data = self.abis[call.contract].encode_call(call.function, *call.args)
            request = {
                "from": sender,
                "to": self.address_of(call.contract),
                "data": "0x" + data.hex(),
            }
            requests.append(("eth_call", [request, "latest"]))
        for _, error in self.rpc.batch(requests):
            if error is not None:
                raise self.revert_of(error)

    def fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas): twice the current price leaves room for rises."""
        return 2 * self.gas_price() + PRIORITY_FEE_WEI, PRIORITY_FEE_WEI

    def prepare(
        self,
        signer: Signer,
        calls: Sequence[Call],
        *,
        nonces: NonceCounters | None = None,
    ) -> list[SignedTransaction]:
        """Simulate every call (decoded revert on refusal) and sign them with consecutive nonces.

        The calls must not depend on each other's effects: they are simulated against the same
        state. Nothing is sent; store the signed transactions first if the caller needs to
        resend them after a crash, then :meth:`send`. With ``nonces``, the nonces come from the
        account's counter (seeded from the node's pending count), so transactions signed while
        earlier ones are unmined follow them. A multicall's estimate covers all its items: one
        that would run out of gas reverts the whole multicall (``MulticallOutOfGas``).
        """
        requests: list[tuple[str, list[Any]]] = [
            ("eth_getTransactionCount", [signer.address, "pending"]),
            ("eth_gasPrice", []),
        ]
        payloads = []
        for call in calls:
            data = self.abis[call.contract].encode_call(call.function, *call.args)
            to = self.address_of(call.contract)
            payloads.append((to, data))
            requests.append(
                ("eth_estimateGas", [{"from": signer.address, "to": to, "data": "0x" + data.hex()}])
            )
        answers = self._batch_with_estimates(requests)
        for (method, _), (_, error) in zip(requests[:2], answers[:2], strict=True):
            if error is not None:
                raise RpcError(method, error)
        pending_count = int(answers[0][0], 16)
        for _, error in answers[2:]:
            if error is not None:  # refused: no nonce is reserved
                raise self.revert_of(error)
        gases = [
            int(estimate, 16) * (100 + GAS_HEADROOM_PERCENT) // 100 for estimate, _ in answers[2:]
        ]
        return self._sign(
            signer,
            [(to, data, gas) for (to, data), gas in zip(payloads, gases, strict=True)],
            pending_count=pending_count,
            gas_price=int(answers[1][0], 16),
            nonces=nonces,
        )

    def sign_with_gas(
        self,
        signer: Signer,
        contract: str,
        data: bytes,
        *,
        gas: int,
        nonces: NonceCounters | None = None,
    ) -> SignedTransaction:
        """Sign a call of ``contract`` (its ABI-encoded ``data``) with the gas limit ``gas``
        (plus :data:`GAS_HEADROOM_PERCENT`) and the next nonce, without asking the node for an
        estimate: for a call whose gas the caller measured in its own dry run (a multicall,
        :func:`ledger.core.coalescing.dry_run`)."""
        answers = self.rpc.batch(
            [("eth_getTransactionCount", [signer.address, "pending"]), ("eth_gasPrice", [])]
        )
        for method, (_, error) in zip(
            ("eth_getTransactionCount", "eth_gasPrice"), answers, strict=True
        ):
            if error is not None:
                raise RpcError(method, error)
        [signed] = self._sign(
            signer,
            [(self.address_of(contract), data, gas * (100 + GAS_HEADROOM_PERCENT) // 100)],
            pending_count=int(answers[0][0], 16),
            gas_price=int(answers[1][0], 16),
            nonces=nonces,
        )
        return signed

    def _sign(
        self,
        signer: Signer,
        payloads: Sequence[tuple[str, bytes, int]],
        *,
        pending_count: int,
        gas_price: int,
        nonces: NonceCounters | None,
    ) -> list[SignedTransaction]:
        """Sign ``(to, data, gas)`` payloads with consecutive nonces from the node's pending
        count, or from the account's counter when ``nonces`` is given."""
        if nonces is not None:
            pending_count = reserve(
                nonces, signer.address, pending_count=pending_count, count=len(payloads)
            )
        signer.reset_nonce(pending_count)
        max_fee = 2 * gas_price + PRIORITY_FEE_WEI
        return [
            signer.sign(to=to, data=data, gas=gas, max_fee=max_fee, priority_fee=PRIORITY_FEE_WEI)
            for to, data, gas in payloads
        ]

    def replacement_fees(self, transaction: SignedTransaction) -> tuple[int, int]:
        """Fees for a replacement of a transaction stuck in the pool: at least
        :data:`FEE_BUMP_PERCENT` above its own (nodes refuse a smaller rise), and at least what
        :meth:`fees` asks today."""
        old_max, old_priority = transaction.fees
        now_max, now_priority = self.fees()
        bump = 100 + FEE_BUMP_PERCENT
        priority = max(old_priority * bump // 100 + 1, now_priority)
        return max(old_max * bump // 100 + 1, now_max, priority), priority

    def send(self, transactions: Sequence[SignedTransaction]) -> None:
        """Send signed transactions in one batch; a node that already knows one is fine."""
        answers = self.rpc.batch([("eth_sendRawTransaction", [tx.raw]) for tx in transactions])
        for tx, (_, error) in zip(transactions, answers, strict=True):
            if error is None or _already_known(error):
                continue
            # A transaction already mined is refused as "nonce too low": it is known all the same.
            if _nonce_too_low(error) and self.is_known(tx.tx_hash):
                continue
            raise RpcError(f"eth_sendRawTransaction {tx.tx_hash}", error)

    def wait(self, tx_hashes: Sequence[str], *, timeout_s: float = 120.0) -> list[Receipt]:
        """Poll receipts in batches until all are final; reverted ones are returned, not raised.

        A receipt is final once :attr:`confirmations` blocks are on top of its block. Each poll
        asks for the head in the same batch as the receipts, so a receipt counted as final is
        the one the node holds on its canonical chain at that head: a transaction a
        reorganisation took out (no receipt) or moved (another block) is waited for again.
        """
        pending = list(dict.fromkeys(tx_hashes))
        found: dict[str, Receipt] = {}
        deadline = time.monotonic() + timeout_s
        delay = 0.005
        while pending:
            requests: list[RpcRequest] = [("eth_getTransactionReceipt", [h]) for h in pending]
            if self.confirmations:
                requests.append(("eth_blockNumber", []))
            answers = self.rpc.batch(requests)
            head = int(answers[-1][0], 16) if self.confirmations else None
            still = []
            for tx_hash, (raw, error) in zip(pending, answers[: len(pending)], strict=True):
                if error is not None:
                    raise RpcError("eth_getTransactionReceipt", error)
                receipt = None if raw is None else self._receipt(raw)
                if receipt is None or (
                    head is not None and head - receipt.block_number < self.confirmations
                ):
                    still.append(tx_hash)
                else:
                    found[tx_hash] = receipt
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise ReceiptTimeout(
                        f"{len(pending)} transactions not mined with {self.confirmations}"
                        f" confirmations in {timeout_s}s"
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        return [found[h] for h in tx_hashes]

    def receipts(self, tx_hashes: Sequence[str]) -> dict[str, Receipt]:
        """The receipts of those transactions that are mined, by hash: one round trip per
        :data:`RECEIPT_BATCH` hashes, never a wait."""
        unique = list(dict.fromkeys(tx_hashes))
        found: dict[str, Receipt] = {}
        for start in range(0, len(unique), RECEIPT_BATCH):
            chunk = unique[start : start + RECEIPT_BATCH]
            answers = self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
            for tx_hash, (raw, error) in zip(chunk, answers, strict=True):
                if error is not None:
                    raise RpcError("eth_getTransactionReceipt", error)
                if raw is not None:
                    found[tx_hash] = self._receipt(raw)
        return found

    def known(self, tx_hashes: Sequence[str]) -> set[str]:
        """Which of these transactions the node knows (pending or mined), in one round trip."""
        answers = self.rpc.batch([("eth_getTransactionByHash", [h]) for h in tx_hashes])
        for _, error in answers:
            if error is not None:
                raise RpcError("eth_getTransactionByHash", error)
        return {h for h, (raw, _) in zip(tx_hashes, answers, strict=True) if raw is not None}

    def receipt(self, tx_hash: str) -> Receipt | None:
        raw = self.rpc.call("eth_getTransactionReceipt", [tx_hash])
        return None if raw is None else self._receipt(raw)

    def is_known(self, tx_hash: str) -> bool:
        return self.rpc.call("eth_getTransactionByHash", [tx_hash]) is not None

    def transact(self, signer: Signer, calls: Sequence[Call]) -> list[Receipt]:
        """Prepare, send and wait; raise the decoded revert of the first failed transaction."""
        signed = self.prepare(signer, calls)
        self.send(signed)
        receipts = self.wait([tx.tx_hash for tx in signed])
        for receipt in receipts:
            if not receipt.succeeded:
                raise self.revert_reason(receipt)
        return receipts

    def deploy(self, signer: Signer, contract: str, bytecode: str, *args: Any) -> str:
        """Deploy ``contract`` and return its address."""
        [address] = self.deploy_all(signer, [(contract, bytecode, lambda _: args)])
        return address

    def deploy_all(
        self,
        signer: Signer,
        plans: Sequence[tuple[str, str, Callable[[list[str]], Sequence[Any]]]],
    ) -> list[str]:
        """Deploy several contracts in one go and return their addresses, in order.

        Each plan is (contract, bytecode, constructor arguments given the addresses of the
        contracts planned before it). The addresses follow from the signer's address and
        nonces, so every deployment is signed and sent at once with consecutive nonces and the
        receipts are awaited together: a chain with a block time mines them in one or two
        blocks instead of one block each. The constructors may store the other addresses but
        must not call them (their code is not there yet when the gas is estimated).
        """
        first = int(self.rpc.call("eth_getTransactionCount", [signer.address, "pending"]), 16)
        addresses: list[str] = [
            get_create_address(HexAddress(HexStr(signer.address)), Nonce(first + i))
            for i in range(len(plans))
        ]
        payloads = [
            self.abis[contract].encode_constructor(bytecode, *arguments(addresses[:index]))
            for index, (contract, bytecode, arguments) in enumerate(plans)
        ]
        answers = self._batch_with_estimates(
            [
                ("eth_estimateGas", [{"from": signer.address, "data": "0x" + data.hex()}])
                for data in payloads
            ]
        )
        for _, error in answers:
            if error is not None:
                raise RpcError("eth_estimateGas", error)
        max_fee, priority = self.fees()
        signer.reset_nonce(first)
        signed = [
            signer.sign(
                to=None,
                data=data,
                gas=int(estimate_hex, 16) * 12 // 10,
                max_fee=max_fee,
                priority_fee=priority,
            )
            for data, (estimate_hex, _) in zip(payloads, answers, strict=True)
        ]
        self.send(signed)
        receipts = self.wait([tx.tx_hash for tx in signed])
        for (contract, _, _), address, receipt in zip(plans, addresses, receipts, strict=True):
            if not receipt.succeeded or receipt.contract_address is None:
                raise ChainError(f"deployment of {contract} failed in {receipt.transaction_hash}")
            if receipt.contract_address.lower() != address.lower():
                raise ChainError(f"{contract} landed at {receipt.contract_address}, not {address}")
        return addresses

    def transfer(self, signer: Signer, to: str, wei: int) -> Receipt:
        """Send ether (gas money) from ``signer`` to ``to``."""
        [tx] = self.send_transfers(signer, [to], wei)
        [receipt] = self.wait([tx.tx_hash])
        return receipt

    def send_transfers(
        self, signer: Signer, recipients: Sequence[str], wei: int
    ) -> list[SignedTransaction]:
        """Send ``wei`` from ``signer`` to each recipient, with consecutive nonces, without
        waiting for them to be mined (:meth:`wait` for their hashes)."""
        signer.reset_nonce(
            int(self.rpc.call("eth_getTransactionCount", [signer.address, "pending"]), 16)
        )
        max_fee, priority = self.fees()
        signed = [
            signer.sign(
                to=to, data=b"", gas=21_000, max_fee=max_fee, priority_fee=priority, value=wei
            )
            for to in recipients
        ]
        self.send(signed)
        return signed

    def revert_reason(self, receipt: Receipt) -> ContractRevert:
        """Replay a reverted transaction at its block's parent to recover the custom error."""
        tx = self.rpc.call("eth_getTransactionByHash", [receipt.transaction_hash])
        request = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        try:
            self.rpc.call("eth_call", [request, hex(receipt.block_number - 1)])
        except RpcError as exc:
            return self.revert_of(exc.rpc_error)
        return ContractRevert("UnknownRevert", {"transaction": receipt.transaction_hash})

    # ------------------------------------------------------------ internals

    def _batch_with_estimates(
        self, requests: list[RpcRequest]
    ) -> list[tuple[Any, dict[str, Any] | None]]:
        """A read-only batch holding gas estimates, asked again when the node does not answer
        it in time (see :data:`ESTIMATE_ATTEMPTS`)."""
        for attempt in range(1, ESTIMATE_ATTEMPTS + 1):
            try:
                return self.rpc.batch(requests)
            except RpcTimeout:
                if attempt == ESTIMATE_ATTEMPTS:
                    raise
                log.warning("gas estimates not answered in time; asking again (%d)", attempt)
        raise AssertionError("unreachable")

    def revert_of(self, error: dict[str, Any]) -> ContractRevert:
        """The decoded contract error in a node's JSON-RPC error answer."""
        data = error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            return decode_revert(bytes.fromhex(data[2:]), list(self.abis.values()))
        return ContractRevert("UnknownRevert", {"message": error.get("message", "")})

    def _receipt(self, raw: dict[str, Any]) -> Receipt:
        return Receipt(
            transaction_hash=raw["transactionHash"],
            succeeded=raw["status"] == "0x1",
            block_number=int(raw["blockNumber"], 16),
            block_hash=raw["blockHash"],
            transaction_index=int(raw["transactionIndex"], 16),
            gas_used=int(raw["gasUsed"], 16),
            sender=to_checksum_address(raw["from"]),
            contract_address=(
                to_checksum_address(raw["contractAddress"]) if raw.get("contractAddress") else None
            ),
            events=tuple(self._decode_logs(raw["logs"])),
        )

    def _decode_logs(self, logs: list[dict[str, Any]]) -> list[DecodedEvent]:
        if self.deployment is None:
            return []
        by_address = {a.lower(): self.abis[n] for n, a in self.deployment.addresses.items()}
        decoded = []
        for log in logs:
            abi = by_address.get(log["address"].lower())
            event = abi.decode_log(log) if abi else None
            if event is not None:
                decoded.append(event)
        return decoded


def _already_known(error: dict[str, Any]) -> bool:
    message = str(error.get("message", "")).lower()
    return "already known" in message or "already imported" in message


def _nonce_too_low(error: dict[str, Any]) -> bool:
    return "nonce too low" in str(error.get("message", "")).lower()
