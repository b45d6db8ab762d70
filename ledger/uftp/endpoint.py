"""The platform's UFTP endpoint: shapeshifter-uftp's DSO service (HTTP transport, signature
checks, message parsing) with the platform's participants as its key and endpoint directory,
the platform's handlers for what aggregators send, and an outbox that composes and delivers
what the platform has to tell them."""

from __future__ import annotations

import base64
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Response
from shapeshifter_uftp import (
    FlexOfferResponse,
    FlexOfferRevocationResponse,
    FlexOrder,
    FlexRequest,
    FlexSettlement,
    ShapeshifterDsoAgrClient,
    ShapeshifterDsoService,
    SignedMessage,
    UsefRole,
    transport,
)
from shapeshifter_uftp.uftp.enums import AcceptedRejected

from ledger.core.db.models import utcnow
from ledger.core.runtime import Runtime
from ledger.uftp import compat, inbound, keys, messages, outbound, participants
from ledger.uftp.participants import Participant
from ledger.uftp.rejections import InvalidMessage, UftpRejection

assert compat  # imported for its effect: the transport runs on this FastAPI
log = logging.getLogger(__name__)
PATH = "/shapeshifter/api/v3/message"
#: crypto_sign puts the 64-byte Ed25519 signature before the signed XML.
SIGNATURE_BYTES = 64
#: Sealed bodies kept until their message is recorded (refused ones age out).
SEALED_KEPT = 10_000
#: How each message the platform sends leaves through shapeshifter-uftp's DSO->AGR client.
SENDERS: dict[type, Callable[[ShapeshifterDsoAgrClient, Any], None]] = {
    FlexRequest: ShapeshifterDsoAgrClient.send_flex_request,
    FlexOrder: ShapeshifterDsoAgrClient.send_flex_order,
    FlexSettlement: ShapeshifterDsoAgrClient.send_flex_settlement,
    FlexOfferResponse: ShapeshifterDsoAgrClient.send_flex_offer_response,
    FlexOfferRevocationResponse: ShapeshifterDsoAgrClient.send_flex_offer_revocation_response,
}


