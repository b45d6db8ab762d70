"""``Idempotency-Key`` on every write: one route class gives it to every POST, PUT, PATCH and
DELETE of the routers that use it, so no route carries code of its own for it.

The request's fingerprint is canonical: the method, the path, the sorted query and the body
(JSON re-serialised with sorted keys; a form by its fields and the SHA-256 of each file), so a
retry whose JSON keys or multipart boundary differ is still the same request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import CurrentOrg, RuntimeDep
from api.routing import PublicRoute
from ledger.core import idempotency
from ledger.core.idempotency import HEADER, StoredAnswer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CHUNK = 1024 * 1024

KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description=(
            "Makes a retried write safe: the same key with the same request answers what the "
            "first answered (the same operationId, nothing new stored or sent); the same key "
            "with another request answers 422. Keys are per organisation, kept 24 hours."
        ),
    ),
]


class _Replay(Exception):
    def __init__(self, answer: StoredAnswer) -> None:
        self.answer = answer


def _file_digest(upload: UploadFile) -> str:
    digest = hashlib.sha256()
    upload.file.seek(0)
    while chunk := upload.file.read(_CHUNK):
        digest.update(chunk)
    upload.file.seek(0)
    return digest.hexdigest()


async def fingerprint(request: Request) -> str:
    """SHA-256 of the request's method, path, sorted query and canonical body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        parts: list[list[str | None]] = []
        for name, value in (await request.form()).multi_items():
            if isinstance(value, UploadFile):
                file_hash = await run_in_threadpool(_file_digest, value)
                parts.append([name, "file", value.filename, file_hash])
            else:
                parts.append([name, "field", value])
        body = json.dumps(sorted(parts, key=json.dumps))
    else:
        raw = await request.body()
        try:
            body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
        except ValueError:
            body = raw.hex()
    query = sorted(request.query_params.multi_items())
    canonical = json.dumps([request.method, request.url.path, query, body])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def claim_idempotency_key(
    request: Request, org: CurrentOrg, runtime: RuntimeDep, key: KeyHeader = None
) -> None:
    """Claim the request's key, or answer what the first copy of the request answered."""
    if key is None:
        return
    idempotency.check_key(key)
    stored = await run_in_threadpool(
        idempotency.claim,
        runtime,
        organisation_id=org.id,
        key=key,
        fingerprint=await fingerprint(request),
        method=request.method,
        path=request.url.path,
    )
    if stored is not None:
        raise _Replay(stored)
    request.state.idempotency_claim = (runtime, org.id, key)


class IdempotentRoute(PublicRoute):
    """An API route whose writes take an ``Idempotency-Key`` header."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if WRITE_METHODS & set(kwargs.get("methods") or ()):
            kwargs["dependencies"] = [
                *(kwargs.get("dependencies") or []),
                Depends(claim_idempotency_key),
            ]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def idempotent_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except _Replay as replay:
                return Response(
                    content=replay.answer.body,
                    status_code=replay.answer.status_code,
                    media_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            except BaseException:
                claimed = getattr(request.state, "idempotency_claim", None)
                if claimed is not None:
                    runtime, organisation_id, key = claimed
                    await run_in_threadpool(
                        idempotency.release, runtime, organisation_id=organisation_id, key=key
                    )
                raise
            claimed = getattr(request.state, "idempotency_claim", None)
            if claimed is not None:
                runtime, organisation_id, key = claimed
                body = getattr(response, "body", None)  # a streamed answer cannot be replayed
                status = response.status_code if isinstance(body, bytes) else 500
                answer = StoredAnswer(
                    status, body.decode("utf-8") if isinstance(body, bytes) else ""
                )
                await run_in_threadpool(
                    idempotency.settle,
                    runtime,
                    organisation_id=organisation_id,
                    key=key,
                    answer=answer,
                )
            return response

        return idempotent_handler
