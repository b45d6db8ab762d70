"""What the capabilities give the core: a handler for each kind of operation they own, names
for the targets of operations, where a callback's outcome is shown on its subject, and the
context of the contract refusals about their records.

The composition root (``ledger/capabilities.py``) builds one :class:`Capabilities` at start-up
and the runtime carries it, so the core never imports a capability."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from ledger.core.chain.client import Call, Receipt
from ledger.core.chain.errors import ContractRevert
from ledger.core.db.models import Operation

#: Names what each operation acts on, for people (by operation id; None where it has no name):
#: ``targetName`` in the operation's public view.
TargetNames = Callable[[Session, Sequence[Operation]], Mapping[str, str | None]]

#: What the sentence of a contract refusal needs beyond the error's own arguments (the status
#: of the record an error names, say), read from the tables of the capability that owns it.
RefusalContext = Callable[[Session, ContractRevert], Mapping[str, str]]

#: Shows a callback's latest delivery outcome on the row it is about:
#: ``(session, subject_id, key, outcome)``, the key naming the receiver and the event.
CallbackOutcome = Callable[[Session, str, str, str], None]


#: The task that runs an accepted operation: simulate, sign, store and send its calls
#: (``ledger.core.operations.execute``), the task of every kind unless its handler names another.
TASK_EXECUTE = "cbp.operations.execute"


@dataclass(frozen=True)
class FollowUp:
    """A task to enqueue once the operation's effects are committed."""

    task: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: A list argument along which the follow-ups of this task enqueued together (by the
    #: operations one multicall carried) become one task: the DSO checks of 50 one-bid
    #: requests are one check of 50 bids, not 50 checks.
    merge_on: str | None = None


class Handler(ABC):
    """Turns one kind of operation into contract calls, and its receipts into database rows."""

    kind: str
    #: Sent at once even while its signer has a transaction pending (with the next nonce,
    #: behind it), never deferred to the signer's next transaction: an activation.
    time_critical: bool = False
    #: The task enqueued to run an accepted operation of this kind, when the API accepts it and
    #: when the block follower re-drives one whose task was lost: another one for a kind that
    #: must prepare its calls first (a settlement computes its record, then executes).
    task: str = TASK_EXECUTE

    @abstractmethod
    def calls(self, session: Session, operation: Operation) -> list[Call]: ...

    @abstractmethod
    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        """Write the confirmed effects (read from the receipts' events) to the database."""

    def release(self, session: Session, operation: Operation) -> None:  # noqa: B027
        """Undo what accepting reserved, when the operation ends failed (default: nothing)."""


@dataclass(frozen=True)
class Capabilities:
    """Everything the core is given by the capabilities, once, at start-up."""

    #: Which handler executes which kind of operation.
    handlers: Mapping[str, Handler]
    #: Names the targets of operations in their public views.
    target_names: TargetNames
    #: By a callback's subject kind (other than ``operation``, which the core shows itself):
    #: where its delivery outcome is shown.
    callback_outcomes: Mapping[str, CallbackOutcome]
    #: By contract error name: the context its sentence needs.
    refusal_contexts: Mapping[str, RefusalContext]
