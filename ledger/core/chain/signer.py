"""Organisation accounts: encrypted keystores, local signing, a local nonce counter.

Each organisation signs with its own key, so the contracts' role checks on ``msg.sender`` hold
even if the API had a bug. Keys live only in encrypted keystore files (eth-account's format);
the password comes from the settings, never from the database or logs.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions import TypedTransaction
from eth_utils import to_checksum_address
from hexbytes import HexBytes

# scrypt work factor: 2**15 keeps a keystore unlock near 0.1 s on these machines.
KEYSTORE_SCRYPT_N = 2**15


def create_keystore(path: Path, password: str) -> str:
    """Create a new key, store it encrypted at ``path``; return its checksummed address."""
    account: LocalAccount = Account.create()
    document = Account.encrypt(account.key, password, kdf="scrypt", iterations=KEYSTORE_SCRYPT_N)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    path.chmod(0o600)
    return str(account.address)


_unlocked: dict[tuple[Path, str], tuple[tuple[int, int], LocalAccount]] = {}
_unlock_lock = threading.Lock()


def load_account(path: Path, password: str) -> LocalAccount:
    """Decrypt a keystore once per process, and again when the file is replaced (a key
    rotation puts the new keystore in its place: every process then signs with the new key)."""
    key = (path.resolve(), password)
    status = path.stat()
    version = (status.st_ino, status.st_mtime_ns)
    with _unlock_lock:
        cached = _unlocked.get(key)
        if cached is None or cached[0] != version:
            document = json.loads(path.read_text(encoding="utf-8"))
            cached = (version, Account.from_key(Account.decrypt(document, password)))
            _unlocked[key] = cached
        return cached[1]


@dataclass(frozen=True)
class SignedTransaction:
    tx_hash: str
    raw: str
    nonce: int

    @property
    def fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas) it was signed with."""
        fields = TypedTransaction.from_bytes(HexBytes(self.raw)).as_dict()
        return int(fields["maxFeePerGas"]), int(fields["maxPriorityFeePerGas"])

    @property
    def call(self) -> tuple[str, bytes]:
        """(the checksummed address it calls, its calldata)."""
        fields = TypedTransaction.from_bytes(HexBytes(self.raw)).as_dict()
        return to_checksum_address(fields["to"]), bytes(fields["data"])


class Signer:
    """Signs transactions for one account, numbering them with a local nonce counter.

    The counter starts from the chain's pending count and then advances locally, so a batch of
    transactions is signed and sent without a round trip per nonce. Callers that share an
    account across processes serialise through :func:`ledger.core.chain.client.ChainClient.locked`.
    """

    def __init__(self, account: LocalAccount, chain_id: int) -> None:
        self.account = account
        self.address: str = account.address
        self.chain_id = chain_id
        self._next_nonce: int | None = None

    def reset_nonce(self, pending_count: int) -> None:
        self._next_nonce = pending_count

    @property
    def nonce_known(self) -> bool:
        return self._next_nonce is not None

    def sign(
        self,
        *,
        to: str | None,
        data: bytes,
        gas: int,
        max_fee: int,
        priority_fee: int,
        value: int = 0,
    ) -> SignedTransaction:
        if self._next_nonce is None:
            raise RuntimeError("nonce unknown: call reset_nonce() first")
        transaction: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": self._next_nonce,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority_fee,
            "value": value,
            "data": data,
        }
        if to is not None:
            transaction["to"] = to
        signed = self.account.sign_transaction(transaction)
        self._next_nonce += 1
        return SignedTransaction(
            tx_hash="0x" + signed.hash.hex().removeprefix("0x"),
            raw="0x" + signed.raw_transaction.hex().removeprefix("0x"),
            nonce=transaction["nonce"],
        )

    def replace(
        self, transaction: SignedTransaction, *, max_fee: int, priority_fee: int
    ) -> SignedTransaction:
        """The same transaction (nonce, recipient, data, gas) signed again with other fees."""
        fields = TypedTransaction.from_bytes(HexBytes(transaction.raw)).as_dict()
        replacement: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": transaction.nonce,
            "gas": fields["gas"],
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority_fee,
            "value": fields["value"],
            "data": bytes(fields["data"]),
        }
        if fields.get("to"):
            replacement["to"] = to_checksum_address(bytes(fields["to"]))
        signed = self.account.sign_transaction(replacement)
        return SignedTransaction(
            tx_hash="0x" + signed.hash.hex().removeprefix("0x"),
            raw="0x" + signed.raw_transaction.hex().removeprefix("0x"),
            nonce=transaction.nonce,
        )
