"""Follow-ups of operations confirmed together: one task per ``merge_on`` list, not one each."""

from __future__ import annotations

from ledger.core.handler import FollowUp
from ledger.core.operations import merged


def test_follow_ups_with_a_merge_argument_become_one_task_per_task_and_other_arguments() -> None:
    follow_ups = [
        FollowUp("check", {"bid_ids": ["a"]}, merge_on="bid_ids"),
        FollowUp("deliver", {"message_id": "m1"}),
        FollowUp("check", {"bid_ids": ["b", "c"]}, merge_on="bid_ids"),
        FollowUp("deliver", {"message_id": "m2"}),
        FollowUp("check", {"bid_ids": ["d"], "dso": "x"}, merge_on="bid_ids"),
    ]

    assert merged(follow_ups) == [
        FollowUp("check", {"bid_ids": ["a", "b", "c"]}, merge_on="bid_ids"),
        FollowUp("deliver", {"message_id": "m1"}),
        FollowUp("deliver", {"message_id": "m2"}),
        FollowUp("check", {"bid_ids": ["d"], "dso": "x"}, merge_on="bid_ids"),
    ]
