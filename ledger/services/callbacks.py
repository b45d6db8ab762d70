"""Push an operation's outcome to the organisation's callback URL (the connector's webhook)."""

from __future__ import annotations

import httpx

from ledger.db.models import Operation, Organisation
from ledger.runtime import Runtime
from ledger.services.operations import public_view


class CallbackFailed(Exception):
    """The receiver did not answer 2xx; the worker retries with backoff."""


def deliver(runtime: Runtime, operation_id: str) -> str:
    """POST the operation view to the organisation's callback URL; return the outcome."""
    with runtime.session() as session:
        operation = session.get(Operation, operation_id)
        if operation is None:
            return "missing"
        organisation = session.get(Organisation, operation.organisation_id)
        if organisation is None or not organisation.callback_url:
            return "no-callback"
        body = public_view(operation)
        try:
            response = httpx.post(
                organisation.callback_url,
                json=body,
                timeout=runtime.settings.callback_timeout_s,
                headers={"X-CBP-Operation": operation.id},
            )
            outcome = f"delivered:{response.status_code}"
            failed = response.status_code >= 300
        except httpx.HTTPError as exc:
            outcome, failed = f"error:{type(exc).__name__}", True
        operation.callback_status = outcome
    if failed:
        raise CallbackFailed(outcome)
    return outcome