class PlatformEndpoint(ShapeshifterDsoService):  # type: ignore[misc]
    """The DSO-role UFTP endpoint of the platform (``cbp uftp serve``)."""

    def __init__(self, runtime: Runtime, *, host: str = "127.0.0.1", port: int = 8700) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.key_pair = keys.load_or_create(settings.uftp_key_file)
        super().__init__(
            sender_domain=settings.uftp_domain,
            signing_key=self.key_pair.secret_key,
            key_lookup_function=self._public_key_of,
            endpoint_lookup_function=self._endpoint_of,
            host=host,
            port=port,
            path=PATH,
        )
        self._sealed: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._sealed_lock = threading.Lock()
        self._stop = threading.Event()
        self._outbox: threading.Thread | None = None
        self._delivering = threading.Lock()

    # ------------------------------------------------------------------ directory

    def _participant(self, domain: str, role: str) -> Participant | None:
        with self.runtime.session() as session:
            return participants.find(session, domain, str(role))

    def _public_key_of(self, domain: str, role: str) -> str:
        """The sender's key; an unknown sender cannot be verified: HTTP 401 (no response
        message, as for a wrong signature)."""
        participant = self._participant(domain, role)
        if participant is None:
            raise HTTPException(401, f"{domain} is not a registered UFTP {role}")
        return participant.public_key

    def _endpoint_of(self, domain: str, role: str) -> str:
        participant = self._participant(domain, role)
        if participant is None:
            raise LookupError(f"{domain} is not a registered UFTP {role}")
        return participant.endpoint

    def _aggregator(self, message: Any) -> Participant | None:
        participant = self._participant(message.sender_domain, "AGR")
        if participant is None:
            log.warning(
                "%s from %s: not an aggregator", type(message).__name__, message.sender_domain
            )
        return participant

    # ------------------------------------------------------------------ inbound

    def _receive_message(self, message: SignedMessage) -> Response:
        """The library's entry point (signature check, parsing, hand-over to ``process_*``),
        keeping the sealed bytes of what arrives: an accepted message is recorded with them, so
        its signature can be checked again later with the participant's key."""
        try:
            opened = transport.from_xml(message.body[SIGNATURE_BYTES:])
        except Exception:  # noqa: S110  (not UFTP XML: the library refuses it, with a 400)
            pass
        else:
            with self._sealed_lock:
                key = (message.sender_domain, str(opened.message_id))
                self._sealed[key] = base64.b64encode(message.body).decode()
                while len(self._sealed) > SEALED_KEPT:
                    self._sealed.popitem(last=False)
        response: Response = super()._receive_message(message)
        return response

    def _sealed_of(self, message: Any) -> str | None:
        with self._sealed_lock:
            return self._sealed.pop((message.sender_domain, message.message_id), None)

    def process_flex_offer(self, message: Any) -> None:
        participant = self._aggregator(message)
        if participant is None:
            return
        try:
            inbound.take_flex_offer(
                self.runtime, participant, message, sealed=self._sealed_of(message)
            )
        except UftpRejection as rejection:
            log.info("FlexOffer %s rejected: %s", message.message_id, rejection.rejection_reason)
            self._reject_offer(message, rejection)
            return
        self.deliver()

    def _reject_offer(self, offer: Any, rejection: UftpRejection) -> None:
        """The Rejected response, sent at once and not stored: a refused message leaves no
        trace in the platform's records."""
        self.agr_client(offer.sender_domain).send_flex_offer_response(
            FlexOfferResponse(
                conversation_id=offer.conversation_id,
                flex_offer_message_id=offer.message_id,
                result=AcceptedRejected.REJECTED,
                rejection_reason=rejection.rejection_reason,
            )
        )

    def process_flex_request_response(self, message: Any) -> None:
        participant = self._aggregator(message)
        if participant is not None:
            inbound.take_flex_request_response(
                self.runtime, participant, message, sealed=self._sealed_of(message)
            )

    def process_flex_order_response(self, message: Any) -> None:
        participant = self._aggregator(message)
        if participant is not None:
            inbound.take_flex_order_response(
                self.runtime, participant, message, sealed=self._sealed_of(message)
            )

    def process_flex_settlement_response(self, message: Any) -> None:
        participant = self._aggregator(message)
        if participant is not None:
            inbound.take_flex_settlement_response(
                self.runtime, participant, message, sealed=self._sealed_of(message)
            )

    def process_flex_offer_revocation(self, message: Any) -> None:
        participant = self._aggregator(message)
        if participant is None:
            return
        try:
            inbound.take_flex_offer_revocation(
                self.runtime, participant, message, sealed=self._sealed_of(message)
            )
        except UftpRejection as rejection:
            log.info(
                "FlexOfferRevocation %s rejected: %s",
                message.message_id,
                rejection.rejection_reason,
            )
            self.agr_client(message.sender_domain).send_flex_offer_revocation_response(
                FlexOfferRevocationResponse(
                    conversation_id=message.conversation_id,
                    flex_offer_revocation_message_id=message.message_id,
                    result=AcceptedRejected.REJECTED,
                    rejection_reason=rejection.rejection_reason,
                )
            )
            return
        self.deliver()

    def process_d_prognosis(self, message: Any) -> None:
        self._unsupported(message)

    def process_metering(self, message: Any) -> None:
        self._unsupported(message)

    def process_flex_reservation_update_response(self, message: Any) -> None:
        log.info("FlexReservationUpdateResponse %s ignored: no reservations", message.message_id)

    def process_dso_portfolio_query_response(self, message: Any) -> None:
        log.info("DSOPortfolioQueryResponse %s ignored: no CRO", message.message_id)

    def process_dso_portfolio_update_response(self, message: Any) -> None:
        log.info("DSOPortfolioUpdateResponse %s ignored: no CRO", message.message_id)

    def _unsupported(self, message: Any) -> None:
        """Refused with the library's own rejection path (its response type, its ids)."""
        reason = InvalidMessage(
            f"{type(message).__name__} is not supported by this platform (docs/uftp.md)"
        ).rejection_reason
        envelope = SignedMessage(
            sender_domain=message.sender_domain, sender_role=UsefRole.AGR, body=b""
        )
        self._reject_message(envelope, message, reason)

    # ------------------------------------------------------------------ outbound

    def compose_due(self) -> int:
        with self.runtime.session() as session:
            return outbound.compose_due(self.runtime.settings, session)

    def deliver(self) -> int:
        """Send every recorded message not yet taken by its recipient; return how many went."""
        delivered = 0
        with self._delivering, self.runtime.session() as session:
            for row in messages.undelivered(session):
                message = messages.parse(row)
                try:
                    SENDERS[type(message)](self.agr_client(row.participant_domain), message)
                except Exception as exc:
                    log.warning(
                        "%s %s to %s not delivered: %s",
                        row.message_type,
                        row.message_id,
                        row.participant_domain,
                        exc,
                    )
                    continue
                row.delivered_at = utcnow()
                session.commit()
                delivered += 1
        return delivered

    def _outbox_loop(self) -> None:
        every = self.runtime.settings.uftp_outbox_every_s
        while not self._stop.wait(every):
            try:
                self.compose_due()
                self.deliver()
            except Exception:
                log.exception("UFTP outbox round failed; next round in %s s", every)

    def start_outbox(self) -> None:
        self._stop.clear()
        self._outbox = threading.Thread(target=self._outbox_loop, name="uftp-outbox", daemon=True)
        self._outbox.start()

    def stop_outbox(self) -> None:
        self._stop.set()
        if self._outbox is not None:
            self._outbox.join(timeout=10)

    def serve(self) -> None:
        """Serve until interrupted: HTTP endpoint and outbox."""
        self.start_outbox()
        try:
            self.run()
        finally:
            self.stop_outbox()
