"""API and compose-worker faults that the API tests (tests/unit/test_api_*.py) leave out: throttled
DynamoDB and SageMaker calls, and two writers racing on one record. Faults are injected at botocore's
``before-send`` (tests/faults/support.py), inside the SDK's retry loop, as AWS would answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from botocore.awsrequest import AWSResponse

from shared.resources import COMPOSITIONS
from shared.statuses import TrainingStatus
from shared.store import aws, sagemaker
from shared.store import training_jobs as job_store
from shared.store.dynamo import table
from shared.store.errors import StaleWrite
from shared.store.sagemaker import INVOKE_TIMEOUT_SECONDS
from tests.faults.support import Raw, failing
from tests.support.api import ALICE, BUILTIN_MODEL, call
from tests.unit.test_api_compositions import harmoniser
from tests.unit.test_api_training import JOB

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
COMPOSE = {"melodyId": "sample-ode-to-joy", "modelId": BUILTIN_MODEL, "seed": 3}


def dynamodb():
    return aws.resource("dynamodb").meta.client


def assert_error_shape(reply) -> None:
    error = reply.json["error"]
    assert set(error) == {"code", "message"} and error["message"].strip()


def test_a_throttled_read_is_retried_and_the_caller_never_notices(cloud):  # noqa: F811
    melody = call("POST", "/melodies", body={"name": "x", "notes": [{"pitch": 60, "start": 0, "duration": 1}]}).json
    with failing(dynamodb(), "GetItem", "ProvisionedThroughputExceededException", times=2) as attempts:
        reply = call("GET", f"/melodies/{melody['id']}")
    assert reply.status == 200 and reply.json["id"] == melody["id"]
    assert len(attempts) == 3  # two throttled answers, then the one that got through


def test_persistent_throttling_is_a_503_to_retry_and_writes_nothing(cloud):  # noqa: F811
    with failing(dynamodb(), "PutItem", "ThrottlingException") as attempts:
        reply = call("POST", "/compositions", body=COMPOSE)
    assert len(attempts) > 1  # the SDK retried before giving up
    assert (reply.status, reply.error_code) == (503, "SERVICE_BUSY")
    assert reply.headers["retry-after"] == "2"
    assert_error_shape(reply)
    assert "try again" in reply.json["error"]["message"]
    assert call("GET", "/compositions").json["items"] == []
    assert cloud.invocations.queued == []  # no worker for a record that does not exist


def test_every_route_that_uses_a_store_documents_the_503() -> None:
    paths = json.loads(OPENAPI.read_text())["paths"]
    busy = {f"{m.upper()} {p}" for p, ops in paths.items() for m, op in ops.items() if "503" in op.get("responses", {})}
    secured = {f"{m.upper()} {p}" for p, ops in paths.items() for m, op in ops.items() if op.get("security")}
    assert "POST /compositions" in busy and "GET /training-jobs/{job_id}" in busy
    shared = {f"GET {p}" for p in paths if p.startswith("/shared/")}  # public, but read a store
    assert shared and busy == (secured | shared) - {"GET /datasets", "GET /model-types"}, (
        "GET /datasets reads a shipped file and GET /model-types the code, every other secured route a store"
    )
    assert paths["/compositions"]["post"]["responses"]["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }


@contextmanager
def endpoint_throttled_then(answers_after: int | None, cloud) -> Iterator[list[int]]:  # noqa: F811
    """Take over InvokeEndpoint at ``before-send``: ThrottlingException until ``answers_after``
    attempts were refused (forever if None), then the harmoniser's answer."""
    runtime = aws.client("sagemaker-runtime", read_timeout=INVOKE_TIMEOUT_SECONDS)
    runtime.meta.events.unregister("before-call.sagemaker-runtime.InvokeEndpoint", cloud.endpoint)
    attempts: list[int] = []

    def answer(request, **_):
        attempts.append(len(attempts) + 1)
        if answers_after is None or len(attempts) <= answers_after:
            body = json.dumps({"message": "Rate exceeded"}).encode()
            return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, Raw(body))
        out = harmoniser(request.body, request.headers["Content-Type"].decode(), request.headers["Accept"].decode())
        return AWSResponse(
            request.url, 200, {"Content-Type": "application/json", "Content-Length": str(len(out))}, Raw(out)
        )

    runtime.meta.events.register_first("before-send.sagemaker-runtime.InvokeEndpoint", answer)
    try:
        yield attempts
    finally:
        runtime.meta.events.unregister("before-send.sagemaker-runtime.InvokeEndpoint", answer)


def test_a_throttled_endpoint_is_retried_and_the_composition_completes(cloud):  # noqa: F811
    with endpoint_throttled_then(1, cloud) as attempts:
        created = call("POST", "/compositions", body=COMPOSE).json
        assert cloud.invocations.deliver_all() == [{"status": "COMPLETED", "compositionId": created["id"]}]
    assert attempts == [1, 2]
    done = call("GET", f"/compositions/{created['id']}").json
    assert done["status"] == "COMPLETED" and len(done["tracks"]) == 4


def test_an_endpoint_at_its_max_concurrency_is_waited_for_beyond_the_sdks_retries(cloud):  # noqa: F811
    """A burst larger than the endpoint's MaxConcurrency queues for a slot instead of failing."""
    with endpoint_throttled_then(6, cloud) as attempts:
        created = call("POST", "/compositions", body=COMPOSE).json
        assert cloud.invocations.deliver_all() == [{"status": "COMPLETED", "compositionId": created["id"]}]
    assert attempts == [1, 2, 3, 4, 5, 6, 7]
    assert call("GET", f"/compositions/{created['id']}").json["status"] == "COMPLETED"


