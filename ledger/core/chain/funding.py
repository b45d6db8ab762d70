"""Gas money for new organisations' accounts, paid by the funder (``CBP_FUNDER_KEY``).

On a chain where gas costs nothing (a permissioned network with a zero minimum gas price) new
accounts need no money and no funder. Elsewhere the funder must hold what it hands out: that
is checked before anything is created, so a platform without a usable funder is told so by
name instead of failing later with the node's "insufficient funds for gas * price + value".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account import Account

from ledger.core.chain.client import ChainClient
from ledger.core.chain.errors import FunderCannotPay
from ledger.core.chain.signer import Signer

TRANSFER_GAS = 21_000
FUNDER_SETTING = "CBP_FUNDER_KEY"


@dataclass(frozen=True)
class Funding:
    """What funding one new account takes on this chain: nothing (free gas) or a transfer."""

    funder: Signer | None
    wei: int

    def pay(self, chain: ChainClient, address: str) -> None:
        if self.funder is not None:
            chain.transfer(self.funder, address, self.wei)

    def send(self, chain: ChainClient, addresses: Sequence[str]) -> list[str]:
        """Send each address its money without waiting; return the transfers' hashes (none on
        a chain where gas is free)."""
        if self.funder is None or not addresses:
            return []
        return [tx.tx_hash for tx in chain.send_transfers(self.funder, addresses, self.wei)]


def plan_funding(
    chain: ChainClient, funder_key: str | None, wei: int, *, accounts: int = 1
) -> Funding:
    """Check that the funder can hand out ``wei`` to each of ``accounts`` accounts and pay the
    transfers; raise :class:`FunderCannotPay` naming ``CBP_FUNDER_KEY``, the account and the
    amount otherwise."""
    gas_price = chain.gas_price()
    if gas_price == 0:
        return Funding(funder=None, wei=0)
    if not funder_key:
        raise FunderCannotPay(
            f"gas costs {gas_price} wei per unit on this chain and no account pays it for new"
            f" organisations: set {FUNDER_SETTING} to the key of an account holding at least"
            f" {wei} wei per organisation",
            field=FUNDER_SETTING,
        )
    funder = Signer(Account.from_key(funder_key), chain.chain_id)
    max_fee, _ = chain.fees()
    needed = accounts * (wei + TRANSFER_GAS * max_fee)
    balance = chain.balance(funder.address)
    if balance < needed:
        raise FunderCannotPay(
            f"the funder {funder.address} ({FUNDER_SETTING}) holds {balance} wei and cannot pay"
            f" {needed} wei ({wei} wei of gas money and the transfer's fee per account) for"
            f" {accounts} new organisation(s): send it money or set another key",
            field=FUNDER_SETTING,
            funder=funder.address,
            balance_wei=str(balance),
            needed_wei=str(needed),
        )
    return Funding(funder=funder, wei=wei)
