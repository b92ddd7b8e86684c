"""The training workflow on the local AWS endpoint, for the tests that drive it: the real ASL file
executed by moto's Step Functions interpreter, the real trigger and progress Lambdas, the local
SageMaker running the real ``model/`` training script. The ``workflow`` fixture (``tests/conftest.py``)
builds it; the helpers submit jobs and read what the workflow wrote, status by status, from the
table's own DynamoDB stream.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdk.bundling import training_source_tarball
from lambdas.training_progress import handler as progress_handler
from lambdas.training_trigger import handler as trigger_handler
from local.aws_gateway import AwsGateway
from local.lambda_context import LocalLambdaContext
from model.data import CACHE_ENV
from shared.logic import clock
from shared.logic.records import to_item
from shared.resources import MODELS, TABLES, TRAINING_JOBS, TableSpec
from shared.schemas import DatasetFilter, Hyperparameters, TrainingJob
from shared.statuses import TrainingStatus
from shared.store import aws
from shared.store import training_jobs as job_store
from statemachine.definition import load_definition

REPO = Path(__file__).resolve().parents[2]
BUCKET = "composer-workflow-test"
OWNER = "user-1"
PROGRESS_FUNCTION = "training-progress"
SOURCE_DIR_KEY = "assets/sourcedir.tar.gz"
SOURCE_DIR_URI = f"s3://{BUCKET}/{SOURCE_DIR_KEY}"
TINY = Hyperparameters(epochs=1, batch_size=8, width=4, max_windows=16, update_ratio=1, seed=3, start_from="scratch")
SMALL_TAGS = ["composer:bach"]


def substitutions(**overrides: str) -> dict[str, str]:
    values = {
        "TrainingJobsTable": TRAINING_JOBS.logical,
        "ModelsTable": MODELS.logical,
        "TrainingImage": "local/pytorch-training:2.13-cpu",
        "InferenceImage": "local/pytorch-inference:2.13-cpu",
        "SageMakerRoleArn": "arn:aws:iam::123456789012:role/composer-sagemaker",
        "SourceDirS3Uri": SOURCE_DIR_URI,
        "TrainingInstanceType": "ml.m5.large",
        "MaxRuntimeSeconds": "600",
        "PollSeconds": "1",
        "ProgressFunctionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{PROGRESS_FUNCTION}",
        "ServerlessMemoryMb": "3072",
        "ServerlessMaxConcurrency": "2",
    }
    values.update(overrides)
    return values


@dataclass
class Workflow:
    gateway: AwsGateway
    state_machine_arn: str
    stream_arn: str

    def sfn(self) -> Any:
        return self.gateway.client("stepfunctions")


def _create_table(gateway: AwsGateway, spec: TableSpec) -> None:
    keys = [(spec.partition_key, "HASH")] + ([(spec.sort_key, "RANGE")] if spec.sort_key else [])
    extra = (
        {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if spec.stream else {}
    )
    gateway.client("dynamodb").create_table(
        TableName=spec.logical,
        KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def running_workflow() -> Iterator[Workflow]:
    """One gateway with tables, bucket, source dir, progress Lambda and state machine; environment restored after."""
    saved = {k: os.environ.get(k) for k in [s.env for s in TABLES] + ["BUCKET_NAME", "STATE_MACHINE_ARN", CACHE_ENV]}
    # The training script runs from the extracted source dir; it shares the checkout's parsed-corpus cache.
    os.environ[CACHE_ENV] = str(REPO / ".cache" / "composer-data")
    with AwsGateway(stop_grace_seconds=5.0) as gateway:
        for spec in TABLES:
            _create_table(gateway, spec)
            os.environ[spec.env] = spec.logical
        gateway.client("s3").create_bucket(Bucket=BUCKET)
        gateway.client("s3").upload_file(str(training_source_tarball()), BUCKET, SOURCE_DIR_KEY)
        os.environ["BUCKET_NAME"] = BUCKET
        gateway.register_lambda(PROGRESS_FUNCTION, progress_handler.lambda_handler)
        arn = gateway.client("stepfunctions").create_state_machine(
            name="composer-training",
            definition=load_definition(substitutions()),
            roleArn="arn:aws:iam::123456789012:role/composer-workflow",
        )["stateMachineArn"]
        os.environ["STATE_MACHINE_ARN"] = arn
        aws.reset()
        stream_arn = gateway.client("dynamodb").describe_table(TableName=TRAINING_JOBS.logical)["Table"][
            "LatestStreamArn"
        ]
        try:
            yield Workflow(gateway, arn, stream_arn)
        finally:
            aws.reset()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


_ids = iter(range(1000))


def submit(tags: list[str], hyperparameters: Hyperparameters = TINY) -> str:
    """What ``POST /training-jobs`` stores: a QUEUED record (the catalogue check is the API's, not ours)."""
    job_id = f"tj-{int(time.time() * 1000):012x}-{next(_ids):04d}"
    stamp = clock.now()
    job = TrainingJob(
        id=job_id,
        owner=OWNER,
        model_name=f"My model {job_id[-4:]}",
        dataset=DatasetFilter(tags=tags),
        hyperparameters=hyperparameters.to_wire(),
        status=TrainingStatus.QUEUED,
        epochs=hyperparameters.epochs,
        created_at=stamp,
        updated_at=stamp,
    )
    job_store.create(to_item(job, OWNER))
    return job_id


def stream_records(workflow: Workflow, job_id: str) -> list[dict[str, Any]]:
    """Every stream record of one job, in order, as Lambda's event source mapping delivers them."""
    streams = workflow.gateway.client("dynamodbstreams")
    out = []
    for shard in streams.describe_stream(StreamArn=workflow.stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=workflow.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            out.extend(page["Records"])
            iterator = page.get("NextShardIterator") if page["Records"] else None
    mine = [r for r in out if r["dynamodb"]["Keys"]["id"]["S"] == job_id]
    return [{**r, "eventSourceARN": workflow.stream_arn} for r in mine]


def deliver(workflow: Workflow, job_id: str) -> dict[str, Any]:
    event = {"Records": stream_records(workflow, job_id)}
    return trigger_handler.lambda_handler(
        json.loads(json.dumps(event, default=str)), LocalLambdaContext("training-trigger")
    )


def statuses_written(workflow: Workflow, job_id: str) -> list[str]:
    """The record's status after each write, consecutive repeats folded."""
    seen: list[str] = []
    for record in stream_records(workflow, job_id):
        status = record["dynamodb"].get("NewImage", {}).get("status", {}).get("S")
        if status and (not seen or seen[-1] != status):
            seen.append(status)
    return seen


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def final_record(job_id: str, timeout: float = 240) -> dict[str, Any]:
    return wait_for(
        lambda: (r := job_store.get(OWNER, job_id)) and r["status"] in ("COMPLETED", "FAILED", "STOPPED") and r,
        timeout,
        f"training job {job_id} to finish",
    )


def execution(workflow: Workflow, job_id: str) -> dict[str, Any]:
    arn = workflow.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"
    return wait_for(
        lambda: (d := workflow.sfn().describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
        60,
        f"execution {job_id} to end",
    )


def executions_for(workflow: Workflow, job_id: str) -> list[dict[str, Any]]:
    listed = workflow.sfn().list_executions(stateMachineArn=workflow.state_machine_arn)["executions"]
    return [e for e in listed if e["name"] == job_id]


# --- the definition ---------------------------------------------------------------------------
