"""DynamoDB stream on the training-jobs table -> one Step Functions execution per new QUEUED job.

Idempotent by construction: the execution is named after the job id and its input is a pure
function of the record, so a stream record delivered twice either returns the running execution or
meets ``ExecutionAlreadyExists`` (already started: fine). Each failed record is reported on its own
(partial batch response), so one bad record neither blocks nor replays the others.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBRecordEventName
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from lambdas.training_trigger.execution import execution_input, execution_name
from shared.contract import Env
from shared.resources import bucket_name
from shared.statuses import TrainingStatus

SERVICE = "training_trigger"
STATE_MACHINE_ENV = Env.STATE_MACHINE_ARN

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _stepfunctions() -> Any:
    return boto3.client("stepfunctions")


@tracer.capture_method
def start_workflow(record: DynamoDBRecord) -> str | None:
    """Start the workflow for an INSERT of a QUEUED job; returns the execution ARN (None if skipped)."""
    image = record.dynamodb.new_image if record.dynamodb else None
    if record.event_name != DynamoDBRecordEventName.INSERT or not image:
        return None
    if image.get("status") != TrainingStatus.QUEUED:
        return None
    job_id = str(image["id"])
    payload = execution_input(image, bucket_name())
    try:
        response = _stepfunctions().start_execution(
            stateMachineArn=os.environ[STATE_MACHINE_ENV],
            name=execution_name(job_id),
            input=json.dumps(payload, sort_keys=True),
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            logger.info("workflow already started", extra={"jobId": job_id})
            return None
        raise
    logger.info("workflow started", extra={"jobId": job_id, "executionArn": response["executionArn"]})
    return str(response["executionArn"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=start_workflow, processor=processor, context=context)
