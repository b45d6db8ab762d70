def test_health_answers_with_chain_block(world):
    body = world.client("bsp1").get("/health").json()
    assert body["status"] == "ok"
    assert body["chainId"] == 31337
