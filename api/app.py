"""The FastAPI application factory: routers, and the one place errors become HTTP answers."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from kombu.exceptions import OperationalError as BrokerError
from redis import RedisError
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from api.limits import BodySizeLimit, HttpMiddleware, InFlightLimit
from api.routes import (
    audit,
    market,
    p2p,
    platform,
    pods,
    settlement,
    statements,
    tokens,
    ui,
    uvams,
)
from ledger.core.chain.errors import ChainError
from ledger.core.errors import CbpError
from ledger.core.runtime import DispatchFailed, Runtime

DESCRIPTION = """The CBP connector of the crowd balancing platform.

Every write answers **202 Accepted** with an `operationId`; poll `GET /operations/{id}` or
register a callback URL to be told when it is on chain. Authenticate with
`Authorization: Bearer <token>` (tokens are issued with `cbp org token`).
"""


#: Deepest nesting of arrays and objects a JSON body may have. Deeper bodies are refused before
#: they are parsed: the chain libraries raise the interpreter's recursion limit (py_ecc sets it
#: to 100000), so parsing a body nested 100000 deep overflows the C stack and kills the process.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTTP_CODES = {400: "invalid_input", 404: "not_found", 405: "method_not_allowed"}
_WRITES = frozenset({"POST", "PUT", "PATCH"})


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` nests arrays and objects deeper than ``limit`` (strings aside)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def _invalid(message: str, field: str | None) -> JSONResponse:
    return JSONResponse(
        status_code=422, content={"code": "invalid_input", "message": message, "field": field}
    )


def _control_characters_in_url(request: Request) -> JSONResponse | None:
    """A NUL or other control character in the path or a query parameter: no identifier or
    filter holds one, and PostgreSQL cannot even compare with one (it answered 500)."""
    if _CONTROL.search(request.scope["path"]):
        return _invalid("the path contains a control character", "path")
    for name, value in request.query_params.multi_items():
        if _CONTROL.search(name) or _CONTROL.search(value):
            return _invalid("contains a control character", name)
    return None


class RefuseHostileRequests(HttpMiddleware):
    """ASGI middleware refusing a control character in the URL and a JSON body nested deeper
    than :data:`MAX_JSON_DEPTH`, before any route sees them."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        refused = _control_characters_in_url(request)
        content_type = request.headers.get("content-type", "")
        if refused is None and request.method in _WRITES and "json" in content_type:
            body = await request.body()
            if json_too_deep(body):
                refused = _invalid(
                    f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels", None
                )
            receive = _replay(body, receive)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then what the client sends next (a
    disconnect)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _operation_id(route: APIRoute) -> str:
    """The OpenAPI ``operationId``: the route function's name (``register_pod``), unique across
    the API, so a generated client's functions read like the routes."""
    return route.name


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Crowd Balancing Platform - CBP connector",
        version="0.1.0",
        description=DESCRIPTION,
        generate_unique_id_function=_operation_id,
    )
    app.state.runtime = runtime
    app.include_router(pods.router)
    app.include_router(uvams.router)
    app.include_router(platform.router)
    app.include_router(tokens.router)
    app.include_router(audit.router)
    app.include_router(p2p.router)
    app.include_router(market.router)
    app.include_router(settlement.router)
    app.include_router(statements.router)
    ui.install(app)

    app.add_middleware(RefuseHostileRequests)
    app.add_middleware(BodySizeLimit)  # nothing reads a body before its cap applies
    app.add_middleware(InFlightLimit, limit=runtime.settings.api_max_in_flight)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        """Framework refusals (an unreadable body, an unknown path) in the shape of every error."""
        return JSONResponse(
            status_code=exc.status_code,
            content={
                "code": _HTTP_CODES.get(exc.status_code, "http_error"),
                "message": str(exc.detail),
                "field": None,
            },
            headers=exc.headers,
        )

    @app.exception_handler(CbpError)
    async def domain_error(_: Request, exc: CbpError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        return JSONResponse(status_code=exc.http_status, content=exc.to_dict(), headers=headers)

    @app.exception_handler(ChainError)
    async def chain_error(_: Request, exc: ChainError) -> JSONResponse:
        return JSONResponse(
            status_code=503, content={"code": "chain_unavailable", "message": exc.message}
        )

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            content={"code": "unavailable", "message": "the database is unreachable; retry later"},
        )

    @app.exception_handler(PoolTimeout)
    async def database_busy(_: Request, exc: PoolTimeout) -> JSONResponse:
        """Every database connection of this process is in use: overload, not a fault."""
        return JSONResponse(
            status_code=503,
            content={"code": "unavailable", "message": "the platform is busy; retry later"},
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(BrokerError)
    @app.exception_handler(RedisError)
    @app.exception_handler(DispatchFailed)
    async def broker_down(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            content={
                "code": "unavailable",
                "message": "the task broker is unreachable; retry later",
            },
        )

    @app.exception_handler(DataError)
    async def unstorable_value(_: Request, exc: DataError) -> JSONResponse:
        """A value the database refuses (a NUL character in text for PostgreSQL, a number out
        of range): the client's input, so a 422, never a 500."""
        return _invalid(
            "a value the database cannot store (a NUL character, a number too large)", None
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(error) for error in exc.errors()]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        return JSONResponse(
            status_code=422,
            content={
                "code": "invalid_input",
                "message": f"{first['field']}: {first['message']}",
                "field": first["field"],
                "errors": errors,
            },
        )

    return app


#: A model validator names the field a cross-field rule is about as ``"fieldName: message"``.
_NAMED_FIELD = re.compile(r"^([a-z][A-Za-z0-9]*): (.+)$", re.DOTALL)


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    named = _NAMED_FIELD.match(message) if error.get("type") == "value_error" else None
    if named:  # the error belongs on that field, in the rule's words
        location.append(named.group(1))
        message = named.group(2)
    return {"field": ".".join(location) or None, "message": message}
