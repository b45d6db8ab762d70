"""A small JSON-RPC client with batching over one persistent HTTP connection.

web3.py sends one request per call; the platform's throughput comes from sending many signed
transactions and receipt queries per HTTP round trip, so the hot path speaks JSON-RPC directly.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from ledger.core.chain.errors import ChainError, RpcError, RpcTimeout

RpcRequest = tuple[str, list[Any]]


class RpcClient:
    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._http = httpx.Client(timeout=timeout_s)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        [(result, error)] = self.batch([(method, params or [])])
        if error is not None:
            raise RpcError(method, error)
        return result

    def batch(self, requests: list[RpcRequest]) -> list[tuple[Any, dict[str, Any] | None]]:
        """Send requests in one HTTP round trip; return ``(result, error)`` pairs in order."""
        if not requests:
            return []
        payload = [
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
            for method, params in requests
        ]
        try:
            response = self._http.post(self.url, json=payload)
            response.raise_for_status()
        except httpx.TimeoutException as exc:
            methods = sorted({method for method, _ in requests})
            raise RpcTimeout(
                f"chain node at {self.url} did not answer {', '.join(methods)}"
                f" within {self.timeout_s:g} s (CBP_CHAIN_RPC_TIMEOUT_S)"
            ) from exc
        except httpx.HTTPError as exc:
            raise ChainError(f"chain node at {self.url} unreachable: {exc}") from exc
        answers = response.json()
        if isinstance(answers, dict):  # a whole-batch error
            raise RpcError("batch", answers.get("error", answers))
        by_id = {answer["id"]: answer for answer in answers}
        return [(by_id[p["id"]].get("result"), by_id[p["id"]].get("error")) for p in payload]
