"""What each contract refusal means, in words a person understands: the one place that turns a
decoded custom error (name and arguments, :class:`ledger.core.chain.errors.ContractRevert`) into the
API's ``message``. The ``code`` stays ``contract.<ErrorName>`` and the decoded arguments stay in
``details``, for programs.

Every custom error of every contract has its sentence here (``tests/unit/test_error_messages.py``
iterates over the compiled ABIs, so a new error without one fails the tests). A sentence may use
the error's arguments by name (timestamps as ISO 8601, roles and statuses by name, prices in
EUR/MWh) and the context the caller adds, such as ``record`` and ``status`` of the record the
error names when the error itself does not carry its status (``RegistryNotEditable``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ledger.core.domain.enums import ActivationStatus, BidStatus, Role
from ledger.core.periods import iso
from ledger.core.units import price_text

__all__ = ["MESSAGES", "explain"]

_EDITABLE: Final = "its data can change only while it is Registered or Open"

MESSAGES: Final[dict[str, str]] = {
    # ------------------------------------------------------------------ CbpRoles
    "RolesUnauthorized": "This needs the {neededRole} role, which account {account} does not hold.",
    "RolesAlreadyGranted": "Account {account} already holds a role; revoke it before granting"
    " another.",
    "RolesEicUnavailable": "EIC {eic} is empty or already bound to another account.",
    "RolesUnknownRole": "{role} is not a role the TSO can grant.",
    "RolesNotAMember": "Account {account} holds no role on the platform.",
    "RolesAccountRetired": "Account {account} once acted for the organisation with EIC"
    " {formerEic}; it cannot take a role for another one.",
    "RolesNoHandoverFor": "The TSO role was offered to {proposed}, not to account {account}.",
    "RolesTsoUsesHandover": "The TSO ({tso}) changes its key only by the two-step handover:"
    " propose the new account, then accept from it.",
    # ------------------------------------------------------------------ ResourceRegistry
    "RegistryUnauthorized": "This needs the {neededRole} role, which account {account} does not"
    " hold.",
    "RegistryNotOwner": "Only the BSP that registered {id} may change it.",
    "RegistryAlreadyExists": "{id} is registered already.",
    "MulticallOutOfGas": "Item {index} of the multicall ran out of gas: the transaction carried"
    " too little gas for its items, so none of them was recorded.",
    "RegistryUnknownId": "Nothing is registered under {id}.",
    "RegistryInvalidPodTransition": "The POD is {current}: it cannot become {requested} from"
    " there.",
    "RegistryInvalidUvamTransition": "The UVAM is {current}: it cannot become {requested} from"
    " there.",
    "RegistryNotEditable": "{record} is {status}; " + _EDITABLE + ".",
    "RegistryNotCompetentDso": "The POD is on the grid of DSO {podDsoEic}; only that DSO may"
    " decide on it.",
    "RegistryUnknownDso": "No DSO on the platform holds EIC {dsoEic}.",
    "RegistryPodNotValidated": "The POD is {status}: only Validated PODs may join a UVAM.",
    "RegistryPodAlreadyGrouped": "The POD already belongs to a UVAM (relation {relationId}); end"
    " that relation first.",
    "RegistryRelationNotActive": "The relation {relationId} does not exist or has ended already.",
    "RegistryBadBatch": "The batch is empty, or its lists differ in length.",
    # ------------------------------------------------------------------ FlexMarket
    "MarketUnauthorized": "This needs the {neededRole} role, which account {account} does not"
    " hold.",
    "MarketNotOwner": "Only the BSP that owns {id} may do this.",
    "MarketNotCompetentDso": "Bid {bidId} is not for this DSO to check: its UVAM is not on your"
    " grid, or you have checked it already.",
    "MarketAlreadyExists": "{id} exists already.",
    "MarketUnknownId": "Nothing is recorded under {id}.",
    "MarketBadBatch": "The batch is empty, or its lists differ in length.",
    "MarketClosedMarket": "The market {marketId} is not configured or not open for bids.",
    "MarketUvamNotQualified": "The UVAM is {status}: only a Qualified UVAM takes part in the"
    " market.",
    "MarketUvamNotAdmitted": "The TSO has not admitted the UVAM to the market yet.",
    "MarketAboveQualifiedPower": "{quantityKw} kW in the period starting {periodStart} exceeds"
    " the UVAM's qualified power of {qualifiedKw} kW.",
    "MarketGateClosed": "The gate of the bid closed at {gateClosesAt}: it can no longer be"
    " submitted, updated or withdrawn.",
    "MarketBadTerms": "The terms of {id} are not valid: periods must start on a quarter-hour (1"
    " to 96 of them), not all quantities zero, and the validity within the delivery.",
    "MarketTermsMismatch": "The terms given for {id} are not the ones recorded on chain.",
    "MarketInvalidBidTransition": "The bid is {fromStatus}: it cannot become {toStatus} from"
    " there.",
    "MarketStillValid": "The bid is valid until {validUntil}: it cannot expire before.",
    "MarketBadCap": "A DSO cap must lower at least one quantity, raise none and leave something.",
    "MarketNeedNotOpen": "The need is {needStatus}: only an Open need can be cleared.",
    "MarketGateNotClosed": "The need's gate closes at {gateClosesAt}: it can be cleared only"
    " after that, while bids may still come.",
    "MarketAwardMismatch": "The award of bid {bidId} does not fit need {needId} (product,"
    " direction, periods or the quantity offered).",
    "MarketNeedExceeded": "The awards of the period starting {periodStart} add up to"
    " {awardedKw} kW, more than the {neededKw} kW needed.",
    "MarketPriceRule": "The price {priceMicroEurPerMwh} EUR/MWh awarded to bid {bidId} in the"
    " period starting {periodStart} breaks the need's pricing rule or price limit.",
    "MarketNoticeTooShort": "The period starting {periodStart} is too soon: with the product's"
    " notice the earliest is {earliestStart}.",
    "MarketBeyondAward": "{requestedKw} kW in the period starting {periodStart} exceeds what is"
    " left of the award ({availableKw} kW).",
    "MarketInvalidActivationTransition": "The activation is {fromStatus}: it cannot become"
    " {toStatus} from there.",
    "MarketAckDeadlinePassed": "The acknowledgement deadline {ackDeadline} has passed.",
    "MarketAckDeadlineNotReached": "The acknowledgement deadline {ackDeadline} has not passed"
    " yet: the activation cannot lapse before.",
    "MarketDeliveryOver": "The activation's delivery ended at {deliveryEnd}: it can no longer be"
    " changed or stopped.",
    # ------------------------------------------------------------------ MeasurementLedger
    "MeasurementsUnauthorized": "This kind of batch needs the {neededRole} role, which account"
    " {account} does not hold.",
    "MeasurementsAlreadyExists": "A batch {batchId} is committed already.",
    "MeasurementsEmptyBatch": "The batch {batchId} has no readings or an empty root.",
    "MeasurementsBadCorrection": "Batch {supersedes} can be corrected only once, by its own"
    " uploader, with the same kind of readings.",
    # ------------------------------------------------------------------ SettlementLedger
    "SettlementUnauthorizedTso": "Only the TSO records and resolves settlements.",
    "SettlementUnauthorizedBsp": "Only the BSP the settlement was recorded for may answer it.",
    "SettlementAlreadyRecorded": "The activation is settled already: a new settlement comes"
    " through a dispute.",
    "SettlementUnknownId": "No settlement is recorded for activation {activationId}.",
    "SettlementInvalid": "The settlement needs a hash, the BSP and an answer deadline in the"
    " future.",
    "SettlementWrongStatus": "The settlement is {settlementStatus}; this needs it {neededStatus}.",
    "SettlementStaleVersion": "Version {version} is not the current one ({currentVersion}).",
    "SettlementAnswerLate": "The answer window closed at {answerDeadline}.",
    "SettlementDeliveryNotEnded": "The activation delivers until {deliveryEnd}: it is settled"
    " once its last period has ended.",
    "SettlementNotSettleable": "The activation is neither accepted nor stopped on the market, or"
    " the BSP is not its BSP.",
    "SettlementWindowOpen": "The answer window is open until {answerDeadline}: the settlement"
    " cannot be finalised before.",
    # ------------------------------------------------------------------ StatementLedger
    "StatementUnauthorizedTso": "Only the TSO records statements and correction reports.",
    "StatementUnauthorizedBsp": "Only the BSP the statement was issued to may answer it.",
    "StatementAlreadyRecorded": "Statement {statementId} is recorded already.",
    "StatementUnknownId": "No statement is recorded under {statementId}.",
    "StatementInvalid": "The statement needs a hash and its BSP; a dispute needs a reason.",
    "StatementAlreadyAnswered": "The statement is {statementStatus} already: a BSP answers a"
    " statement once.",
    "StatementCorrectionRejected": "Correction report {reportId} is recorded already, or its hash"
    " is empty.",
    # ------------------------------------------------------------------ P2PTrading
    "P2PUnauthorized": "This needs the {neededRole} role, which account {account} does not hold.",
    "P2PUnauthorizedOperator": "Only the operator of the trade's window ({operator}) decides on"
    " trade {tradeId}.",
    "P2PNotOwner": "Only the agent that registered EV {evId} may trade for it.",
    "P2PAlreadyExists": "{id} exists already.",
    "P2PUnknownId": "Nothing is registered under {id}.",
    "P2PBadBatch": "The batch is empty, or its lists differ in length.",
    "P2PZeroEnergy": "A trade must move some energy.",
    "P2PZeroAmount": "A deposit must credit a positive amount.",
    "P2PZeroPrice": "A trading window needs a positive price.",
    "P2PSelfTrade": "An EV cannot trade with itself.",
    "P2PCostMismatch": "The cost must be {expectedCents} cents (the energy at the window's price),"
    " not {givenCents}.",
    "P2PInsufficientFunds": "The buyer has {availableCents} cents available; the trade needs"
    " {neededCents}.",
    "P2PTradeNotPending": "The trade is {tradeStatus}: only a Pending trade can be confirmed or"
    " rejected.",
    "P2PTermsMismatch": "The terms given are not those trade {tradeId} was created with.",
    "P2PMissingReason": "A rejection needs its reasons.",
    "P2PNotAnOperator": "Account {account} is not an infrastructure operator: EVs must name one.",
    "P2PNotEvOperator": "Only the EV's own operator ({evOperator}) credits EV {evId}; account"
    " {account} is not it.",
    "P2PWindowClosed": "The trading window {windowId} closed at {closedAt}: it takes no more"
    " trades.",
    "P2PBadCloseTime": "A trading window must close after it opens: {closesAt} is not after"
    " {blockTime}.",
    # ------------------------------------------------------------------ not a custom error
    "MarketPrerequisiteFailed": "A step this one waited for failed: {error}",
    "UnknownRevert": "The contract refused the transaction without saying why.",
    "Error": "The contract refused: {message}",
    "Panic": "The contract stopped on an internal error (panic {code}).",
}

_TIMES: Final = {
    "gateClosesAt",
    "ackDeadline",
    "deliveryEnd",
    "blockTime",
    "answerDeadline",
    "earliestStart",
    "periodStart",
    "validUntil",
    "closedAt",
    "closesAt",
}
_ROLE_IDS: Final = {"0x" + role.chain_role_id.hex(): role.value for role in Role}
_NEED_STATUSES: Final = ("None", "Open", "Cleared")
_TRADE_STATUSES: Final = ("None", "Pending", "Confirmed", "Rejected")
_SETTLEMENT_STATUSES: Final = ("None", "Recorded", "Disputed", "Final")
_STATEMENT_STATUSES: Final = ("none", "recorded", "accepted", "disputed")


def _named(values: tuple[str, ...], value: Any) -> str:
    index = int(value)
    return values[index] if 0 <= index < len(values) else str(value)


def _readable(error_name: str, key: str, value: Any) -> Any:
    """One argument as a person reads it (the rendered form of ``ContractRevert``'s
    arguments: numbers as text, bytes as hex, registry statuses by name)."""
    text = str(value)
    if not text.lstrip("-").isdigit():
        return _ROLE_IDS.get(text, text) if key in {"neededRole", "role"} else text
    if key in _TIMES:
        return iso(int(text))
    if key in {"fromStatus", "toStatus"}:
        statuses = ActivationStatus if "Activation" in error_name else BidStatus
        return statuses(int(text)).label
    if key == "needStatus":
        return _named(_NEED_STATUSES, text)
    if key == "statementStatus":
        return _named(_STATEMENT_STATUSES, text)
    if key == "tradeStatus":
        return _named(_TRADE_STATUSES, text)
    if key in {"settlementStatus", "neededStatus"}:
        return _named(_SETTLEMENT_STATUSES, text)
    if key == "priceMicroEurPerMwh":
        return price_text(int(text))
    return text


class _Arguments(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return {"record": "The record", "status": "no longer editable"}.get(key, f"<{key}>")


def explain(
    error_name: str, arguments: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> str | None:
    """The sentence for the refusal ``error_name`` with its decoded ``arguments`` and the
    caller's ``context``; ``None`` for an error this table does not know."""
    template = MESSAGES.get(error_name)
    if template is None:
        return None
    values = _Arguments(
        {key: _readable(error_name, key, value) for key, value in arguments.items()}
    )
    values.update(context or {})
    return template.format_map(values)
