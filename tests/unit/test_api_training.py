"""/training-jobs and /datasets through the real handler on moto: validation of hyperparameters
and tags, the QUEUED record the workflow starts from, reads, owner scoping, stop."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from shared.contract import Env
from shared.logic import clock
from shared.logic.training_jobs import NEVER_STARTED, QUEUED_TIMEOUT
from shared.resources import TRAINING_JOBS, table_name
from shared.statuses import TrainingStatus
from shared.store import training_jobs as store
from shared.store.errors import StaleWrite
from tests.support.api import ALICE, BOB, call

JOB = {
    "modelName": "My chorales",
    "dataset": {"tags": ["collection:bach-chorales", "Meter:4/4"]},
    "hyperparameters": {"epochs": 3, "learningRate": 0.002, "batchSize": 32},
}


def submit(user: str = ALICE, body: dict = JOB) -> dict:
    reply = call("POST", "/training-jobs", user=user, body=body)
    assert reply.status == 202, reply.body
    return reply.json


def test_submit_writes_the_queued_record_the_workflow_reads(cloud, catalogue):
    job = submit()
    assert job["status"] == "QUEUED" and job["epoch"] == 0 and job["epochs"] == 3
    assert job["dataset"] == {"tags": ["collection:bach-chorales", "meter:4/4"]}
    assert job["modelType"] == "gan"
    assert job["hyperparameters"] == {
        "epochs": 3,
        "learningRate": 0.002,
        "updateRatio": 1,
        "batchSize": 32,
        "width": 8,
        "gradientPenalty": 10.0,
        "seed": 0,
        "maxWindows": 8192,
        "startFrom": "bach-chorales",
    }
    item = (
        boto3.resource("dynamodb")
        .Table(table_name(TRAINING_JOBS))
        .get_item(Key={"owner": ALICE, "id": job["id"]})["Item"]
    )
    assert item["status"] == "QUEUED" and item["modelName"] == "My chorales" and item["epochs"] == 3
    assert float(item["hyperparameters"]["learningRate"]) == 0.002
    assert {"owner", "id", "createdAt", "updatedAt", "history", "dataset"} <= set(item)
    assert call("GET", f"/training-jobs/{job['id']}").json == job


def test_progress_written_by_the_workflow_is_what_a_poll_returns(cloud, catalogue):
    job = submit()
    store.move(ALICE, job["id"], TrainingStatus.STARTING, {"sagemakerJobName": f"composer-{job['id']}"})
    history = [{"epoch": 1, "generatorLoss": -1.5, "criticLoss": 0.25, "metrics": {"similarity": 0.5}, "seconds": 12.5}]
    store.move(ALICE, job["id"], TrainingStatus.TRAINING, {"epoch": 1, "history": history})
    polled = call("GET", f"/training-jobs/{job['id']}").json
    assert polled["status"] == "TRAINING" and polled["epoch"] == 1 and polled["epochs"] == 3
    assert polled["history"] == [{**history[0], "losses": {"generator": -1.5, "critic": 0.25}}]  # read as a map too
    assert polled["sagemakerJobName"] == f"composer-{job['id']}"


def test_status_never_moves_backwards(cloud, catalogue):
    from shared.store.errors import StaleWrite

    job = submit()
    store.move(ALICE, job["id"], TrainingStatus.FAILED, {"failureReason": "AlgorithmError: out of memory"})
    with pytest.raises(StaleWrite):
        store.move(ALICE, job["id"], TrainingStatus.TRAINING, {"epoch": 2})
    polled = call("GET", f"/training-jobs/{job['id']}").json
    assert polled["status"] == "FAILED" and polled["failureReason"] == "AlgorithmError: out of memory"


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        (
            {**JOB, "dataset": {"tags": ["jazz"]}},
            422,
            "UNKNOWN_TAG",
            ["jazz", "collection:bach-chorales", "composer:bach"],
        ),
        ({**JOB, "dataset": {"tags": []}}, 422, "VALIDATION_ERROR", ["tags"]),
        ({**JOB, "hyperparameters": {"epochs": 0}}, 422, "INVALID_HYPERPARAMETERS", ["epochs"]),
        ({**JOB, "hyperparameters": {"learningRate": 5}}, 422, "INVALID_HYPERPARAMETERS", ["learningRate"]),
        ({**JOB, "hyperparameters": {"dropout": 0.1}}, 422, "INVALID_HYPERPARAMETERS", ["dropout"]),
        ({**JOB, "modelName": "../../etc"}, 422, "VALIDATION_ERROR", ["modelName"]),
        ({"dataset": {"tags": ["bach"]}}, 422, "VALIDATION_ERROR", ["modelName"]),
    ],
)
def test_bad_training_requests_say_what_to_fix(cloud, catalogue, body, status, code, words):
    reply = call("POST", "/training-jobs", body=body)
    assert (reply.status, reply.error_code) == (status, code), reply.body
    for word in words:
        assert word in reply.json["error"]["message"]
    assert call("GET", "/training-jobs").json["items"] == []


def test_bare_tag_values_are_accepted_like_the_model_filter_does(cloud, catalogue):
    assert submit(body={**JOB, "dataset": {"tags": ["bach"]}})["dataset"]["tags"] == ["bach"]


def test_other_user_gets_404_on_training_job(cloud, catalogue):
    job = submit()
    assert call("GET", f"/training-jobs/{job['id']}", user=BOB).status == 404
    assert call("POST", f"/training-jobs/{job['id']}/stop", user=BOB).status == 404
    assert call("GET", "/training-jobs", user=BOB).json["items"] == []
    assert call("GET", f"/training-jobs/{job['id']}").json["status"] == "QUEUED"


def test_stop_a_queued_job_is_immediate(cloud, catalogue):
    job = submit()
    reply = call("POST", f"/training-jobs/{job['id']}/stop")
    assert reply.status == 202 and reply.json["status"] == "STOPPED"
    again = call("POST", f"/training-jobs/{job['id']}/stop")
    assert (again.status, again.error_code) == (409, "ALREADY_FINISHED")


@pytest.mark.parametrize("sagemaker_says", [None, ("ValidationException", "The job is already Completed.")])
def test_stop_a_running_job_asks_sagemaker(cloud, catalogue, sagemaker_says):
    """moto has no StopTrainingJob; it is answered where the local SageMaker answers it, at the HTTP layer."""
    stopped: list[str] = []

    def stop_training_job(params, **_):
        stopped.append(json.loads(params["body"])["TrainingJobName"])
        if sagemaker_says:
            return AWSResponse("", 400, {}, None), {
                "Error": {"Code": sagemaker_says[0], "Message": sagemaker_says[1]},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
        return AWSResponse("", 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}

    cloud.answer("sagemaker", "StopTrainingJob", stop_training_job)
    job = submit()
    name = f"composer-{job['id']}"
    store.move(ALICE, job["id"], TrainingStatus.STARTING, {"sagemakerJobName": name})
    store.move(ALICE, job["id"], TrainingStatus.TRAINING, {"epoch": 1})
    reply = call("POST", f"/training-jobs/{job['id']}/stop")
    assert reply.status == 202 and reply.json["status"] == "STOPPING"
    assert stopped == [name]
    assert call("POST", f"/training-jobs/{job['id']}/stop").json["status"] == "STOPPING"
    assert stopped == [name]


def test_stop_while_starting_without_a_sagemaker_job_yet_leaves_it_to_the_workflow(cloud, catalogue):
    job = submit()
    store.move(ALICE, job["id"], TrainingStatus.STARTING, {})
    reply = call("POST", f"/training-jobs/{job['id']}/stop")
    assert reply.status == 202 and reply.json["status"] == "STOPPING"


def test_idempotency_key_submits_one_training_job(cloud, catalogue):
    headers = {"Idempotency-Key": "train-1"}
    first = call("POST", "/training-jobs", body=JOB, headers=headers)
    second = call("POST", "/training-jobs", body=JOB, headers=headers)
    assert first.status == second.status == 202 and first.json["id"] == second.json["id"]
    assert len(call("GET", "/training-jobs").json["items"]) == 1


def test_training_job_list_pages(cloud, catalogue, monkeypatch):
    monkeypatch.setenv(Env.MAX_CONCURRENT_TRAINING_JOBS, "3")
    ids = [submit()["id"] for _ in range(3)]
    first = call("GET", "/training-jobs", query={"limit": "2"}).json
    rest = call("GET", "/training-jobs", query={"nextToken": first["nextToken"]}).json
    assert [j["id"] for j in first["items"] + rest["items"]] == ids


def test_datasets_lists_the_catalogue(cloud, catalogue):
    reply = call("GET", "/datasets")
    assert reply.status == 200 and reply.json == {k: v for k, v in catalogue.items() if k != "pieces"}
    assert {"tag": "collection:bach-chorales", "kind": "collection"}.items() <= next(
        t for t in reply.json["items"] if t["tag"] == "collection:bach-chorales"
    ).items()
    assert call("GET", "/datasets", user=None).status == 401


def test_a_job_whose_workflow_never_started_is_closed_failed_with_a_reason(cloud, catalogue, monkeypatch):
    stuck, started = submit(), submit()
    store.move(ALICE, started["id"], TrainingStatus.STARTING, {})
    assert call("GET", f"/training-jobs/{stuck['id']}").json["status"] == "QUEUED"  # not yet overdue

    later = clock.now() + QUEUED_TIMEOUT + timedelta(seconds=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    listed = {j["id"]: j for j in call("GET", "/training-jobs").json["items"]}
    assert listed[stuck["id"]]["status"] == "FAILED"
    assert listed[stuck["id"]]["failureReason"] == NEVER_STARTED
    assert listed[started["id"]]["status"] == "STARTING"  # a started job is the workflow's to close
    assert store.get(ALICE, stuck["id"])["status"] == "FAILED"  # written, not just shown
    # a workflow that starts late finds the record no longer QUEUED and cannot claim it
    with pytest.raises(StaleWrite):
        store.move(ALICE, stuck["id"], TrainingStatus.STARTING, {}, expect=TrainingStatus.QUEUED)
