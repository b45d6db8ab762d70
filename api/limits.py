"""Limits applied before a request reaches a route: body size caps, and a cap on the requests
in flight (load shedding).

Requests beyond ``max_in_flight`` at once are answered 503 with ``Retry-After`` at once: past
saturation a client is told to back off in milliseconds instead of waiting in an unbounded queue
for the API's request threads until its own timeout (the load generator saw requests go
unanswered for a minute at twice the sustainable rate before this).

Body size caps:

A JSON body is refused above ``MAX_JSON_BODY_BYTES`` (an attachment, the largest JSON write, is
at most 5 MiB of content, 6.7 MiB in base64); bulk data goes through the multipart uploads,
refused above ``MAX_MULTIPART_BODY_BYTES`` (the measurement CSV limit and room for the form).
The declared ``Content-Length`` is checked first; a chunked body is counted as it arrives.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
MAX_JSON_BODY_BYTES = 8 * MIB
MAX_MULTIPART_BODY_BYTES = 201 * MIB


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a chunked body passes its cap."""


def body_cap(headers: dict[bytes, bytes]) -> int:
    content_type = headers.get(b"content-type", b"").lower()
    return MAX_MULTIPART_BODY_BYTES if b"multipart/" in content_type else MAX_JSON_BODY_BYTES


class HttpMiddleware:
    """An ASGI middleware that handles HTTP requests (:meth:`handle`) and passes anything else
    (the lifespan) straight on: a plain ASGI class, since Starlette's
    ``@app.middleware("http")`` runs every request through an extra task and memory streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodySizeLimit(HttpMiddleware):
    """ASGI middleware answering 413 to a body larger than its cap, without reading it all."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        cap = body_cap(headers)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > cap:
            await _too_large(send, cap)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send, cap)


async def _too_large(send: Send, cap: int) -> None:
    await _send_json(
        send,
        413,
        {
            "code": "too_large",
            "message": f"the request body exceeds {cap // MIB} MiB; upload bulk data as a file",
            "field": None,
        },
        close=True,
    )


async def _send_json(
    send: Send,
    status: int,
    content: dict[str, Any],
    *,
    retry_after: str | None = None,
    close: bool = False,
) -> None:
    body = json.dumps(content).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", retry_after.encode()))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class InFlightLimit(HttpMiddleware):
    """ASGI middleware: at most ``limit`` HTTP requests in progress; the rest answered 503."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        super().__init__(app)
        self.limit = limit
        self.in_flight = 0  # one event loop per process: no lock needed

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.in_flight >= self.limit:
            await _send_json(
                send,
                503,
                {"code": "unavailable", "message": "the platform is busy; retry later"},
                retry_after="1",
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