def test_an_endpoint_that_stays_throttled_fails_the_composition_with_a_reason(cloud, monkeypatch):  # noqa: F811
    monkeypatch.setattr(sagemaker, "THROTTLED_WAIT_SECONDS", 0.5)
    with endpoint_throttled_then(None, cloud) as attempts:
        created = call("POST", "/compositions", body=COMPOSE).json
        assert cloud.invocations.deliver_all() == [{"status": "FAILED", "compositionId": created["id"]}]
    assert len(attempts) >= 2  # retried before giving up, and gave up
    done = call("GET", f"/compositions/{created['id']}").json
    assert done["status"] == "FAILED" and "ThrottlingException" in done["failureReason"]
    assert "still throttled after 0.5 s of retries" in done["failureReason"]
    assert call("GET", f"/compositions/{created['id']}/midi").status == 409
    stored = boto3.client("s3").list_objects_v2(Bucket=cloud.bucket).get("Contents", [])
    assert [o["Key"] for o in stored if created["id"] in o["Key"]] == []  # nothing orphaned in the bucket


def test_stop_racing_the_workflows_claim_is_not_lost_and_never_goes_back(cloud, catalogue):  # noqa: F811
    """The workflow moves the job QUEUED -> STARTING between the API's read and its conditional
    write QUEUED -> STOPPED: the write loses, the API reads again and asks for STOPPING instead."""
    job = call("POST", "/training-jobs", body=JOB).json
    raced: list[str] = []

    def workflow_claims_first(request, **_):
        if not raced and b'"STOPPED"' in request.body:
            raced.append("claimed")
            job_store.move(ALICE, job["id"], TrainingStatus.STARTING, {"updatedAt": "2026-11-22T12:00:00Z"})
        return None

    dynamodb().meta.events.register_first("before-send.dynamodb.UpdateItem", workflow_claims_first)
    try:
        reply = call("POST", f"/training-jobs/{job['id']}/stop")
    finally:
        dynamodb().meta.events.unregister("before-send.dynamodb.UpdateItem", workflow_claims_first)

    assert raced == ["claimed"]
    assert reply.status == 202 and reply.json["status"] == "STOPPING"
    assert call("GET", f"/training-jobs/{job['id']}").json["status"] == "STOPPING"
    # The workflow's next progress write cannot take the record back to TRAINING or STARTING.
    for late in (TrainingStatus.TRAINING, TrainingStatus.STARTING):
        try:
            job_store.move(ALICE, job["id"], late, {"epoch": 1})
            raise AssertionError(f"{late} overwrote STOPPING")
        except StaleWrite:
            pass
    assert call("GET", f"/training-jobs/{job['id']}").json["status"] == "STOPPING"


def test_two_writers_finishing_one_job_the_first_final_status_wins(cloud, catalogue):  # noqa: F811
    """The workflow records FAILED while a late progress write tries COMPLETED: a final status is
    final, whoever comes second."""
    job = call("POST", "/training-jobs", body=JOB).json
    job_store.move(ALICE, job["id"], TrainingStatus.STARTING, {})
    job_store.move(ALICE, job["id"], TrainingStatus.TRAINING, {"epoch": 1})
    job_store.move(ALICE, job["id"], TrainingStatus.FAILED, {"failureReason": "AlgorithmError: out of memory"})
    for late in (TrainingStatus.COMPLETED, TrainingStatus.STOPPED, TrainingStatus.TRAINING):
        try:
            job_store.move(ALICE, job["id"], late, {"failureReason": None})
            raise AssertionError(f"{late} overwrote FAILED")
        except StaleWrite:
            pass
    record = call("GET", f"/training-jobs/{job['id']}").json
    assert record["status"] == "FAILED" and record["failureReason"] == "AlgorithmError: out of memory"
    stop = call("POST", f"/training-jobs/{job['id']}/stop")
    assert (stop.status, stop.error_code) == (409, "ALREADY_FINISHED")


def test_an_aws_error_that_is_not_throttling_stays_a_500(cloud):  # noqa: F811
    with failing(dynamodb(), "Query", "InternalServerError", status=500):
        reply = call("GET", "/compositions")
    assert (reply.status, reply.error_code) == (500, "INTERNAL_ERROR")
    assert "retry-after" not in reply.headers


def test_a_stored_record_that_no_longer_fits_its_schema_is_a_500_not_the_callers_422(cloud):  # noqa: F811
    cloud.endpoint.answer = harmoniser
    created = call("POST", "/compositions", body=COMPOSE).json
    table(COMPOSITIONS).update_item(
        Key={"owner": ALICE, "id": created["id"]},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "seed"},
        ExpressionAttributeValues={":s": "not a number"},
    )
    for path in (f"/compositions/{created['id']}", "/compositions"):
        reply = call("GET", path)
        assert (reply.status, reply.error_code) == (500, "INTERNAL_ERROR"), reply.body
        assert created["id"] in reply.json["error"]["message"]
    stored = table(COMPOSITIONS).get_item(Key={"owner": ALICE, "id": created["id"]})["Item"]
    assert stored["seed"] == "not a number", "the record is left for an operator to look at"
