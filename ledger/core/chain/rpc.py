"""JSON-RPC batches over one urllib3 connection pool: one HTTP round trip per batch, one answer
per request.

The platform's throughput comes from sending many signed transactions and receipt queries per
HTTP round trip, and every process (API, workers, block follower, indexer) makes many round
trips. Two layers it does not use:

- web3.py's high-level ``Web3.batch_requests()`` formats every result (a receipt into an
  ``AttributeDict``), 16 to 29 times slower for receipts (``python -m cli.chain_codec_bench``),
  and raises at the first refused request, while a batch of gas estimates must give each call
  its own outcome. The receipts and logs become the project's own dataclasses in
  :mod:`ledger.core.chain.client`.
- ``requests`` (under web3.py's ``HTTPProvider``) costs about 0.5 ms of CPU per round trip
  against 0.2 ms for urllib3's pool underneath it (``python -m cli.chain_codec_bench``).

The environment's proxy, CA bundle and ``.netrc`` settings, which ``requests`` would read on
every call, are read once per client (:func:`_transport_for`); credentials in the URL
(``https://user:secret@node``) become a Basic ``Authorization`` header.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import urllib3
from requests import Session
from requests.utils import get_netrc_auth, select_proxy
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from ledger.core.chain.errors import ChainError, RpcError, RpcTimeout

RpcRequest = tuple[str, list[Any]]
#: Idle connections kept per node: the API's request threads each hold one while they wait.
POOL_SIZE = 16


def _transport_for(
    url: str,
) -> tuple[urllib3.PoolManager | urllib3.HTTPConnectionPool, str, dict[str, str]]:
    """Where to post: through the environment's proxy for ``url``, a proxy manager and the
    whole URL; else the node's own connection pool and the URL's path (without the pool
    manager's parsing of the URL per request). And the headers of every request."""
    parts = urlsplit(url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    credentials = (parts.username, parts.password or "") if parts.username else None
    with Session() as session:
        environment = session.merge_environment_settings(url, {}, None, None, None)
    credentials = credentials or get_netrc_auth(url)
    if credentials:
        user, secret = credentials
        headers |= urllib3.util.make_headers(basic_auth=f"{user}:{secret}")
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 address
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    verify = environment["verify"]
    tls: dict[str, Any] = {}
    if verify is False:
        tls["cert_reqs"] = "CERT_NONE"
    elif isinstance(verify, str):
        tls["ca_certs"] = verify
    proxy = select_proxy(url, environment["proxies"])
    if proxy:
        return urllib3.ProxyManager(proxy, maxsize=POOL_SIZE, **tls), target, headers
    pool = urllib3.PoolManager(maxsize=POOL_SIZE, **tls).connection_from_url(target)
    return pool, urlunsplit(("", "", parts.path or "/", parts.query, "")), headers


def _plain(value: Any) -> Any:
    """JSON for bytes in params: 0x-prefixed hex, as every node expects."""
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class RpcClient:
    """``timeout_s``: longest wait for the connection, and for the answer. No retries of its
    own: a request not answered in time is the caller's to judge."""

    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._pool, self._target, self._headers = _transport_for(url)
        self._timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)

    def close(self) -> None:
        if isinstance(self._pool, urllib3.PoolManager):
            self._pool.clear()
        else:
            self._pool.close()

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        [(result, error)] = self.batch([(method, params or [])])
        if error is not None:
            raise RpcError(method, error)
        return result

    def batch(self, requests: list[RpcRequest]) -> list[tuple[Any, dict[str, Any] | None]]:
        """Send requests in one HTTP round trip; return ``(result, error)`` pairs in order."""
        if not requests:
            return []
        body = json.dumps(
            [
                {"jsonrpc": "2.0", "id": index, "method": method, "params": params}
                for index, (method, params) in enumerate(requests)
            ],
            separators=(",", ":"),
            default=_plain,
        ).encode()
        try:
            response = self._pool.urlopen(
                "POST",
                self._target,
                body=body,
                headers=self._headers,
                timeout=self._timeout,
                retries=False,
            )
        except NewConnectionError as exc:
            raise ChainError(f"chain node at {self.url} unreachable: {exc}") from exc
        except Urllib3Timeout as exc:
            methods = sorted({method for method, _ in requests})
            raise RpcTimeout(
                f"chain node at {self.url} did not answer {', '.join(methods)}"
                f" within {self.timeout_s:g} s (CBP_CHAIN_RPC_TIMEOUT_S)"
            ) from exc
        except HTTPError as exc:
            raise ChainError(f"chain node at {self.url} unreachable: {exc}") from exc
        if response.status >= 400:
            raise ChainError(
                f"chain node at {self.url} answered HTTP {response.status}: {response.data[:200]!r}"
            )
        try:
            answers = json.loads(response.data)
        except ValueError as exc:
            raise ChainError(
                f"chain node at {self.url} answered with no JSON: {response.data[:200]!r}"
            ) from exc
        if not isinstance(answers, list):  # a whole-batch error
            raise RpcError("batch", dict(answers.get("error") or answers))
        if len(answers) != len(requests):
            raise ChainError(f"chain node at {self.url} answered {len(answers)} of {len(requests)}")
        # JSON-RPC lets a node answer a batch in any order: each answer carries its request's id
        answers.sort(key=lambda answer: answer.get("id", -1))
        return [(answer.get("result"), _error(answer)) for answer in answers]


def _error(answer: Any) -> dict[str, Any] | None:
    error = answer.get("error")
    return None if error is None else dict(error)
