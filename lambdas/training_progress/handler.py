"""Invoked by the training workflow once per poll (``lambda:invoke``): records a training job's
status and learning progress. Input: ``{owner, jobId, checkpointS3Uri, trainingJob}`` where
``trainingJob`` is SageMaker's DescribeTrainingJob answer; output: ``training_progress.Progress``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from shared.logic import training_progress
from shared.settings import ProgressSettings

SERVICE = "training_progress"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)


class ProgressRequest(BaseModel):
    """What the workflow's ``RecordProgress`` state sends; a malformed one is the workflow's bug."""

    model_config = ConfigDict(extra="ignore")

    owner: str = Field(min_length=1)
    job_id: str = Field(alias="jobId", min_length=1)
    checkpoint_uri: str = Field(alias="checkpointS3Uri", min_length=1)
    training_job: dict[str, Any] = Field(alias="trainingJob")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ProgressSettings.load()
    request = ProgressRequest.model_validate(event)
    progress = training_progress.record(request.owner, request.job_id, request.training_job, request.checkpoint_uri)
    logger.info(
        "recorded",
        extra={
            "jobId": request.job_id,
            "recordStatus": progress.recordStatus,
            "trainingJobStatus": progress.trainingJobStatus,
        },
    )
    return training_progress.as_payload(progress)
