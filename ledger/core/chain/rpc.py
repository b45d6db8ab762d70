"""JSON-RPC batches over web3.py's HTTP provider, one persistent connection, one answer per request.

The platform's throughput comes from sending many signed transactions and receipt queries per
HTTP round trip. web3.py's ``HTTPProvider.make_batch_request`` sends such a batch and returns
each request's raw answer. Its high-level ``Web3.batch_requests()`` would format every result
(a receipt into an ``AttributeDict``), 16 to 29 times slower for receipts (``python -m
cli.chain_codec_bench``), and raise at the first refused request: a batch of gas estimates must
give each call its own outcome. The receipts and logs are turned into the project's own
dataclasses by :mod:`ledger.core.chain.client`.
"""

from __future__ import annotations

from typing import Any, cast

from requests import RequestException, Session, Timeout
from requests.utils import get_netrc_auth
from web3 import HTTPProvider
from web3.types import RPCEndpoint

from ledger.core.chain.errors import ChainError, RpcError, RpcTimeout

RpcRequest = tuple[str, list[Any]]


def _session_for(url: str) -> Session:
    """A requests session that reads the environment's proxy, CA bundle and ``.netrc``
    settings for ``url`` once. With ``trust_env`` on, requests walks and decodes the whole
    process environment twice per request to find proxies: about 7 % of the API's CPU for a
    one-record write, and the same walk for every call of the workers and the block follower."""
    session = Session()
    found = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    session.auth = get_netrc_auth(url)
    session.trust_env = False
    return session


class RpcClient:
    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._session = _session_for(url)
        #: No retries of its own: a request not answered in time is the caller's to judge.
        self._provider = HTTPProvider(
            url,
            request_kwargs={"timeout": timeout_s},
            session=self._session,
            exception_retry_configuration=None,
        )

    def close(self) -> None:
        self._session.close()

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        [(result, error)] = self.batch([(method, params or [])])
        if error is not None:
            raise RpcError(method, error)
        return result

    def batch(self, requests: list[RpcRequest]) -> list[tuple[Any, dict[str, Any] | None]]:
        """Send requests in one HTTP round trip; return ``(result, error)`` pairs in order."""
        if not requests:
            return []
        try:
            answers = self._provider.make_batch_request(
                [(cast(RPCEndpoint, method), params) for method, params in requests]
            )
        except Timeout as exc:
            methods = sorted({method for method, _ in requests})
            raise RpcTimeout(
                f"chain node at {self.url} did not answer {', '.join(methods)}"
                f" within {self.timeout_s:g} s (CBP_CHAIN_RPC_TIMEOUT_S)"
            ) from exc
        except (RequestException, ValueError) as exc:
            raise ChainError(f"chain node at {self.url} unreachable: {exc}") from exc
        if not isinstance(answers, list):  # a whole-batch error
            raise RpcError("batch", dict(answers.get("error") or answers))
        if len(answers) != len(requests):
            raise ChainError(f"chain node at {self.url} answered {len(answers)} of {len(requests)}")
        return [(answer.get("result"), _error(answer)) for answer in answers]


def _error(answer: Any) -> dict[str, Any] | None:
    error = answer.get("error")
    return None if error is None else dict(error)
