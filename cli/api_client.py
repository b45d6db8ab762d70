"""An organisation's HTTP client of the platform's API, as its own systems would use it: a bearer
token over one keep-alive connection, writes that answer 202, operations polled until final.
The demo and the benchmarks drive the platform through it."""

from __future__ import annotations

import base64
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from ledger.core.domain.identifiers import EIC_ALPHABET

TERMINAL: Final = frozenset({"succeeded", "failed"})
POLL_INTERVAL_S: Final = 0.05
PHASE_TIMEOUT_S: Final = 180.0


class DemoFailure(RuntimeError):
    """The platform answered something a client cannot go on from."""


class ApiClient:
    """One organisation's HTTP client: its bearer token over one keep-alive connection."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 60.0) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s
        )
        me = self.call("GET", "/organisations/me")
        self.slug: str = me["id"]
        self.name: str = me["name"]
        self.role: str = me["role"]
        self.eic: str = me["eic"]

    def close(self) -> None:
        self.http.close()

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        """Send and return the JSON body; anything but ``expect`` is a :class:`DemoFailure`."""
        response = self.send(method, path, **kwargs)
        if response.status_code != expect:
            raise DemoFailure(
                f"{self.slug}: {method} {path} answered {response.status_code}: "
                f"{response.text[:500]}"
            )
        return response.json()

    def write(
        self, method: str, path: str, body: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        """A write: expects 202 Accepted with an operation id."""
        if body is not None:
            kwargs["json"] = body
        return self.call(method, path, expect=202, **kwargs)

    def all_pages(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a paged list endpoint."""
        rows: list[dict[str, Any]] = []
        while True:
            page = self.call(
                "GET", path, params={**(params or {}), "limit": 500, "offset": len(rows)}
            )
            rows += page["data"]
            if not page["data"] or len(rows) >= page["count"]:
                return rows


@dataclass(frozen=True)
class Pending:
    """An accepted operation, to be polled by the organisation that submitted it."""

    client: ApiClient
    operation_id: str
    label: str


def wait_operations(
    pending: Iterable[Pending], *, timeout_s: float = PHASE_TIMEOUT_S
) -> dict[str, dict[str, Any]]:
    """Poll ``GET /operations/{id}`` until every operation succeeded or failed.

    Rounds of polling, 50 ms apart. Within a round, each organisation's operations are polled
    in submission order and the round moves on after a few still running ones: its later
    operations queue behind those on the same signing account anyway.
    """
    queues: dict[str, list[Pending]] = defaultdict(list)
    for item in pending:
        queues[item.client.slug].append(item)
    finished: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout_s
    while any(queues.values()):
        for slug, queue in queues.items():
            still: list[Pending] = []
            running = 0
            for item in queue:
                if running >= 8:
                    still.append(item)
                    continue
                body = item.client.call("GET", f"/operations/{item.operation_id}")
                if body["status"] in TERMINAL:
                    finished[item.operation_id] = {**body, "label": item.label}
                else:
                    running += 1
                    still.append(item)
            queues[slug] = still
        if any(queues.values()):
            if time.monotonic() > deadline:
                left = sum(len(queue) for queue in queues.values())
                raise DemoFailure(f"{left} operations still running after {timeout_s:.0f}s")
            time.sleep(POLL_INTERVAL_S)
    return finished


def minimal_pdf(title: str) -> bytes:
    """A small, well-formed one-page PDF showing ``title``."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_attachment(sender: str, receiver: str, name: str, title: str, kind: str) -> dict[str, Any]:
    return {
        "senderId": sender,
        "receiverId": receiver,
        "externalDocumentId": name,
        "documentFile": base64.b64encode(minimal_pdf(title)).decode("ascii"),
        "documentType": kind,
        "mimeType": "application/pdf",
    }


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def broken_eic(eic: str) -> str:
    """``eic`` with a wrong check character."""
    return eic[:-1] + EIC_ALPHABET[(EIC_ALPHABET.index(eic[-1]) + 1) % len(EIC_ALPHABET)]
