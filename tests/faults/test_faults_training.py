"""Training faults the workflow tests (tests/integration/test_workflow_training.py) leave out, on the
same real pieces: the ASL run by moto's Step Functions, the real trigger and progress Lambdas, the
local SageMaker running ``model/`` and enforcing ``StoppingCondition``.

- a job that makes no progress past its time limit is stopped by SageMaker and closed FAILED with a
  reason naming the limit (a stuck job cannot stay TRAINING);
- throttled SageMaker control-plane calls are retried by the workflow and the job still completes;
- none of these leave a model record, a SageMaker model or an endpoint behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from lambdas.training_trigger.execution import sagemaker_job_name
from local.sagemaker.errors import SageMakerError
from shared.resources import MODELS
from statemachine.definition import load_definition
from tests.support.workflow import (
    OWNER,
    SMALL_TAGS,
    TINY,
    Workflow,
    deliver,
    final_record,
    statuses_written,
    submit,
    substitutions,
)

pytestmark = pytest.mark.xdist_group("training-faults")


@pytest.fixture
def short_leash(workflow: Workflow) -> Iterator[Workflow]:  # noqa: F811
    """The same workflow with a 3-second ``MaxRuntimeInSeconds``, started by the real trigger."""
    arn = workflow.sfn().create_state_machine(
        name="composer-training-short",
        definition=load_definition(substitutions(MaxRuntimeSeconds="3")),
        roleArn="arn:aws:iam::123456789012:role/composer-workflow",
    )["stateMachineArn"]
    saved = os.environ["STATE_MACHINE_ARN"]
    os.environ["STATE_MACHINE_ARN"] = arn
    try:
        yield Workflow(workflow.gateway, arn, workflow.stream_arn)
    finally:
        os.environ["STATE_MACHINE_ARN"] = saved


def leftovers(workflow: Workflow, job_id: str) -> dict[str, list[str]]:
    """SageMaker models and endpoints, and model records, that a job left behind."""
    name = sagemaker_job_name(job_id)
    sagemaker = workflow.gateway.client("sagemaker")
    found: dict[str, list[str]] = {"models": [], "endpoints": []}
    for kind, describe in (
        ("models", lambda: sagemaker.describe_model(ModelName=name)),
        ("endpoints", lambda: sagemaker.describe_endpoint(EndpointName=name)),
    ):
        try:
            describe()
            found[kind].append(name)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ValidationException", exc
    records = workflow.gateway.client("dynamodb").scan(TableName=MODELS.logical)["Items"]
    found["records"] = [r["id"]["S"] for r in records if r.get("trainingJobId", {}).get("S") == job_id]
    return found


def test_a_job_past_its_time_limit_is_closed_failed_with_the_reason(short_leash: Workflow) -> None:
    job_id = submit(SMALL_TAGS, TINY.model_copy(update={"epochs": 500}))
    deliver(short_leash, job_id)

    record = final_record(job_id, timeout=180)

    assert record["status"] == "FAILED"
    assert "MaxRuntimeInSeconds" in record["failureReason"] or "time" in record["failureReason"].lower()
    assert "3" in record["failureReason"]
    described = short_leash.gateway.client("sagemaker").describe_training_job(
        TrainingJobName=record["sagemakerJobName"]
    )
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    written = statuses_written(short_leash, job_id)
    assert written[0] == "QUEUED" and written[-1] == "FAILED" and "STOPPED" not in written
    assert "modelId" not in record
    assert leftovers(short_leash, job_id) == {"models": [], "endpoints": [], "records": []}


def test_throttled_sagemaker_calls_are_retried_and_the_job_completes(workflow: Workflow) -> None:  # noqa: F811
    """The first DescribeTrainingJob calls answer ThrottlingException, as SageMaker does under a
    burst; the workflow's retry policy absorbs them."""
    service = workflow.gateway.sagemaker
    original = service.call
    throttled: list[str] = []

    def throttling(action: str, body: dict) -> dict:
        if action == "DescribeTrainingJob" and len(throttled) < 2:
            throttled.append(action)
            raise SageMakerError("ThrottlingException", "Rate exceeded", status=400)
        return original(action, body)

    service.call = throttling  # type: ignore[method-assign]
    try:
        job_id = submit(SMALL_TAGS)
        deliver(workflow, job_id)
        record = final_record(job_id, timeout=240)
    finally:
        service.call = original  # type: ignore[method-assign]
    assert throttled == ["DescribeTrainingJob", "DescribeTrainingJob"]
    assert record["status"] == "COMPLETED", record.get("failureReason")
    assert statuses_written(workflow, job_id) == ["QUEUED", "STARTING", "TRAINING", "COMPLETED"]


def test_a_failed_job_leaves_no_model_endpoint_or_record(workflow: Workflow) -> None:  # noqa: F811
    job_id = submit(["composer:nobody-at-all"])
    deliver(workflow, job_id)
    record = final_record(job_id)
    assert record["status"] == "FAILED" and record["failureReason"].startswith("AlgorithmError: ")
    assert leftovers(workflow, job_id) == {"models": [], "endpoints": [], "records": []}
    assert record["owner"] == OWNER
