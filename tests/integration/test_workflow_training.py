"""The training workflow end to end on the local AWS endpoint: the real ASL file executed by moto's
Step Functions interpreter, the real trigger and progress Lambdas, the local SageMaker running the
real ``model/`` training script, and the record the polling client reads.

The status sequence is read from the table's own DynamoDB stream (every write, in order), so a
workflow that skipped or reordered a status fails even if the final record looks right.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cdk.bundling import training_source_tarball
from lambdas.training_progress import handler as progress_handler
from lambdas.training_trigger import handler as trigger_handler
from lambdas.training_trigger.execution import sagemaker_job_name
from local.aws_gateway import AwsGateway
from local.lambda_context import LocalLambdaContext
from model.data import CACHE_ENV
from shared.logic import clock
from shared.logic import training_jobs as training_logic
from shared.logic.records import to_item
from shared.music.midi_codec import write_midi
from shared.music.samples import sample_index
from shared.resources import MODELS, TABLES, TRAINING_JOBS, TableSpec
from shared.schemas import DatasetFilter, Hyperparameters, TrainingJob
from shared.statuses import TrainingStatus, allowed_previous
from shared.store import aws
from shared.store import training_jobs as job_store
from statemachine.definition import TRAINING_ASL, load_definition, placeholders

# One gateway (one moto, one MOTO_PORT) per process: keep this module's tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("training-workflow")

REPO = Path(__file__).resolve().parents[2]
BUCKET = "composer-workflow-test"
OWNER = "user-1"
PROGRESS_FUNCTION = "training-progress"
SOURCE_DIR_KEY = "assets/sourcedir.tar.gz"
SOURCE_DIR_URI = f"s3://{BUCKET}/{SOURCE_DIR_KEY}"
TINY = Hyperparameters(epochs=1, batch_size=8, width=4, max_windows=16, update_ratio=1, seed=3)
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


@pytest.fixture(scope="module")
def workflow() -> Iterator[Workflow]:
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


def test_definition_names_its_substitutions_and_rejects_wrong_ones() -> None:
    assert placeholders() == set(substitutions())
    readme = (TRAINING_ASL.parent / "README.md").read_text()
    assert all(f"${{{name}}}" in readme for name in placeholders()), (
        "statemachine/README.md must list every substitution"
    )
    with pytest.raises(ValueError, match="missing"):
        load_definition({k: v for k, v in substitutions().items() if k != "PollSeconds"})
    with pytest.raises(ValueError, match="unused"):
        load_definition({**substitutions(), "Extra": "x"})
    assert "${" not in load_definition(substitutions())


def test_every_status_write_in_the_asl_moves_only_forward() -> None:
    """Each training-record update is conditional on exactly ``shared.statuses.allowed_previous``."""
    states = json.loads(load_definition(substitutions()))["States"]
    writes = {
        name: s["Parameters"]
        for name, s in states.items()
        if s.get("Resource", "").endswith("dynamodb:updateItem")
        and s["Parameters"]["TableName"] == TRAINING_JOBS.logical
    }
    assert set(writes) == {"MarkStarting", "MarkCompleted", "RecordFailure"}
    for name, params in writes.items():
        values = params["ExpressionAttributeValues"]
        new = TrainingStatus(values[":new"]["S"])
        previous = sorted(v["S"] for k, v in values.items() if k.startswith(":p"))
        assert previous == allowed_previous(new), name
        assert params["ConditionExpression"] == "#status IN (" + ", ".join(f":p{i}" for i in range(len(previous))) + ")"


# --- the runs ---------------------------------------------------------------------------------


def test_job_trains_registers_a_ready_model_and_completes(workflow: Workflow) -> None:
    job_id = submit(SMALL_TAGS)

    first, replay = deliver(workflow, job_id), deliver(workflow, job_id)

    assert first == replay == {"batchItemFailures": []}
    record = final_record(job_id)
    assert record["status"] == "COMPLETED", record.get("failureReason")
    assert statuses_written(workflow, job_id) == ["QUEUED", "STARTING", "TRAINING", "COMPLETED"]
    assert len(executions_for(workflow, job_id)) == 1
    assert execution(workflow, job_id)["status"] == "SUCCEEDED"
    assert record["sagemakerJobName"] == sagemaker_job_name(job_id)
    assert record["epoch"] == record["epochs"] == 1
    assert [h["epoch"] for h in record["history"]] == [1]
    assert isinstance(record["history"][0]["generatorLoss"], float)
    assert "similarity" in record["history"][0]["metrics"]

    model = workflow.gateway.client("dynamodb").get_item(
        TableName=MODELS.logical, Key={"owner": {"S": OWNER}, "id": {"S": record["modelId"]}}
    )["Item"]
    assert model["status"]["S"] == "READY" and model["type"]["S"] == "gan"  # the job's modelType
    assert model["trainingJobId"]["S"] == job_id
    assert (
        model["artifactUri"]["S"]
        == f"s3://{BUCKET}/training/{job_id}/output/{record['sagemakerJobName']}/output/model.tar.gz"
    )
    assert set(model["metrics"]["M"]) == set(record["history"][0]["metrics"])

    # The registered endpoint composes with the trained generator (contract 2).
    melody = _melody_midi()
    answer = workflow.gateway.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=model["endpointName"]["S"],
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps({"midi": base64.b64encode(melody).decode(), "seed": 7}),
    )
    composed = json.loads(answer["Body"].read())
    assert len(composed["tracks"]) == 4 and composed["tracks"][0]["name"] == "Melody"


def test_training_failure_ends_failed_with_sagemakers_reason(workflow: Workflow) -> None:
    job_id = submit(["composer:nobody-at-all"])
    deliver(workflow, job_id)

    record = final_record(job_id)

    assert record["status"] == "FAILED"
    described = workflow.gateway.client("sagemaker").describe_training_job(TrainingJobName=record["sagemakerJobName"])
    assert described["TrainingJobStatus"] == "Failed"
    assert record["failureReason"] == described["FailureReason"]
    assert record["failureReason"].startswith("AlgorithmError: ") and "nobody-at-all" in record["failureReason"]
    assert statuses_written(workflow, job_id)[-1] == "FAILED"
    assert "modelId" not in record
    assert execution(workflow, job_id)["status"] == "FAILED"


def test_quota_refusal_ends_failed_with_a_readable_reason(workflow: Workflow) -> None:
    workflow.gateway.sagemaker.max_concurrent_training_jobs = 0
    try:
        job_id = submit(SMALL_TAGS)
        deliver(workflow, job_id)
        record = final_record(job_id, timeout=60)
    finally:
        workflow.gateway.sagemaker.max_concurrent_training_jobs = None
    assert record["status"] == "FAILED"
    assert record["failureReason"].startswith("SageMaker did not start the training job: ")
    assert "service limit" in record["failureReason"]
    assert statuses_written(workflow, job_id) == ["QUEUED", "STARTING", "FAILED"]


def test_stop_while_training_ends_stopped(workflow: Workflow) -> None:
    job_id = submit(SMALL_TAGS, TINY.model_copy(update={"epochs": 200}))
    deliver(workflow, job_id)
    wait_for(lambda: (r := job_store.get(OWNER, job_id)) and r["status"] == "TRAINING", 120, "TRAINING")

    stopping = training_logic.stop(OWNER, job_id)  # what POST /training-jobs/{id}/stop does

    assert stopping.status == TrainingStatus.STOPPING
    record = final_record(job_id)
    assert record["status"] == "STOPPED"
    assert statuses_written(workflow, job_id) == ["QUEUED", "STARTING", "TRAINING", "STOPPING", "STOPPED"]
    described = workflow.gateway.client("sagemaker").describe_training_job(TrainingJobName=record["sagemakerJobName"])
    assert described["TrainingJobStatus"] == "Stopped"
    assert execution(workflow, job_id)["status"] == "SUCCEEDED"


def test_stop_before_the_workflow_claims_the_job_starts_nothing(workflow: Workflow) -> None:
    job_id = submit(SMALL_TAGS)
    training_logic.stop(OWNER, job_id)
    deliver(workflow, job_id)

    assert execution(workflow, job_id)["status"] == "SUCCEEDED"
    assert job_store.get(OWNER, job_id)["status"] == "STOPPED"  # type: ignore[index]
    jobs = workflow.gateway.client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
    assert sagemaker_job_name(job_id) not in {j["TrainingJobName"] for j in jobs}


def test_trigger_starts_one_execution_per_queued_insert_only(workflow: Workflow) -> None:
    job_id = submit(SMALL_TAGS)
    training_logic.stop(OWNER, job_id)  # a MODIFY to STOPPED follows the INSERT in the stream
    records = stream_records(workflow, job_id)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]

    for _ in range(3):
        deliver(workflow, job_id)

    assert len(executions_for(workflow, job_id)) == 1
    started = json.loads(
        workflow.sfn().describe_execution(executionArn=executions_for(workflow, job_id)[0]["executionArn"])["input"]
    )
    assert started["jobId"] == job_id and started["owner"] == OWNER
    assert json.loads(started["hyperParameters"]["dataset_tags"]) == SMALL_TAGS


def _melody_midi() -> bytes:
    sample = next(iter(sample_index().values()))
    return write_midi(sample.score())


def test_running_out_of_time_ends_failed_with_the_limit_in_the_reason(workflow: Workflow) -> None:
    sfn = workflow.sfn()
    short = sfn.create_state_machine(
        name="composer-training-short",
        definition=load_definition(substitutions(MaxRuntimeSeconds="2")),
        roleArn="arn:aws:iam::123456789012:role/composer-workflow",
    )["stateMachineArn"]
    job_id = submit(SMALL_TAGS, TINY.model_copy(update={"epochs": 200}))
    os.environ["STATE_MACHINE_ARN"] = short
    try:
        deliver(workflow, job_id)
    finally:
        os.environ["STATE_MACHINE_ARN"] = workflow.state_machine_arn

    record = final_record(job_id, timeout=60)

    assert record["status"] == "FAILED"
    assert "exceeded its limit of 2 seconds" in record["failureReason"]
    described = workflow.gateway.client("sagemaker").describe_training_job(TrainingJobName=record["sagemakerJobName"])
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")


def test_progress_is_read_from_where_the_checkpoint_sync_puts_it() -> None:
    from lambdas.training_trigger.execution import execution_input
    from shared.resources import Keys

    started = execution_input({"id": "tj-x", "owner": OWNER, "modelName": "m", "dataset": {"tags": ["a"]}}, BUCKET)
    assert f"{started['checkpointS3Uri']}/progress.json" == f"s3://{BUCKET}/{Keys.training_progress('tj-x')}"


def test_a_bad_stream_record_fails_alone(workflow: Workflow) -> None:
    good = submit(SMALL_TAGS)
    training_logic.stop(OWNER, good)  # keep it cheap: the execution ends at once
    bad = submit(SMALL_TAGS)
    bad_records = stream_records(workflow, bad)[:1]
    del bad_records[0]["dynamodb"]["NewImage"]["dataset"]
    event = {"Records": stream_records(workflow, good)[:1] + bad_records}

    answer = trigger_handler.lambda_handler(
        json.loads(json.dumps(event, default=str)), LocalLambdaContext("training-trigger")
    )

    assert answer == {"batchItemFailures": [{"itemIdentifier": bad_records[0]["dynamodb"]["SequenceNumber"]}]}
    assert len(executions_for(workflow, good)) == 1
    assert executions_for(workflow, bad) == []


def test_a_stop_the_api_could_not_deliver_is_carried_out_by_the_workflow(workflow: Workflow) -> None:
    """The API records STOPPING first; if its StopTrainingJob came before the job existed (the
    stop raced CreateTrainingJob), the workflow sees STOPPING with a running job and stops it."""
    job_id = submit(SMALL_TAGS, TINY.model_copy(update={"epochs": 200}))
    deliver(workflow, job_id)
    wait_for(lambda: (r := job_store.get(OWNER, job_id)) and r["status"] == "TRAINING", 120, "TRAINING")

    job_store.move(OWNER, job_id, TrainingStatus.STOPPING, {"updatedAt": clock.iso(clock.now())})

    record = final_record(job_id)
    assert record["status"] == "STOPPED"
    described = workflow.gateway.client("sagemaker").describe_training_job(TrainingJobName=record["sagemakerJobName"])
    assert described["TrainingJobStatus"] == "Stopped"
