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

import pytest

from lambdas.training_trigger import handler as trigger_handler
from lambdas.training_trigger.execution import sagemaker_job_name
from local.lambda_context import LocalLambdaContext
from shared.logic import clock
from shared.logic import training_jobs as training_logic
from shared.music.midi_codec import read_midi, write_midi
from shared.music.samples import sample_index
from shared.resources import MODELS, TRAINING_JOBS, Keys
from shared.statuses import TrainingStatus, allowed_previous
from shared.store import training_jobs as job_store
from statemachine.definition import TRAINING_ASL, load_definition, placeholders
from tests.support.workflow import (
    BUCKET,
    OWNER,
    SMALL_TAGS,
    TINY,
    Workflow,
    deliver,
    execution,
    executions_for,
    final_record,
    statuses_written,
    stream_records,
    submit,
    substitutions,
    wait_for,
)

# One gateway (one moto, one MOTO_PORT) per process: keep this module's tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("training-workflow")


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
    assert set(record["history"][0]["losses"]) == {"generator", "critic"}
    # the epoch's sample went from the synced checkpoint prefix to its kept key
    assert [s["epoch"] for s in record["samples"]] == [1]
    kept = workflow.gateway.client("s3").get_object(Bucket=BUCKET, Key=Keys.training_sample(OWNER, job_id, 1))
    assert len(read_midi(kept["Body"].read()).score.tracks) == 4

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

    # The registered endpoint composes with the trained generator.
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
