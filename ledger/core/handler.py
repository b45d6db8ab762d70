"""What a capability gives the operations engine for each kind of operation it owns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from ledger.core.chain.client import Call, Receipt
from ledger.core.db.models import Operation


@dataclass(frozen=True)
class FollowUp:
    """A task to enqueue once the operation's effects are committed."""

    task: str
    kwargs: dict[str, Any] = field(default_factory=dict)


class Handler(ABC):
    """Turns one kind of operation into contract calls, and its receipts into database rows."""

    kind: str

    @abstractmethod
    def calls(self, session: Session, operation: Operation) -> list[Call]: ...

    @abstractmethod
    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        """Write the confirmed effects (read from the receipts' events) to the database."""

    def release(self, session: Session, operation: Operation) -> None:  # noqa: B027
        """Undo what accepting reserved, when the operation ends failed (default: nothing)."""
