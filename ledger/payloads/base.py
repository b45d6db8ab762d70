"""What every operation payload model shares: camelCase keys as stored, nothing unknown."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

#: ``0x`` and 64 hex digits: a chain key or a hash as the payload keeps it.
Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$")]
#: Hex digits without ``0x``: a salt or a SHA-256 digest.
HexDigits = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]+$")]
#: A record as sealed (its salted hash goes on chain): stored byte for byte as built.
Record = dict[str, Any]


class OperationPayload(BaseModel):
    """Read-only view of a stored payload; its JSON keys are the fields in camelCase."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )
