"""What the training workflow is started with: one execution per training-job record (contract 4).

Everything here is a pure function of the record, so a replayed stream record yields the same
execution name *and* the same input, and Step Functions treats the second start as the first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shared.model_types import ModelType, spec_for
from shared.resources import Keys
from shared.schemas import DatasetFilter, WireModel

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9-]+")
_NAME_PREFIX = "composer-"
_MAX_SAGEMAKER_NAME = 63
MODEL_ID_PREFIX = "mdl-"


def execution_name(job_id: str) -> str:
    """The execution is named after the job id (Step Functions allows 80 chars of [A-Za-z0-9-_])."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", job_id)[:80]


def sagemaker_job_name(job_id: str) -> str:
    """SageMaker names are [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} and unique per account: derived from the job id."""
    cleaned = _NOT_ALLOWED.sub("-", job_id).strip("-")
    return (_NAME_PREFIX + cleaned)[:_MAX_SAGEMAKER_NAME].rstrip("-")


def model_id(job_id: str) -> str:
    """The id of the model a job registers when it completes: stable, so a retried registration collides."""
    return MODEL_ID_PREFIX + job_id.removeprefix("tj-")


def sagemaker_hyperparameters(
    model_type: ModelType, hyperparameters: WireModel, dataset: DatasetFilter
) -> dict[str, str]:
    """Contract 1's keys (snake_case), as the strings SageMaker passes; the data-set tags as a JSON list;
    ``modelType``, on which the training entry point picks the technique.

    The tags travel as a hyperparameter rather than as a data channel: the corpus ships inside the
    container's music21 install, so the script builds (and caches) the filtered windows itself.
    """
    values = hyperparameters.model_dump(by_alias=False, exclude_none=True)
    out = {key: str(value) for key, value in values.items()}
    out["dataset_tags"] = json.dumps(list(dataset.tags))
    out["modelType"] = model_type.value
    return out


def execution_input(record: dict[str, Any], bucket: str) -> dict[str, Any]:
    """The workflow input for a QUEUED record (camelCase item attributes, contract 3)."""
    job_id = str(record["id"])
    spec = spec_for(record.get("modelType"))
    hyperparameters = spec.hyperparameters.model_validate(record.get("hyperparameters") or {})
    dataset = DatasetFilter.model_validate(record["dataset"])
    return {
        "owner": str(record["owner"]),
        "jobId": job_id,
        "modelId": str(record.get("modelId") or model_id(job_id)),
        "modelName": str(record["modelName"]),
        "modelType": spec.type.value,
        "trainingJobName": sagemaker_job_name(job_id),
        "hyperParameters": sagemaker_hyperparameters(spec.type, hyperparameters, dataset),
        "checkpointS3Uri": f"s3://{bucket}/{Keys.training_checkpoints(job_id)}",
        "outputS3Uri": f"s3://{bucket}/{Keys.training_output(job_id)}",
    }
