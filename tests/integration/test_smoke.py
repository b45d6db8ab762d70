import time

import httpx

from cli.stack import API_KEEP_ALIVE_S


def test_health_answers_with_chain_block(world):
    body = world.client("bsp1").get("/health").json()
    assert body["status"] == "ok"
    assert body["chainId"] == 31337


def _local_port(response: httpx.Response) -> int:
    port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


def test_an_idle_connection_outlives_the_clients_keep_alive(world):
    """httpx (and most load balancers) keep an idle connection 5 s. A server that closed it at
    the same 5 s raced a client reusing it, and the request failed with "Server disconnected
    without sending a response". The API keeps it longer, so the client always closes first."""
    client_keep_alive_s = httpx.Limits().keepalive_expiry
    assert client_keep_alive_s is not None
    assert client_keep_alive_s < API_KEEP_ALIVE_S
    limits = httpx.Limits(keepalive_expiry=API_KEEP_ALIVE_S)
    with httpx.Client(base_url=world.api_url, limits=limits, timeout=10.0) as http:
        first = http.get("/health")
        first_port = _local_port(first)
        time.sleep(client_keep_alive_s + 0.5)
        second = http.get("/health")
        second_port = _local_port(second)
    assert first.status_code == second.status_code == 200
    assert first_port == second_port, "the server closed the idle connection"
