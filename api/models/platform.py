"""Answers of the platform routes: operations, the calling organisation, its callback, tokens
and deliveries, health."""

from __future__ import annotations

from api.models.common import Instant, JsonObject
from api.models.common import PublicModel as _Public


class OperationPublic(_Public):
    """An accepted write and how far it got on chain (``GET /operations/{id}``)."""

    operation_id: str
    kind: str
    status: str
    """``accepted``, ``submitted`` (sent, not yet mined), ``succeeded`` or ``failed``."""
    target_id: str | None
    target_name: str | None = None
    """What the target is, for people: a POD's code, a UVAM's name, a bid's, activation's or
    settlement's UVAM and delivery periods (``UVAM Nord 3, 6 Dec 13:00-13:30``, with ``v2`` for
    a settlement's version), a statement's BSP and month, a P2P trade's window; null when the
    platform has no name for it (the id stays in ``targetId``)."""
    transaction_hashes: list[str]
    block_number: int | None
    gas_used: int | None
    error: JsonObject | None
    """Why the operation failed: ``{code, message, field}``, with the decoded contract error."""
    result: JsonObject | None
    callback_status: str | None
    created_at: Instant
    updated_at: Instant


class OrganisationPublic(_Public):
    id: str
    name: str
    role: str
    """``TSO``, ``DSO``, ``BSP``, ``OPERATOR`` or ``AUDITOR``."""
    eic: str | None
    address: str
    """The organisation's chain account."""
    callback_url: str | None


class CallbackSet(_Public):
    callback_url: str | None
    signing_secret: str | None
    """``whsec_...``, answered once: on the first registration of a URL; null afterwards."""


class SigningSecret(_Public):
    signing_secret: str
    """The new ``whsec_...`` secret, shown once."""


class DeliveryAttempt(_Public):
    attempt: int
    attempted_at: Instant
    url: str
    http_status: int | None
    error: str | None


class CallbackDelivery(_Public):
    """A callback sent to the organisation, with every attempt to deliver it."""

    message_id: str
    event_type: str
    subject_kind: str
    subject_id: str
    status: str
    created_at: Instant
    attempts: list[DeliveryAttempt]


class TokenPublic(_Public):
    """An API token as its organisation sees it: never the token or its hash."""

    id: str
    label: str
    status: str
    """``active``, ``expired`` or ``revoked``."""
    created_at: Instant | None
    expires_at: Instant | None
    revoked_at: Instant | None
    last_used_at: Instant | None


class TokenIssued(TokenPublic):
    token: str
    """The token itself (``cbp_...``), in this answer only."""


class Health(_Public):
    status: str
    chain_id: int
    block: int
