"""The JSON-RPC transport (``ledger/core/chain/rpc.py``) against a small local HTTP server: a
batch's answers in request order whatever order the node sends them in, credentials in the URL
as a Basic header, the environment's proxy, and a node's HTTP error as a chain error."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3

from ledger.core.chain.errors import ChainError
from ledger.core.chain.rpc import RpcClient, _transport_for


class _Node(BaseHTTPRequestHandler):
    """Answers each request of a batch with its method's name, in reverse order; remembers the
    last request's headers and path. ``status`` other than 200 answers that status and no JSON."""

    seen: dict[str, str] = {}
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen = {k.lower(): v for k, v in self.headers.items()} | {"path": self.path}
        if self.status != 200:
            self.send_response(self.status)
            self.end_headers()
            self.wfile.write(b"overloaded")
            return
        answers = [{"jsonrpc": "2.0", "id": r["id"], "result": r["method"]} for r in body]
        data = json.dumps(answers[::-1]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def node() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    _Node.status = 200


def test_a_batch_answered_in_any_order_comes_back_in_request_order(node: str) -> None:
    client = RpcClient(f"http://{node}")
    methods = [f"method_{n}" for n in range(5)]
    assert client.batch([(m, []) for m in methods]) == [(m, None) for m in methods]
    client.close()


def test_credentials_in_the_url_go_as_a_basic_header_not_in_the_path(node: str) -> None:
    client = RpcClient(f"http://bsp:s3cret@{node}/rpc")
    client.call("eth_chainId")
    client.close()
    assert _Node.seen["authorization"] == "Basic " + base64.b64encode(b"bsp:s3cret").decode()
    assert _Node.seen["path"] == "/rpc"


def test_a_node_answering_an_http_error_is_a_chain_error_naming_the_status(node: str) -> None:
    _Node.status = 503
    client = RpcClient(f"http://{node}")
    with pytest.raises(ChainError) as caught:
        client.call("eth_blockNumber")
    client.close()
    assert "HTTP 503" in caught.value.message


def test_the_environments_proxy_is_used_unless_the_node_is_excluded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    pool, target, _ = _transport_for("https://node.example/rpc?key=abc")
    assert isinstance(pool, urllib3.ProxyManager)
    assert pool.proxy is not None
    assert pool.proxy.host == "proxy.example"
    assert target == "https://node.example/rpc?key=abc"
    direct, path, _ = _transport_for("https://internal.example/rpc")
    assert not isinstance(direct, urllib3.PoolManager)
    assert path == "/rpc"
