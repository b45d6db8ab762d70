"""How big batches are cut: per transaction never splitting a buyer (so a chunk's simulation
checks the buyer's funds against all its trades), per operation under the node's request size."""

from __future__ import annotations

from types import SimpleNamespace

from ledger.p2p.service import _chunks_by_buyer, _whole_buyers


def item(buyer: str) -> SimpleNamespace:
    return SimpleNamespace(buyer_key=buyer)


def test_chunks_never_split_a_buyer() -> None:
    items = [item("a")] * 3 + [item("b")] * 2 + [item("c")] * 4 + [item("d")]
    chunks = [[i.buyer_key for i in chunk] for chunk in _chunks_by_buyer(items, size=5)]
    assert chunks == [["a", "a", "a", "b", "b"], ["c", "c", "c", "c", "d"]]
    big = [item("x")] * 7 + [item("y")]
    assert [len(c) for c in _chunks_by_buyer(big, size=5)] == [7, 1]  # one buyer may overflow


def test_operations_take_whole_buyers_up_to_the_limit() -> None:
    rows = [SimpleNamespace(buyer_ev_id=b) for b in "aaabbcccd"]
    assert "".join(r.buyer_ev_id for r in _whole_buyers(rows, 4)) == "aaabb"
    assert "".join(r.buyer_ev_id for r in _whole_buyers(rows, 5)) == "aaabb"
    assert "".join(r.buyer_ev_id for r in _whole_buyers(rows, 6)) == "aaabbccc"
    assert len(_whole_buyers(rows, 100)) == 9
