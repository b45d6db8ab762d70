"""``GET /ui/audit/find``: the auditor's search resolves a POD code, a settlement id or an id to
the record whose audit trail holds its events; ``GET /audit/history`` reads them in words."""

from __future__ import annotations

from ledger.indexer import index_once
from tests.ui.steps import validated_pod_by_api


def test_find_resolves_a_pod_code_and_history_reads_in_words(ui_world):
    pod_id, code = validated_pod_by_api(ui_world, "bsp1")
    auditor = ui_world.client("auditor")

    found = auditor.get("/ui/audit/find", params={"q": code.lower()})
    assert found.status_code == 200, found.text
    assert [(m["kind"], m["historyId"]) for m in found.json()["data"]] == [("POD", pod_id)]
    assert found.json()["data"][0]["label"].startswith(f"POD {code} · ")

    by_id = auditor.get("/ui/audit/find", params={"q": pod_id}).json()["data"]
    assert [m["historyId"] for m in by_id] == [pod_id]

    short = auditor.get("/ui/audit/find", params={"q": "IT"})
    assert short.status_code == 422, short.text
    assert short.json()["field"] == "q"
    assert auditor.get("/ui/audit/find", params={"q": "IT999Z-none"}).json()["data"] == []
    refused = ui_world.client("bsp1").get("/ui/audit/find", params={"q": code})
    assert refused.status_code == 403, refused.text

    index_once(ui_world.runtime)
    entries = auditor.get(f"/audit/history/{pod_id}").json()["data"]
    labels = [e["label"] for e in entries]
    changes = [e["change"] for e in entries if e["change"]]
    assert labels[0] == "POD registered", labels
    assert "POD status changed" in labels, labels
    assert changes[:3] == [
        "Status: Registered",
        "Status: Registered → Open",
        "Status: Open → UnderReview",
    ], changes
    assert not any("None" in change for change in changes), changes
