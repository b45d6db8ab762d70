"""UFTP rejection reasons: a message that is refused gets a response with ``Result="Rejected"``
and one of these reasons (the wording of the UFTP specification, as shapeshifter-uftp's
exceptions carry it), followed by what exactly was wrong."""

from __future__ import annotations

from shapeshifter_uftp.exceptions import (
    AlreadySubmittedException,
    DuplicateIdentifierException,
    ExpirationDateTimeOutOfBoundsException,
    InvalidCongestionPointException,
    ISPConflictException,
    ISPDurationRejectedException,
    ISPsOutOfBoundsException,
    ReferenceMessageExpiredException,
    ReferencePeriodMismatchException,
    TimeZoneRejectedException,
    UnknownRecipientException,
    UnknownReferenceException,
)


class UftpRejection(Exception):
    """A message the platform refuses; ``rejection_reason`` goes into the Rejected response."""

    reason: str = "Invalid Message"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.reason)
        self.detail = detail

    @property
    def rejection_reason(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


class InvalidMessage(UftpRejection):
    """Schema-compliant, but its content is unacceptable (also every refusal of the platform's
    own checks: the gate has closed, above the qualified power, ...)."""

    reason = "Invalid Message"


class DuplicateIdentifier(UftpRejection):
    reason = DuplicateIdentifierException.rejection_reason


class AlreadySubmitted(UftpRejection):
    reason = AlreadySubmittedException.rejection_reason


class UnknownRecipient(UftpRejection):
    reason = UnknownRecipientException.rejection_reason


class IspDurationRejected(UftpRejection):
    reason = ISPDurationRejectedException.rejection_reason


class TimeZoneRejected(UftpRejection):
    reason = TimeZoneRejectedException.rejection_reason


class InvalidCongestionPoint(UftpRejection):
    reason = InvalidCongestionPointException.rejection_reason


class UnknownReference(UftpRejection):
    reason = UnknownReferenceException.rejection_reason


class ReferencePeriodMismatch(UftpRejection):
    reason = ReferencePeriodMismatchException.rejection_reason


class ReferenceMessageExpired(UftpRejection):
    reason = ReferenceMessageExpiredException.rejection_reason


class IspsOutOfBounds(UftpRejection):
    reason = ISPsOutOfBoundsException.rejection_reason


class IspConflict(UftpRejection):
    reason = ISPConflictException.rejection_reason


class ExpirationOutOfBounds(UftpRejection):
    reason = ExpirationDateTimeOutOfBoundsException.rejection_reason
