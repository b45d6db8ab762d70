"""Bad input at the UFTP endpoint: every refused FlexOffer is answered Rejected with its UFTP
rejection reason (the response reaches the aggregator's process) and leaves nothing behind -
no message recorded, no bid, no operation; a wrong signature, an unknown sender or a message
that is not UFTP XML is refused at the transport (HTTP 401 / 400), as UFTP prescribes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from shapeshifter_uftp import (
    FlexOffer,
    FlexOfferOption,
    FlexOfferOptionISP,
    FlexOfferRevocation,
    Metering,
    MeteringISP,
    MeteringProfile,
    MeteringProfileEnum,
    MeteringUnit,
    ShapeshifterAgrDsoClient,
)
from shapeshifter_uftp.exceptions import ClientTransportException
from sqlmodel import func, select
from typer.testing import CliRunner
from xsdata.models.datatype import XmlDate, XmlDuration

from cli.main import app
from ledger.core.db.models import Operation
from ledger.core.periods import iso
from ledger.market.tables import MarketBid
from ledger.uftp import isp, keys
from tests.market import flows
from tests.uftp.conftest import AGR_DOMAIN, Uftp

GATE_S = 300


@pytest.fixture(scope="module")
def request_(uftp: Uftp) -> dict[str, Any]:
    """A FlexRequest for product ``refuse``, which the aggregator does not answer by itself."""
    world = uftp.world
    t1 = flows.period_after(world, GATE_S + 600)
    need = flows.done(
        world,
        "tso",
        world.client("tso").post(
            "/market/needs",
            json={
                "productId": uftp.products["refuse"],
                "direction": "up",
                "deliveryStart": iso(t1),
                "quantitiesKw": [40],
            },
        ),
    )
    assert need["status"] == "succeeded", need
    point = f"ea1.2026-12.{uftp.platform_domain}:{uftp.uvams['accept']}"
    request = uftp.wait_for(
        "FlexRequest", ServiceType=uftp.products["refuse"], CongestionPoint=point
    )
    return {**request, "t1": t1}


def _client(
    uftp: Uftp, *, key: str | None = None, domain: str = AGR_DOMAIN, recipient: str | None = None
) -> Any:
    return ShapeshifterAgrDsoClient(
        sender_domain=domain,
        signing_key=key or uftp.agr_keys.secret_key,
        recipient_domain=recipient or uftp.platform_domain,
        recipient_endpoint=uftp.endpoint,
    )


def _offer(request: dict[str, Any], **change: Any) -> Any:
    """A well-formed FlexOffer of the requested 40 kW up for 0.5 EUR, with ``change``."""
    [requested] = request["ISP"]
    day = date.fromisoformat(request["Period"])
    end = isp.isp_start(day, requested["Start"], request["TimeZone"]) + 900
    fields: dict[str, Any] = {
        "message_id": str(uuid.uuid4()),
        "conversation_id": request["ConversationID"],
        "isp_duration": XmlDuration("PT15M"),
        "time_zone": request["TimeZone"],
        "period": XmlDate.from_date(day),
        "congestion_point": request["CongestionPoint"],
        "expiration_date_time": isp.iso_with_zone(end, request["TimeZone"]),
        "flex_request_message_id": request["MessageID"],
        "offer_options": [_option(requested["Start"], -40_000)],
    }
    fields.update(change)
    return FlexOffer(**fields)


def _option(start: int, power: int, reference: str = "A") -> Any:
    return FlexOfferOption(
        isps=[FlexOfferOptionISP(power=power, start=start)],
        option_reference=reference,
        price=Decimal("0.5"),
    )


def _traces(uftp: Uftp) -> tuple[int, int]:
    """bsp1's operations and bids: a refused message adds none (the TSO's own work, such as
    clearing a need at its gate, goes on meanwhile)."""
    with uftp.world.runtime.session() as session:
        operations = session.exec(
            select(func.count()).select_from(Operation).where(Operation.organisation_id == "bsp1")
        ).one()
        bids = session.exec(
            select(func.count()).select_from(MarketBid).where(MarketBid.bsp_id == "bsp1")
        ).one()
    return int(operations), int(bids)


def _answer(uftp: Uftp, offer: Any) -> dict[str, Any]:
    _client(uftp).send_flex_offer(offer)
    return uftp.wait_for("FlexOfferResponse", FlexOfferMessageID=offer.message_id)


def _start(request: dict[str, Any]) -> int:
    return int(request["ISP"][0]["Start"])


CASES: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "unknown request": (
        lambda r: {"flex_request_message_id": str(uuid.uuid4())},
        "Unknown Reference: FlexRequestMessageID",
    ),
    "another congestion point": (
        lambda r: {"congestion_point": r["CongestionPoint"].rsplit(":", 1)[0] + ":other-uvam"},
        "Invalid Congestion Point",
    ),
    "another day": (
        lambda r: {"period": XmlDate.from_date(date.fromisoformat(r["Period"]) + timedelta(1))},
        "Reference Period Mismatch",
    ),
    "5-minute ISPs": (lambda r: {"isp_duration": XmlDuration("PT5M")}, "ISP Duration Rejected"),
    "another time zone": (lambda r: {"time_zone": "America/New_York"}, "TimeZone Rejected"),
    "two options": (
        lambda r: {
            "offer_options": [_option(_start(r), -40_000), _option(_start(r), -20_000, "B")]
        },
        "Invalid Message: 2 OfferOptions",
    ),
    "an ISP not requested": (
        lambda r: {"offer_options": [_option(_start(r) + 1, -40_000)]},
        "ISPs Out Of Bounds",
    ),
    "the other direction": (
        lambda r: {"offer_options": [_option(_start(r), 40_000)]},
        "Invalid Message: ISP",
    ),
    "part of a kW": (
        lambda r: {"offer_options": [_option(_start(r), -39_500)]},
        "Invalid Message: ISP",
    ),
    "beyond the qualified power": (
        lambda r: {"offer_options": [_option(_start(r), -50_000)]},
        "Invalid Message: 50 kW",
    ),
    "expiring at the gate": (
        lambda r: {
            "expiration_date_time": isp.iso_with_zone(
                isp.isp_start(date.fromisoformat(r["Period"]), _start(r), r["TimeZone"]) - GATE_S,
                r["TimeZone"],
            )
        },
        "Expiration DateTime Out Of Bounds",
    ),
    "another currency": (lambda r: {"currency": "USD"}, "Invalid Message: Currency USD"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_refused_offer_is_rejected_with_its_reason_and_leaves_nothing(
    uftp: Uftp, request_: dict[str, Any], case: str
) -> None:
    change, reason = CASES[case]
    before = _traces(uftp)
    offer = _offer(request_, **change(request_))
    response = _answer(uftp, offer)
    assert response["Result"] == "Rejected"
    assert response["RejectionReason"].startswith(reason), response["RejectionReason"]
    assert uftp.stored(offer.message_id) == []
    assert _traces(uftp) == before


def test_revocation_withdraws_the_bid_once(uftp: Uftp, request_: dict[str, Any]) -> None:
    offer = _offer(request_)
    assert _answer(uftp, offer)["Result"] == "Accepted"
    [stored] = uftp.stored(offer.message_id)
    assert uftp.world.wait("bsp1", stored.links["operationId"])["status"] == "succeeded"
    [bid_id] = stored.links["bidIds"]

    revocation = FlexOfferRevocation(
        message_id=str(uuid.uuid4()), flex_offer_message_id=offer.message_id
    )
    _client(uftp).send_flex_offer_revocation(revocation)
    accepted = uftp.wait_for(
        "FlexOfferRevocationResponse", FlexOfferRevocationMessageID=revocation.message_id
    )
    assert accepted["Result"] == "Accepted"
    flows.wait_bids(uftp.world, "bsp1", [bid_id], {"Withdrawn"})

    # revoking it again (the bid is no longer open), or an offer never accepted: Rejected
    before = _traces(uftp)
    for flex_offer_id, reason in (
        (offer.message_id, "Invalid Message: "),
        (str(uuid.uuid4()), "Unknown Reference"),
    ):
        again = FlexOfferRevocation(
            message_id=str(uuid.uuid4()), flex_offer_message_id=flex_offer_id
        )
        _client(uftp).send_flex_offer_revocation(again)
        refused = uftp.wait_for(
            "FlexOfferRevocationResponse", FlexOfferRevocationMessageID=again.message_id
        )
        assert refused["Result"] == "Rejected"
        assert refused["RejectionReason"].startswith(reason), refused["RejectionReason"]
        assert uftp.stored(again.message_id) == []
    assert _traces(uftp) == before


def test_repeated_and_late_offers(uftp: Uftp, request_: dict[str, Any]) -> None:
    offer = _offer(request_)
    assert _answer(uftp, offer)["Result"] == "Accepted"
    [stored] = uftp.stored(offer.message_id)
    assert uftp.world.wait("bsp1", stored.links["operationId"])["status"] == "succeeded"
    before = _traces(uftp)

    # the same message again (same id, same content), then the id with other content
    _client(uftp).send_flex_offer(offer)
    again = uftp.wait_for(
        "FlexOfferResponse", FlexOfferMessageID=offer.message_id, Result="Rejected"
    )
    assert again["RejectionReason"].startswith("Already Submitted")
    other = _offer(
        request_,
        message_id=offer.message_id,
        time_stamp=offer.time_stamp,
        offer_options=[_option(_start(request_), -30_000)],
    )
    _client(uftp).send_flex_offer(other)
    reasons = {
        e["RejectionReason"].split(":")[0] for e in _wait_rejections(uftp, offer.message_id, 2)
    }
    assert reasons == {"Already Submitted", "Duplicate Identifier"}

    # after the gate the request has expired
    flows.advance_past(uftp.world, request_["t1"] - GATE_S)
    late = _offer(request_)
    response = _answer(uftp, late)
    assert response["RejectionReason"].startswith("Reference Message Expired")
    assert uftp.stored(late.message_id) == []
    assert [row.id for row in uftp.stored(offer.message_id)] == [stored.id]
    assert _traces(uftp) == before


def _wait_rejections(uftp: Uftp, message_id: str, count: int) -> list[dict[str, Any]]:
    import time

    deadline = time.monotonic() + 30
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = [
            e
            for e in uftp.received()
            if e["type"] == "FlexOfferResponse"
            and e["FlexOfferMessageID"] == message_id
            and e["Result"] == "Rejected"
        ]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{len(found)} rejections of {message_id}, expected {count}")


def test_misaddressed_and_unsupported_messages_are_rejected(
    uftp: Uftp, request_: dict[str, Any]
) -> None:
    before = _traces(uftp)
    offer = _offer(request_)
    _client(uftp, recipient="someone-else.test").send_flex_offer(offer)
    response = uftp.wait_for("FlexOfferResponse", FlexOfferMessageID=offer.message_id)
    assert response["RejectionReason"].startswith("Unknown Recipient")
    # a Metering message: a UFTP message to a DSO that the platform does not take
    metering = Metering(
        message_id=str(uuid.uuid4()),
        revision=1,
        isp_duration=XmlDuration("PT15M"),
        time_zone=request_["TimeZone"],
        period=XmlDate.from_string(request_["Period"]),
        ean="E871685900000000000",
        profiles=[
            MeteringProfile(
                profile_type=MeteringProfileEnum.POWER,
                unit=MeteringUnit.K_W,
                isps=[MeteringISP(start=1, value=Decimal(1))],
            )
        ],
    )
    _client(uftp).send_metering(metering)
    answer = uftp.wait_for("MeteringResponse", MeteringMessageID=metering.message_id)
    assert answer["Result"] == "Rejected"
    assert "Metering is not supported" in answer["RejectionReason"]
    assert uftp.stored(offer.message_id) == uftp.stored(metering.message_id) == []
    assert _traces(uftp) == before


def test_transport_refusals(uftp: Uftp, request_: dict[str, Any]) -> None:
    before = _traces(uftp)
    # signed with another key than the one registered for the domain
    forged = _offer(request_)
    with pytest.raises(ClientTransportException) as raised:
        _client(uftp, key=keys.generate().secret_key).send_flex_offer(forged)
    assert raised.value.response.status_code == 401
    # a domain that is no registered participant
    stranger = _offer(request_)
    with pytest.raises(ClientTransportException) as raised:
        _client(uftp, domain="stranger.test").send_flex_offer(stranger)
    assert raised.value.response.status_code == 401
    # not a SignedMessage at all
    malformed = httpx.post(
        uftp.endpoint, content=b"<FlexOffer/>", headers={"Content-Type": "text/xml"}
    )
    assert malformed.status_code == 400
    assert uftp.stored(forged.message_id) == uftp.stored(stranger.message_id) == []
    assert _traces(uftp) == before


def test_participant_commands_refuse_bad_input_and_name_the_field(uftp: Uftp) -> None:
    settings = uftp.world.platform.settings
    env = {"CBP_DATA_DIR": str(settings.data_dir), "CBP_DATABASE_URL": settings.sqlalchemy_url}
    arguments = [
        "uftp",
        "participant",
        "add",
        "--domain",
        "agr.bsp2.test",
        "--organisation",
        "bsp2",
        "--endpoint",
        "http://127.0.0.1:1/uftp",
    ]
    runner = CliRunner()
    bad = runner.invoke(app, [*arguments, "--public-key", "c2hvcnQ="], env=env)
    assert bad.exit_code == 2
    assert "(publicKey)" in bad.output
    assert "32-byte" in bad.output
    wrong_role = runner.invoke(
        app,
        [*arguments, "--public-key", keys.generate().public_key, "--organisation", "dso1"],
        env=env,
    )
    assert wrong_role.exit_code == 2
    assert "(organisation)" in wrong_role.output
    good = runner.invoke(app, [*arguments, "--public-key", keys.generate().dns_record], env=env)
    assert good.exit_code == 0, good.output
    assert uftp.world.eic("bsp2") in good.output
    assert uftp.world.organisations["bsp2"].address in good.output

    # key rotation and removal
    update = ["uftp", "participant", "update", "--domain", "agr.bsp2.test"]
    moved = runner.invoke(app, [*update, "--endpoint", "ftp://nowhere"], env=env)
    assert moved.exit_code == 2
    assert "(endpoint)" in moved.output
    rotated = keys.generate().public_key
    rotation = runner.invoke(app, [*update, "--public-key", rotated], env=env)
    assert rotation.exit_code == 0, rotation.output
    assert rotated in rotation.output
    remove = ["uftp", "participant", "remove", "--domain", "agr.bsp2.test"]
    assert runner.invoke(app, remove, env=env).exit_code == 0
    again = runner.invoke(app, remove, env=env)
    assert again.exit_code == 2
    assert "(domain)" in again.output
