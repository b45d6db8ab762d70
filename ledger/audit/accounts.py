"""Which accounts acted for an organisation, as the audit compares them with the chain.

A record on chain names the account that wrote it. After an organisation rotates its key
(``cbp org rotate-key``) it acts through a new account, and ``CbpRoles`` keeps the old account's
EIC as its "former EIC" (``formerEicOf``). A record written before the rotation therefore names
an account the organisation no longer holds, and is still the organisation's.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ledger.core.chain.client import ChainClient
from ledger.core.db.models import Organisation


class OrganisationAccounts:
    """The organisations' current accounts and EICs, and the chain's former EICs on demand."""

    def __init__(self, session: Session, chain: ChainClient) -> None:
        rows = session.exec(select(Organisation.id, Organisation.address, Organisation.eic)).all()
        self._current = {organisation_id: address for organisation_id, address, _ in rows}
        self._eic = {organisation_id: eic for organisation_id, _, eic in rows}
        self._chain = chain
        self._former_eics: dict[str, str] = {}

    def expected(self, organisation_id: str | None, account: str | None) -> str | None:
        """The account the stored ``organisation_id`` may have written with, to compare with the
        ``account`` the chain names: ``account`` itself when it is the organisation's current
        account or one it rotated away from, else the organisation's current account (None for
        an unknown organisation), so that a mismatch shows both."""
        current = self._current.get(organisation_id) if organisation_id else None
        if current is None or account is None or account == current:
            return current
        eic = self._eic.get(organisation_id) if organisation_id else None
        return account if eic and self._former_eic(account) == eic else current

    def _former_eic(self, account: str) -> str:
        if account not in self._former_eics:
            raw: bytes = self._chain.read("CbpRoles", "formerEicOf", account)
            self._former_eics[account] = raw.rstrip(b"\x00").decode("ascii", errors="replace")
        return self._former_eics[account]
