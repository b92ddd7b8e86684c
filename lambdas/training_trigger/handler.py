"""DynamoDB stream on the training-jobs table -> one Step Functions execution per new QUEUED job.

Idempotent by construction: the execution is named after the job id and its input is a pure
function of the record (``execution``), so a stream record delivered twice either returns the
running execution or meets an existing one (already started: fine). Each failed record is reported
on its own (partial batch response), so one bad record neither blocks nor replays the others.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBRecordEventName
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.training_trigger import execution
from shared.settings import TriggerSettings
from shared.statuses import TrainingStatus

SERVICE = "training_trigger"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@tracer.capture_method
def start_workflow(record: DynamoDBRecord) -> str | None:
    """Start the workflow for an INSERT of a QUEUED job; returns the execution ARN (None if skipped)."""
    image = record.dynamodb.new_image if record.dynamodb else None
    if record.event_name != DynamoDBRecordEventName.INSERT or not image:
        return None
    if image.get("status") != TrainingStatus.QUEUED:
        return None
    settings = TriggerSettings.load()
    job_id = str(image["id"])
    arn = execution.start(settings.state_machine_arn, image, settings.bucket_name)
    if arn is None:
        logger.info("workflow already started", extra={"jobId": job_id})
    else:
        logger.info("workflow started", extra={"jobId": job_id, "executionArn": arn})
    return arn


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    TriggerSettings.load()
    response: dict[str, Any] = dict(
        process_partial_response(event=event, record_handler=start_workflow, processor=processor, context=context)
    )
    return response
