"""The conditional update refuses, before any call, a move to a status nothing may move to."""

from __future__ import annotations

import pytest

from shared.resources import COMPOSITIONS, TRAINING_JOBS
from shared.statuses import CompositionStatus, TrainingStatus, allowed_previous
from shared.store import dynamo


@pytest.mark.parametrize(
    ("spec", "status"), [(TRAINING_JOBS, TrainingStatus.QUEUED), (COMPOSITIONS, CompositionStatus.PENDING)]
)
def test_a_move_to_a_creation_only_status_is_refused_with_a_reason(spec, status):
    assert allowed_previous(status) == []
    with pytest.raises(ValueError, match="through create"):
        dynamo.update(spec, "alice", "x-1", {"updatedAt": "2026-11-22T00:00:00.000Z"}, status=status)
