"""Invoked by the training workflow once per poll (``lambda:invoke``): records a training job's
status and learning progress. Input: ``{owner, jobId, checkpointS3Uri, trainingJob}`` where
``trainingJob`` is SageMaker's DescribeTrainingJob answer; output: see ``progress.Progress``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.training_progress.progress import as_payload, record

SERVICE = "training_progress"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    progress = record(event["owner"], event["jobId"], event["trainingJob"], event["checkpointS3Uri"])
    logger.info(
        "recorded",
        extra={
            "jobId": event["jobId"],
            "recordStatus": progress.recordStatus,
            "trainingJobStatus": progress.trainingJobStatus,
        },
    )
    return as_payload(progress)
