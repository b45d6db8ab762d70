"""What every answer shares: the base of public models, pages, the 202 body, the error body,
and the error statuses a route declares.

Public models read the dict a ``*_view`` function builds, by its camelCase keys only, and
refuse any key they do not declare (``extra="forbid"``, strict types): an answer that drifts from
its schema fails loudly instead of being trimmed or coerced. Routes answer with
``response_model_exclude_unset`` (:class:`api.routing.PublicRoute`), so a key a view
leaves out stays out, and a ``null`` it gives stays ``null``.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

#: An instant as ISO 8601 text with its zone (``2024-09-27T11:00:00+00:00``).
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
#: A decimal number as exact text (money, energy): ``"2.70"``.
DecimalText = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$")]
#: 32 bytes as 0x-prefixed hex (a chain key, a hash).
Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$")]
#: A JSON object whose keys this API does not fix (a record's own fields, event arguments).
JsonObject = dict[str, Any]


class PublicModel(BaseModel):
    """Base of every answer: camelCase keys, read by those keys only, nothing undeclared."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=False,
        extra="forbid",
        strict=True,
        use_attribute_docstrings=True,
    )


T = TypeVar("T")


class Page(PublicModel, Generic[T]):
    """A page of a list: the rows and how many there are in all."""

    data: list[T]
    count: int
    """Rows matching the query, over every page."""


class Links(PublicModel):
    operation: str
    """Where to poll the operation: ``/operations/{operationId}``."""


class Accepted(PublicModel):
    """The body of every 202: the operation the write became, to poll or wait a callback for."""

    operation_id: str
    status: str
    """``accepted``; then ``submitted`` (sent), ``succeeded`` (mined) or ``failed``."""
    kind: str
    """What the operation does, e.g. ``pod.register``."""
    target_id: str | None
    """The record the operation creates or changes."""
    links: Links


class FieldError(PublicModel):
    field: str | None
    message: str


class ErrorBody(PublicModel):
    """Every refusal: a stable code, a sentence, and the field it is about (when there is one)."""

    code: str
    """Stable, machine-readable: ``invalid_input``, ``not_found``, ``forbidden``, ..."""
    message: str
    """What is wrong, in words a person reads."""
    field: str | None = None
    """The camelCase field (or ``file``, ``path``) the refusal is about."""
    details: JsonObject | None = None
    """Facts the refusal carries beyond its message (a gate's closing time, a decoded revert)."""
    errors: list[FieldError] | None = None
    """422 of a request that breaks several rules: every field in error."""


_MEANING = {
    400: "The request cannot be read",
    401: "No valid bearer token",
    403: "The organisation's role or ownership does not allow this",
    404: "No such record, or not one this organisation may see",
    409: "The record's state does not allow this now",
    413: "The request body is too large",
    422: "Invalid input: the field and the reason",
    503: "The database, the task broker or the chain is unavailable; retry later",
}


def errors(*statuses: int, authenticated: bool = True) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route: each refusal status it can answer, with the error body.

    Every route may answer 422 (a control character in the path or the query) and 503 (too
    many requests in flight, the database or the broker down); every authenticated route 401
    (no valid token) and 403 (its organisation suspended). Name the others the route can answer:
    404 for a record by id, 409 for a state that forbids the write, 413 for a body."""
    common = {422, 503} | ({401, 403} if authenticated else set())
    codes = sorted(common | set(statuses))
    return {code: {"model": ErrorBody, "description": _MEANING[code]} for code in codes}
