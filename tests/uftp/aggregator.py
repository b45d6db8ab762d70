"""An aggregator's UFTP system, run as a process of its own by the tests: a real participant
built on shapeshifter-uftp's AGR service and AGR->DSO client, knowing nothing of the platform
but its domain, public key and endpoint (``python aggregator.py CONFIG.json``). The one import
from the project is the FastAPI compatibility shim the library's transport needs
(``ledger/uftp/compat.py``).

It answers every FlexRequest (Accepted) and, for the UVAMs and products its configuration
lists, offers the requested flexibility at the configured amount; it accepts every FlexOrder;
it accepts or disputes each order settlement as configured per UVAM. Every message it receives
is appended to a JSON-lines log that the tests read.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shapeshifter_uftp import (
    FlexOffer,
    FlexOfferOption,
    FlexOfferOptionISP,
    FlexOrderResponse,
    FlexOrderSettlementStatus,
    FlexRequestResponse,
    FlexSettlementResponse,
    ShapeshifterAgrService,
)
from shapeshifter_uftp.transport import to_json

import ledger.uftp.compat  # noqa: F401  (the library's transport on this project's FastAPI)


def _end_of(request: Any) -> str:
    """The end of the last requested ISP: the offer holds until its delivery is over."""
    day = request.period.to_date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(request.time_zone))
    last = max(item.start + item.duration - 1 for item in request.isps)
    return (midnight + timedelta(minutes=15 * last)).isoformat()


class Aggregator(ShapeshifterAgrService):
    def __init__(self, config: dict[str, Any]) -> None:
        platform = config["platform"]
        self.config = config
        self.log_path = Path(config["log"])
        self.lock = threading.Lock()
        super().__init__(
            sender_domain=config["domain"],
            signing_key=config["signing_key"],
            key_lookup_function=lambda domain, role: (
                platform["public_key"] if domain == platform["domain"] else None
            ),
            endpoint_lookup_function=lambda domain, role: platform["endpoint"],
            host="127.0.0.1",
            port=config["port"],
        )

    def record(self, message: Any) -> None:
        entry = {"type": type(message).__name__, **json.loads(to_json(message))}
        with self.lock, self.log_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def process_flex_request(self, message: Any) -> None:
        self.record(message)
        client = self.dso_client(message.sender_domain)
        client.send_flex_request_response(
            FlexRequestResponse(
                conversation_id=message.conversation_id,
                flex_request_message_id=message.message_id,
            )
        )
        uvam = message.congestion_point.split(":", 1)[1]
        offer = self.config["offers"].get(uvam)
        if offer is None or offer["product"] != message.service_type:
            return
        isps = [
            FlexOfferOptionISP(
                power=item.min_power if item.min_power < 0 else item.max_power,
                start=item.start,
                duration=item.duration,
            )
            for item in message.isps
        ]
        client.send_flex_offer(
            FlexOffer(
                conversation_id=message.conversation_id,
                isp_duration=message.isp_duration,
                time_zone=message.time_zone,
                period=message.period,
                congestion_point=message.congestion_point,
                expiration_date_time=_end_of(message),
                flex_request_message_id=message.message_id,
                offer_options=[
                    FlexOfferOption(isps=isps, option_reference="A", price=offer["amount"])
                ],
            )
        )

    def process_flex_order(self, message: Any) -> None:
        self.record(message)
        self.dso_client(message.sender_domain).send_flex_order_response(
            FlexOrderResponse(
                conversation_id=message.conversation_id, flex_order_message_id=message.message_id
            )
        )

    def process_flex_settlement(self, message: Any) -> None:
        self.record(message)
        statuses = []
        for order in message.flex_order_settlements:
            answer = self.config["settle"][order.congestion_point.split(":", 1)[1]]
            statuses.append(
                FlexOrderSettlementStatus(
                    order_reference=order.order_reference,
                    disposition=answer["disposition"],
                    dispute_reason=answer.get("reason"),
                )
            )
        self.dso_client(message.sender_domain).send_flex_settlement_response(
            FlexSettlementResponse(
                conversation_id=message.conversation_id,
                flex_settlement_message_id=message.message_id,
                flex_order_settlement_statuses=statuses,
            )
        )

    def process_flex_offer_response(self, message: Any) -> None:
        self.record(message)

    def process_d_prognosis_response(self, message: Any) -> None:
        self.record(message)

    def process_flex_offer_revocation_response(self, message: Any) -> None:
        self.record(message)

    def process_flex_reservation_update(self, message: Any) -> None:
        self.record(message)

    def process_metering_response(self, message: Any) -> None:
        self.record(message)

    def process_agr_portfolio_query_response(self, message: Any) -> None:
        self.record(message)

    def process_agr_portfolio_update_response(self, message: Any) -> None:
        self.record(message)


if __name__ == "__main__":
    Aggregator(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))).run()
