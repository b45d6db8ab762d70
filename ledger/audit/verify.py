"""``verify``: every database row that claims a chain fact, checked against the chain.

Run on a quiet platform: a row whose transaction is being confirmed while the check runs
may be reported once and not again.
"""

from __future__ import annotations

from ledger.audit.mismatch import Mismatch
from ledger.audit.verify_facts import (
    check_decisions,
    check_index,
    check_operations,
    check_organisations,
    check_status_changes,
)
from ledger.audit.verify_market import MARKET_CHECKS
from ledger.audit.verify_records import RECORD_CHECKS, check_attachments
from ledger.audit.verify_statements import STATEMENT_CHECKS
from ledger.core.runtime import Runtime
from ledger.indexer import index_once


def verify(runtime: Runtime, *, index_first: bool = True) -> list[Mismatch]:
    """The mismatches between the database and the chain; empty when they agree.

    Status history is checked against the event index, so the index is brought up to date
    first unless ``index_first`` is false.
    """
    if index_first:
        index_once(runtime)
    chain = runtime.chain
    found: list[Mismatch] = []
    with runtime.session() as session:
        for check in RECORD_CHECKS:
            found += check(session, chain)
        found += check_attachments(session, chain, runtime.settings.attachments_dir)
        for market_check in MARKET_CHECKS:
            found += market_check(session, chain)
        for statement_check in STATEMENT_CHECKS:
            found += statement_check(session, chain)
        found += check_status_changes(session, chain.chain_id)
        found += check_decisions(session, chain.chain_id)
        found += check_operations(session, chain)
        found += check_organisations(session, chain)
        found += check_index(session, chain)
    return found
