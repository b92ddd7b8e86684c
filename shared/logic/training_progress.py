"""Turn what SageMaker says about a training job, plus the progress file it syncs, into the record.

The workflow's progress function calls :func:`record` once per poll; the progress file comes from
``shared.store.blobs`` and every write goes through ``shared.store.training_jobs``. The record's
status only moves forward (``shared.statuses``); progress (epoch, history) is written even while the
status stays put, e.g. while a stop is pending, so the polling client keeps seeing the model learn.
Each epoch's sample MIDI that the progress file lists is copied out of the checkpoint prefix (scratch)
to a kept key and recorded on the job (``samples``), which ``GET /training-jobs/{id}/samples`` lists.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError

from shared.logic import clock
from shared.schemas import EpochMetrics
from shared.statuses import TRAINING_FINAL, TrainingStatus, can_move
from shared.store import blobs, dynamo
from shared.store import training_jobs as jobs
from shared.store.errors import StaleWrite

logger = logging.getLogger(__name__)

_TRAINING_SECONDARY = frozenset({"Training", "Uploading", "Completed"})
_OUT_OF_TIME = frozenset({"MaxRuntimeExceeded", "MaxWaitTimeExceeded"})
_ATTEMPTS = 3
SAMPLES_ATTRIBUTE = "samples"  # on the job's record: [{epoch, createdAt}] of the kept per-epoch samples
SAMPLE_NAME = re.compile(r"samples/epoch-\d{1,6}\.mid")


class RecordMissing(LookupError):
    """The training-job record the workflow is tracking no longer exists."""


@dataclass(frozen=True)
class Progress:
    """What the workflow's Choice states read (``metrics`` is DynamoDB-typed, for the models table)."""

    trainingJobStatus: str
    recordStatus: str
    stopRequested: bool
    artifactUri: str | None
    metrics: dict[str, Any]
    failureReason: str | None


