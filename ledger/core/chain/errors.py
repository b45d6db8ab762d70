"""Errors at the chain boundary, with contract custom errors decoded by name and arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.core.chain.messages import explain
from ledger.core.domain.enums import PodStatus, UvamStatus
from ledger.core.errors import CbpError, Conflict, Forbidden, NotFound


class ChainError(CbpError):
    """The chain node failed or refused a request."""

    http_status = 502
    code = "chain_error"


class RpcError(ChainError):
    """A JSON-RPC call answered with an error object."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error.get('message', error)}", rpc_error=error)
        self.rpc_error = error


class RpcTimeout(ChainError):
    """The node did not answer a JSON-RPC request in time (it may still be working on it)."""

    code = "rpc_timeout"


class FunderCannotPay(ChainError):
    """No account can pay a new organisation's gas money on this chain."""

    code = "funder_cannot_pay"


class ReceiptTimeout(ChainError):
    code = "receipt_timeout"


class ContractRevert(ChainError):
    """A transaction or call reverted with one of the contracts' custom errors (or without one).

    ``error_name`` is the Solidity error (``RegistryNotOwner``), ``arguments`` its decoded
    arguments by parameter name. ``category`` says what kind of refusal it is, so that the API
    maps it to 403/404/409 without knowing every error.
    """

    code = "contract_revert"

    def __init__(self, error_name: str, arguments: dict[str, Any]) -> None:
        arguments = {key: _render(error_name, key, value) for key, value in arguments.items()}
        rendered = ", ".join(f"{key}={value}" for key, value in arguments.items())
        super().__init__(f"{error_name}({rendered})", error=error_name, arguments=arguments)
        self.error_name = error_name
        self.arguments = arguments

    @property
    def category(self) -> type[CbpError]:
        name = self.error_name
        if any(word in name for word in ("Unauthorized", "NotOwner", "NotCompetent")):
            return Forbidden
        if "UnknownId" in name:
            return NotFound
        return Conflict

    def as_domain_error(self, context: Mapping[str, Any] | None = None) -> CbpError:
        """The same refusal as the API reports it (403/404/409): ``code``
        ``contract.<ErrorName>``, the decoded error in ``details``, and a ``message`` a person
        understands (:mod:`ledger.core.chain.messages`, with the caller's ``context``)."""
        message = explain(self.error_name, self.arguments, context) or self.message
        error = self.category(message, error=self.error_name, arguments=self.arguments)
        error.code = f"contract.{self.error_name}"
        return error


def _render(error_name: str, key: str, value: Any) -> Any:
    """JSON-friendly argument values: EICs as text, other bytes as hex, statuses by name."""
    if key in {"current", "requested", "status"} and isinstance(value, int):
        statuses = UvamStatus if "Uvam" in error_name else PodStatus
        return statuses(value).label
    if isinstance(value, bytes):
        stripped = value.rstrip(b"\x00")
        if stripped and all(32 <= byte < 127 for byte in stripped) and len(value) == 16:
            return stripped.decode("ascii")
        return "0x" + value.hex()
    return str(value)
