"""The market's records as the contracts see them: tuples, ids and hashes.

``bid_terms_hash`` and ``need_terms_hash`` compute exactly what ``FlexMarket`` computes with
``keccak256(abi.encode(terms))``, so the platform can check a stored bid against the chain and
pass the terms back when a later call needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Final

from eth_abi import encode
from eth_utils import keccak
from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

BID_TERMS_TYPE: Final = "(bytes32,bytes32,uint8,uint40,uint40,int64,bool,uint32[])"
NEED_TERMS_TYPE: Final = "(bytes32,uint8,uint40,uint32[],bool,int64,uint8)"


class Direction(StrEnum):
    """Upward flexibility (less consumption / more generation) or downward."""

    UP = "up"
    DOWN = "down"

    @property
    def chain_value(self) -> int:
        return 0 if self is Direction.UP else 1

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Titled ``FlexDirection`` in the OpenAPI: the POD's ``Direction`` (consumption,
        generation, mixed) is another enum, and a client generator needs distinct names."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["title"] = "FlexDirection"
        return schema


class Pricing(StrEnum):
    """How awarded bids are paid: their own price, or the period's marginal (clearing) price."""

    PAY_AS_BID = "payAsBid"
    PAY_AS_CLEAR = "payAsClear"

    @property
    def chain_value(self) -> int:
        return 0 if self is Pricing.PAY_AS_BID else 1


class MeterKind(IntEnum):
    """``MeasurementLedger.MeterKind``: behind-the-meter device readings, POD meter readings or a
    BSP's declared baseline of its PODs."""

    FLEX_DEVICE = 0
    POD = 1
    BASELINE = 2


def market_key(market_id: str) -> bytes:
    """A market id on chain: its ASCII text, right-padded to 32 bytes (readable on chain)."""
    raw = market_id.encode("ascii")
    if not 0 < len(raw) <= 32:
        raise ValueError("a market id has 1 to 32 ASCII characters")
    return raw.ljust(32, b"\x00")


@dataclass(frozen=True)
class BidTerms:
    """``FlexMarket.BidTerms``."""

    uvam_key: bytes
    market_id: str
    direction: Direction
    delivery_start: int
    valid_until: int
    price_micro: int
    divisible: bool
    quantities_kw: tuple[int, ...]

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.uvam_key,
            market_key(self.market_id),
            self.direction.chain_value,
            self.delivery_start,
            self.valid_until,
            self.price_micro,
            self.divisible,
            list(self.quantities_kw),
        )

    def with_quantities(self, quantities: Sequence[int]) -> BidTerms:
        return BidTerms(
            self.uvam_key,
            self.market_id,
            self.direction,
            self.delivery_start,
            self.valid_until,
            self.price_micro,
            self.divisible,
            tuple(quantities),
        )

    def hash(self) -> bytes:
        return keccak(encode([BID_TERMS_TYPE], [self.as_tuple()]))


@dataclass(frozen=True)
class NeedTerms:
    """``FlexMarket.NeedTerms``."""

    market_id: str
    direction: Direction
    delivery_start: int
    quantities_kw: tuple[int, ...]
    price_limit_micro: int | None
    pricing: Pricing

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            market_key(self.market_id),
            self.direction.chain_value,
            self.delivery_start,
            list(self.quantities_kw),
            self.price_limit_micro is not None,
            self.price_limit_micro or 0,
            self.pricing.chain_value,
        )

    def hash(self) -> bytes:
        return keccak(encode([NEED_TERMS_TYPE], [self.as_tuple()]))
