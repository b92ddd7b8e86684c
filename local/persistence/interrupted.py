"""Work that was in flight when the runtime stopped, closed with a reason after the restart.

The journal brings back data, never work: the compose worker's invocation, the training workflow's
execution and the training subprocess died with the runtime. Without this sweep their records would
stay PENDING, RUNNING, TRAINING or CREATING until a lease or timeout noticed. Each move goes through
the stores' conditional, forward-only writes, so a record that did finish is never touched.

QUEUED training jobs are left alone: their stream record is delivered (once) after the restart and
starts the workflow as it would have.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.logic import clock
from shared.resources import BUILTIN_OWNER, COMPOSITIONS, MODELS, TRAINING_JOBS, TableSpec
from shared.statuses import CompositionStatus, ModelStatus, TrainingStatus
from shared.store import dynamo
from shared.store.errors import StaleWrite

log = logging.getLogger(__name__)

COMPOSITION_REASON = "the local runtime stopped while this composition was being made; compose again"
TRAINING_REASON = "the local runtime stopped during training; restart the job"
MODEL_REASON = "the local runtime stopped while this model was being registered; train it again"


@dataclass
class Closed:
    compositions: int = 0
    training_jobs: int = 0
    models: int = 0


def _items(spec: TableSpec, statuses: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The keys of every item of the table (any owner) in one of ``statuses``: a scan, once per start."""
    values = {f":s{i}": str(s) for i, s in enumerate(statuses)}
    kwargs: dict[str, Any] = {
        "FilterExpression": f"#status IN ({', '.join(values)})",
        "ExpressionAttributeNames": {"#status": "status", "#owner": spec.partition_key, "#id": spec.sort_key or "id"},
        "ExpressionAttributeValues": values,
        "ProjectionExpression": "#owner, #id",
    }
    while True:
        page = dynamo.table(spec).scan(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _move(spec: TableSpec, item: dict[str, Any], status: Any, reason: str | None) -> bool:
    fields: dict[str, Any] = {"updatedAt": clock.iso(clock.now())}
    if reason:
        fields["failureReason"] = reason
    try:
        dynamo.update(spec, item[spec.partition_key], item[spec.sort_key or "id"], fields, status=status)
    except StaleWrite:  # it moved on by itself meanwhile
        return False
    return True


def close_interrupted_work() -> Closed:
    """FAILED (or STOPPED, for a job being stopped) with a reason, for everything cut off mid-way."""
    closed = Closed()
    for item in _items(COMPOSITIONS, (CompositionStatus.PENDING, CompositionStatus.RUNNING)):
        closed.compositions += _move(COMPOSITIONS, item, CompositionStatus.FAILED, COMPOSITION_REASON)
    for item in _items(TRAINING_JOBS, (TrainingStatus.STARTING, TrainingStatus.TRAINING)):
        closed.training_jobs += _move(TRAINING_JOBS, item, TrainingStatus.FAILED, TRAINING_REASON)
    for item in _items(TRAINING_JOBS, (TrainingStatus.STOPPING,)):
        closed.training_jobs += _move(TRAINING_JOBS, item, TrainingStatus.STOPPED, None)
    for item in _items(MODELS, (ModelStatus.CREATING,)):
        if item[MODELS.partition_key] != BUILTIN_OWNER:
            closed.models += _move(MODELS, item, ModelStatus.FAILED, MODEL_REASON)
    if closed.compositions or closed.training_jobs or closed.models:
        log.warning(
            "Closed work the last run left in flight: %d composition(s), %d training job(s), %d model(s)",
            closed.compositions,
            closed.training_jobs,
            closed.models,
        )
    return closed
