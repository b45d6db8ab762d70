"""A fresh machine without Redis still starts: the embedded Valkey takes over."""

from pathlib import Path

import redis

from ledger.core.chain.anvil import wait_for_rpc
from ledger.core.settings import Settings
from ledger.local_stack import LocalStack, redis_answers


def test_without_redis_an_embedded_valkey_serves_the_broker(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    nothing_listens = "redis://127.0.0.1:1/0"
    assert not redis_answers(nothing_listens)
    with LocalStack(settings, default_redis_url=nothing_listens) as stack:
        assert stack.redis_url != nothing_listens
        client = redis.Redis.from_url(stack.redis_url)
        client.set("cbp:probe", "1")
        assert client.get("cbp:probe") == b"1"
        assert wait_for_rpc(stack.rpc_url) == settings.chain_id
    assert not redis_answers(stack.redis_url)


def test_configured_redis_is_used_as_is(tmp_path: Path) -> None:
    url = "redis://127.0.0.1:6379/9"
    with LocalStack(Settings(data_dir=tmp_path, redis_url=url)) as stack:
        assert stack.redis_url == url
