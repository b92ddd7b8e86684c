"""The training-jobs table. The API creates QUEUED items (the table's stream starts the workflow);
every later write moves the status forward only, conditionally.
"""

from __future__ import annotations

from shared.resources import TRAINING_JOBS
from shared.statuses import TrainingStatus
from shared.store import dynamo
from shared.store.dynamo import Item


def create(item: Item) -> None:
    dynamo.create(TRAINING_JOBS, item)


def get(owner: str, job_id: str) -> Item | None:
    return dynamo.get(TRAINING_JOBS, owner, job_id)


def page(owner: str, limit: int, start_key: Item | None = None) -> tuple[list[Item], Item | None]:
    return dynamo.query_owner(TRAINING_JOBS, owner, limit, start_key)


def write_keeping(owner: str, job_id: str, status: TrainingStatus, fields: Item) -> Item:
    """Write ``fields`` without a status change, only while the status is still ``status``."""
    return dynamo.update(
        TRAINING_JOBS,
        owner,
        job_id,
        fields,
        condition="#st = :current",
        values={":current": str(status)},
        names={"#st": "status"},
    )


def move(
    owner: str, job_id: str, status: TrainingStatus, fields: Item, *, expect: TrainingStatus | None = None
) -> Item:
    """Move to ``status``; with ``expect`` only from exactly that status (e.g. QUEUED -> STOPPED)."""
    if expect is None:
        return dynamo.update(TRAINING_JOBS, owner, job_id, fields, status=status)
    return dynamo.update(
        TRAINING_JOBS,
        owner,
        job_id,
        fields,
        status=status,
        condition="#status = :expected",
        values={":expected": str(expect)},
    )
