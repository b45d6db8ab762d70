"""One request per record, as a BSP's systems send them: the benchmarks' one-record writes,
and the wait until every operation they started has ended.

The client must not take the CPU the platform needs (the benchmarks run on the platform's
machine): each lane is a thread with one keep-alive urllib3 connection and its bodies encoded
up front, about a quarter of an httpx client's CPU per request. The end is seen with two count
queries per organisation every :data:`POLL_INTERVAL_S` (``GET /operations?status=accepted``
and ``submitted``), not by reading each operation, and each operation is read once the clock
has stopped, to check that it succeeded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final
from urllib.parse import urlsplit

import urllib3

__all__ = [
    "Lane",
    "RequestRefused",
    "post_each",
    "read_operations",
    "sent_operations",
    "wait_until_ended",
]

#: One organisation's thread: its ``Authorization`` header, the path, the bodies in order.
Lane = tuple[str, str, Sequence[dict[str, Any]]]
POLL_INTERVAL_S: Final = 0.1
RUNNING: Final = ("accepted", "submitted")


class RequestRefused(RuntimeError):
    """The platform answered a request with something else than the benchmark expects."""


def _pool(base_url: str, size: int = 1) -> urllib3.HTTPConnectionPool:
    parts = urlsplit(base_url)
    return urllib3.HTTPConnectionPool(
        parts.hostname or "127.0.0.1",
        parts.port,
        maxsize=size,
        timeout=urllib3.Timeout(120.0),
        retries=False,
    )


def _get(
    pool: urllib3.HTTPConnectionPool, authorization: str, path: str, fields: dict[str, Any]
) -> Any:
    response = pool.request("GET", path, fields=fields, headers={"Authorization": authorization})
    if response.status != 200:
        raise RequestRefused(f"GET {path}: {response.status} {response.data[:300]!r}")
    return json.loads(response.data)


def post_each(base_url: str, lanes: Sequence[Lane]) -> list[list[str]]:
    """POST every body of every lane, the lanes at once; per lane, the operation ids of the
    202 answers, in order. Any other answer raises :class:`RequestRefused`."""
    encoded = [
        (authorization, path, [json.dumps(body).encode() for body in bodies])
        for authorization, path, bodies in lanes
    ]

    def send(lane: tuple[str, str, list[bytes]]) -> list[str]:
        authorization, path, bodies = lane
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        accepted = []
        with _pool(base_url) as pool:
            for body in bodies:
                response = pool.urlopen("POST", path, body=body, headers=headers)
                if response.status != 202:
                    raise RequestRefused(f"POST {path}: {response.status} {response.data[:300]!r}")
                accepted.append(json.loads(response.data)["operationId"])
        return accepted

    with ThreadPoolExecutor(max_workers=len(encoded)) as threads:
        return list(threads.map(send, encoded))


def wait_until_ended(
    base_url: str, authorizations: Sequence[str], *, timeout_s: float = 900.0
) -> None:
    """Return once none of these organisations has an operation accepted or submitted."""
    deadline = time.monotonic() + timeout_s
    with _pool(base_url) as pool:
        while True:
            running = sum(
                _get(pool, authorization, "/operations", {"status": status, "limit": 1})["count"]
                for authorization in set(authorizations)
                for status in RUNNING
            )
            if not running:
                return
            if time.monotonic() > deadline:
                raise RequestRefused(f"{running} operations still running after {timeout_s:.0f} s")
            time.sleep(POLL_INTERVAL_S)


def read_operations(base_url: str, authorization: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The operations ``ids`` of one organisation, in that order (read by pages of 500)."""
    wanted = set(ids)
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    with _pool(base_url) as pool:
        while wanted - found.keys():
            page = _get(pool, authorization, "/operations", {"limit": 500, "offset": offset})
            if not page["data"]:
                missing = len(wanted - found.keys())
                raise RequestRefused(f"{missing} operations are not in GET /operations")
            found |= {b["operationId"]: b for b in page["data"] if b["operationId"] in wanted}
            offset += len(page["data"])
    return [found[operation_id] for operation_id in ids]


def sent_operations(
    base_url: str, lanes: Sequence[Lane], accepted: Sequence[Sequence[str]]
) -> list[dict[str, Any]]:
    """The operations :func:`post_each` started (``accepted``, per lane), each read by the
    organisation whose lane sent it."""
    ids_of: dict[str, list[str]] = {}
    for (authorization, _, _), ids in zip(lanes, accepted, strict=True):
        ids_of.setdefault(authorization, []).extend(ids)
    return [
        body
        for authorization, ids in ids_of.items()
        for body in read_operations(base_url, authorization, ids)
    ]
