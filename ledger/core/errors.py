"""The platform's exception root and the families the API maps to HTTP statuses in one place."""

from __future__ import annotations

from typing import Any


class CbpError(Exception):
    """Root of every error the platform raises on purpose."""

    http_status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class NotFound(CbpError):
    http_status = 404
    code = "not_found"


class Forbidden(CbpError):
    http_status = 403
    code = "forbidden"


class Conflict(CbpError):
    """The request is well formed but not allowed in the resource's current state."""

    http_status = 409
    code = "conflict"


class InvalidInput(CbpError):
    http_status = 422
    code = "invalid_input"


class Unavailable(CbpError):
    """A dependency (database, chain, broker) cannot take the request now; retry later."""

    http_status = 503
    code = "unavailable"
