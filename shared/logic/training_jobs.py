"""Training jobs, API side: submit (a QUEUED record; the table's stream starts the workflow), read,
list and stop. Progress, completion and failure are written by the workflow.

A submission is checked before anything is written: the filter must select a data set a useful
model can come of (``datasets.select``), the hyperparameters must fit the model type, and the
caller may have at most ``maxConcurrentTrainingJobs`` (CDK context, default 2) jobs that are not
finished; the record carries the time estimate (``estimates``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.errors import Conflict, NotFound, TooManyRequests
from shared.logic import clock, datasets, estimates
from shared.logic.ids import new_id
from shared.logic.pagination import Source, paginate
from shared.logic.records import from_item, to_item
from shared.model_types import spec_for
from shared.schemas import TrainingJob, TrainingJobIn, TrainingJobList
from shared.settings import ApiSettings
from shared.statuses import TRAINING_FINAL, TrainingStatus
from shared.store import sagemaker
from shared.store import training_jobs as store
from shared.store.errors import StaleWrite

# The stream trigger starts a workflow within seconds; a job still QUEUED after this long lost its
# trigger (every retry failed and the record went to the dead-letter queue) and would wait forever.
QUEUED_TIMEOUT = timedelta(minutes=15)
NEVER_STARTED = "the training workflow did not start within 15 minutes of the request; submit the job again"


def submit(owner: str, request: TrainingJobIn) -> TrainingJob:
    """Check the data set, the model type's hyperparameters (defaults filled in) and the caller's
    running jobs, then record QUEUED with the time estimate."""
    selection = datasets.select(request.dataset.tags, request.model_type)
    hyperparameters = spec_for(request.model_type).validate_hyperparameters(request.hyperparameters).to_wire()
    limit = ApiSettings.load().max_concurrent_training_jobs
    running = unfinished(owner)
    if len(running) >= limit:
        raise TooManyRequests(
            f"You have {len(running)} training jobs that are not finished ({', '.join(running)}); at most {limit} "
            "may run at once. Wait for one to finish or stop one (POST /training-jobs/{id}/stop), then submit again.",
            code="TOO_MANY_TRAINING_JOBS",
        )
    now = clock.now()
    job = TrainingJob(
        id=new_id("tj"),
        owner=owner,
        model_name=request.model_name,
        dataset=request.dataset,
        model_type=request.model_type,
        hyperparameters=hyperparameters,
        status=TrainingStatus.QUEUED,
        epoch=0,
        epochs=hyperparameters["epochs"],
        estimate=estimates.estimate(request.model_type, selection, hyperparameters),
        created_at=now,
        updated_at=now,
    )
    store.create(to_item(job, owner))
    return job


def unfinished(owner: str) -> list[str]:
    """Ids of the owner's jobs that are not in a final state (QUEUED ones past their timeout are
    closed on the way, as a read closes them)."""
    ids, key = [], None
    while True:
        items, key = store.page(owner, 100, key)
        ids += [i["id"] for i in items if _expire(owner, i).get("status") not in TRAINING_FINAL]
        if key is None:
            return ids


def get(owner: str, job_id: str) -> TrainingJob:
    item = store.get(owner, job_id)
    if item is None:
        raise NotFound(f"Training job {job_id} does not exist.")
    return from_item(TrainingJob, _expire(owner, item))


def list_jobs(owner: str, limit: int, token: str | None) -> TrainingJobList:
    items, next_token = paginate([Source(owner, lambda n, key: store.page(owner, n, key))], limit, token)
    return TrainingJobList(items=[from_item(TrainingJob, _expire(owner, i)) for i in items], next_token=next_token)


def stop(owner: str, job_id: str) -> TrainingJob:
    """A job not yet started is STOPPED at once; a started one is STOPPING until SageMaker confirms
    (the workflow records STOPPED). Stopping a job that is already stopping is a no-op."""
    job = get(owner, job_id)
    if job.status in TRAINING_FINAL:
        raise Conflict(f"Training job {job_id} is already {job.status}.", code="ALREADY_FINISHED")
    if job.status == TrainingStatus.STOPPING:
        return job
    now = clock.iso(clock.now())
    if job.status == TrainingStatus.QUEUED:
        try:
            return from_item(
                TrainingJob,
                store.move(
                    owner,
                    job_id,
                    TrainingStatus.STOPPED,
                    {"updatedAt": now, "failureReason": "stopped before it started"},
                    expect=TrainingStatus.QUEUED,
                ),
            )
        except StaleWrite:
            return stop(owner, job_id)  # the workflow picked it up in the meantime: stop it the started way
    try:
        item = store.move(owner, job_id, TrainingStatus.STOPPING, {"updatedAt": now})
    except StaleWrite:
        return stop(owner, job_id)
    if job.sagemaker_job_name:
        sagemaker.stop_training_job(job.sagemaker_job_name)
    return from_item(TrainingJob, item)


def _expire(owner: str, item: dict[str, Any]) -> dict[str, Any]:
    """Close a job whose workflow never started: FAILED with a reason, so no status waits forever.

    The write is conditional on QUEUED, so a workflow that claims the job at the same moment wins
    (and one that starts later finds the record no longer QUEUED and ends without training)."""
    if item.get("status") != TrainingStatus.QUEUED:
        return item
    now = clock.now()
    if datetime.fromisoformat(item["createdAt"].replace("Z", "+00:00")) + QUEUED_TIMEOUT > now:
        return item
    try:
        return store.move(
            owner,
            item["id"],
            TrainingStatus.FAILED,
            {"failureReason": NEVER_STARTED, "updatedAt": clock.iso(now)},
            expect=TrainingStatus.QUEUED,
        )
    except StaleWrite:
        return store.get(owner, item["id"]) or item
