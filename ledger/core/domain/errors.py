"""Field-level validation errors, named by the JSON (camelCase) field a client sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

__all__ = ["FieldError", "field_errors_from_validation"]

_VALUE_ERROR_PREFIX: Final = "Value error, "


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: ``field`` is the camelCase name (nested parts joined with
    ``"."``; empty for a problem with the object as a whole)."""

    field: str
    message: str


def field_errors_from_validation(exc: ValidationError) -> list[FieldError]:
    """Translate a pydantic ``ValidationError`` into :class:`FieldError` s.

    The models of :mod:`ledger.registry.schemas` report locations by alias, so ``loc`` already
    holds the camelCase names; list indices are kept as numbers (``"reasons.0"``).
    """
    errors: list[FieldError] = []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix(_VALUE_ERROR_PREFIX)
        errors.append(FieldError(field=field, message=message))
    return errors