def target_status(training_job: dict[str, Any], has_progress: bool) -> tuple[TrainingStatus, str | None]:
    """The record status (and failure reason) that SageMaker's primary and secondary status mean.

    Completed maps to TRAINING: the record becomes COMPLETED only once the model is deployed.
    Running out of time is a failure from the user's point of view, not a stop they asked for.
    """
    status = training_job["TrainingJobStatus"]
    secondary = training_job.get("SecondaryStatus", "")
    if status == "InProgress":
        return (
            TrainingStatus.TRAINING if has_progress or secondary in _TRAINING_SECONDARY else TrainingStatus.STARTING
        ), None
    if status == "Completed":
        return TrainingStatus.TRAINING, None
    if status == "Stopping":
        return TrainingStatus.STOPPING, None
    if status == "Stopped":
        if secondary in _OUT_OF_TIME:
            limit = (training_job.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
            return TrainingStatus.FAILED, (
                f"The training job ran out of time: it exceeded its limit of {limit} seconds and was stopped. "
                "Train for fewer epochs or on fewer windows."
            )
        return TrainingStatus.STOPPED, None
    if status == "Failed":
        return TrainingStatus.FAILED, training_job.get(
            "FailureReason"
        ) or "SageMaker reported the training job as failed without a reason."
    raise ValueError(f"unknown TrainingJobStatus {status!r}")


def read_progress(checkpoint_uri: str) -> dict[str, Any] | None:
    """The progress file from the synced checkpoint prefix; None until the first epoch wrote one
    (or while a half-uploaded copy does not parse: the next poll reads it whole)."""
    body = blobs.get_training_progress(checkpoint_uri)
    if body is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        logger.warning("progress file under %s is not JSON yet", checkpoint_uri)
        return None
    return data if isinstance(data, dict) else None


_ENTRY_FIELDS = frozenset(f.alias or n for n, f in EpochMetrics.model_fields.items())


def history_entry(entry: Any) -> dict[str, Any] | None:
    """One epoch of the progress file in the wire shape, or None if it is not one.

    Keys the wire model does not know (a technique's own bookkeeping, e.g. the Transformer's step
    count) are left out rather than failing the entry, and non-finite numbers are dropped from the
    ``losses`` and ``metrics`` maps: DynamoDB cannot store NaN."""
    if not isinstance(entry, dict):
        return None
    known = {k: v for k, v in entry.items() if k in _ENTRY_FIELDS}
    for key in ("losses", "metrics"):
        if isinstance(known.get(key), dict):
            known[key] = {name: v for name, v in known[key].items() if _finite(v)}
    try:
        return EpochMetrics.model_validate(known).to_wire()
    except ValidationError:
        return None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def progress_fields(progress: dict[str, Any] | None) -> dict[str, Any]:
    """``epoch``, ``epochs`` and ``history`` in the wire shape; entries that do not validate are dropped."""
    if not progress:
        return {}
    history = []
    for entry in progress.get("history") or []:
        wire = history_entry(entry)
        if wire is None:
            logger.warning("dropping a malformed history entry: %r", entry)
        else:
            history.append(wire)
    fields: dict[str, Any] = {"history": history}
    for key in ("epoch", "epochs"):
        if isinstance(progress.get(key), int):
            fields[key] = progress[key]
    return fields


def kept_samples(
    owner: str, job_id: str, checkpoint_uri: str, progress: dict[str, Any] | None, recorded: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The record's ``samples`` (``[{epoch, createdAt}]``): those already kept plus each sample the
    progress file lists that is now copied from the checkpoint prefix to its kept key. A sample the
    sync has not uploaded yet is picked up by a later poll (the list in the progress file is whole)."""
    kept = {int(s["epoch"]): s for s in recorded if isinstance(s, dict) and isinstance(s.get("epoch"), int)}
    for sample in (progress or {}).get("samples") or []:
        if not isinstance(sample, dict):
            continue
        epoch, name = sample.get("epoch"), sample.get("file")
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch in kept or not isinstance(name, str):
            continue
        if not SAMPLE_NAME.fullmatch(name):  # only the training script's own sample folder is copied
            logger.warning("ignoring a sample outside the samples folder: %r", name)
            continue
        if blobs.copy_training_sample(checkpoint_uri, name, owner, job_id, epoch):
            created = sample.get("createdAt")
            kept[epoch] = {"epoch": epoch, "createdAt": created if isinstance(created, str) else clock.iso(clock.now())}
    return [kept[e] for e in sorted(kept)]


def metrics_attribute(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The last epoch's quality metrics as a DynamoDB ``M`` value, for the model's item."""
    last = history[-1].get("metrics", {}) if history else {}
    numbers = {k: v for k, v in last.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    typed: dict[str, Any] = dynamo.typed(numbers)
    return typed


def record(owner: str, job_id: str, training_job: dict[str, Any], checkpoint_uri: str) -> Progress:
    """Write status and progress for one poll; returns what the workflow needs to choose its next step."""
    progress = read_progress(checkpoint_uri)
    target, reason = target_status(training_job, progress is not None)
    fields = progress_fields(progress)
    fields["secondaryStatus"] = training_job.get("SecondaryStatus")
    for _ in range(_ATTEMPTS):
        item = jobs.get(owner, job_id)
        if item is None:
            raise RecordMissing(f"training job {owner}/{job_id} does not exist")
        current = TrainingStatus(item["status"])
        if current in TRAINING_FINAL:
            break
        recorded = item.get(SAMPLES_ATTRIBUTE) or []
        samples = kept_samples(owner, job_id, checkpoint_uri, progress, recorded)
        if samples != recorded:
            fields[SAMPLES_ATTRIBUTE] = samples
        now = {"updatedAt": clock.iso(clock.now())}
        try:
            if target == current:
                item = jobs.write_keeping(owner, job_id, current, {**fields, **now})
            elif can_move(current, target):
                extra = {"failureReason": reason} if reason else {}
                item = jobs.move(owner, job_id, target, {**fields, **now, **extra})
            else:
                item = jobs.write_keeping(owner, job_id, current, {**fields, **now})
            break
        except StaleWrite:
            continue
    if item is None:
        raise RecordMissing(f"training job {owner}/{job_id} does not exist")
    status = TrainingStatus(item["status"])
    sagemaker_status = training_job["TrainingJobStatus"]
    history = item.get("history") or []
    return Progress(
        trainingJobStatus=sagemaker_status,
        recordStatus=str(status),
        stopRequested=status == TrainingStatus.STOPPING and sagemaker_status == "InProgress",
        artifactUri=(training_job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        if sagemaker_status == "Completed"
        else None,
        metrics=metrics_attribute(history),
        failureReason=item.get("failureReason") if status in TRAINING_FINAL else None,
    )


def as_payload(progress: Progress) -> dict[str, Any]:
    """The Lambda's answer: the workflow's Choice states read these keys by name."""
    return asdict(progress)
