"""The quick member of the fault suite (``python -m faults`` runs them all)."""

from __future__ import annotations

from faults.scenarios import indexer_restarted


def test_indexer_killed_and_restarted_leaves_no_gap_and_no_duplicate(tmp_path):
    result = indexer_restarted(tmp_path)

    figures = result.figures
    assert (figures["lost"], figures["duplicated"]) == (0, 0), figures
    assert figures["succeeded"] == figures["accepted"] == 30, figures
    assert figures["caughtUp"], figures
    assert (figures["gaps"], figures["duplicateEvents"]) == (0, 0), figures
    assert figures["eventsIndexed"] == figures["eventsOnChain"], figures
    assert result.passed
