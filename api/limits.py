"""Request body size caps, enforced before a body is parsed.

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


class BodySizeLimit:
    """ASGI middleware answering 413 to a body larger than its cap, without reading it all."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
    content: dict[str, Any] = {
        "code": "too_large",
        "message": f"the request body exceeds {cap // MIB} MiB; upload bulk data as a file",
        "field": None,
    }
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
