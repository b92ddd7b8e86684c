"""Stream delivery against a real moto server: records arrive in Lambda's shape, filters select,
a failing batch is retried, a partial batch response retries from the failed record."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local.triggers import StreamPoller, StreamSubscription, matches_any, parse_filter_criteria


@pytest.fixture()
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    name = f"jobs-{uuid.uuid4().hex[:8]}"  # moto's state is per process, not per server
    desc = boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "id", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    yield name, desc["LatestStreamArn"]
    server.stop()


def _put(table: str, job_id: str, status: str) -> None:
    boto3.client("dynamodb").put_item(
        TableName=table, Item={"owner": {"S": "alice"}, "id": {"S": job_id}, "status": {"S": status}}
    )


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def test_inserts_are_delivered_in_lambda_shape_and_filtered(table: tuple[str, str]) -> None:
    name, stream_arn = table
    seen: list[dict] = []
    lock = threading.Lock()

    def handler(event: dict, context: object) -> None:
        json.dumps(event)  # what Lambda delivers is plain JSON
        with lock:
            seen.extend(event["Records"])

    sub = StreamSubscription(
        stream_arn=stream_arn,
        function_name="trigger",
        handler=handler,
        filter_patterns=parse_filter_criteria({"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}),
    )
    with StreamPoller(sub, poll_seconds=0.05):
        _put(name, "j1", "QUEUED")
        boto3.client("dynamodb").update_item(
            TableName=name,
            Key={"owner": {"S": "alice"}, "id": {"S": "j1"}},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "STARTING"}},
        )
        _put(name, "j2", "QUEUED")
        _wait_for(lambda: len(seen) >= 2)
    assert [r["dynamodb"]["NewImage"]["id"]["S"] for r in seen] == ["j1", "j2"]
    assert all(r["eventName"] == "INSERT" and r["eventSourceARN"] == stream_arn for r in seen)
    assert isinstance(seen[0]["dynamodb"]["ApproximateCreationDateTime"], int)
    assert seen[0]["dynamodb"]["Keys"] == {"owner": {"S": "alice"}, "id": {"S": "j1"}}


def test_a_failing_batch_is_retried(table: tuple[str, str]) -> None:
    name, stream_arn = table
    calls: list[list[str]] = []

    def handler(event: dict, context: object) -> None:
        calls.append([r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"]])
        if len(calls) == 1:
            raise RuntimeError("transient")

    sub = StreamSubscription(stream_arn=stream_arn, function_name="trigger", handler=handler, max_retries=2)
    poller = StreamPoller(sub, poll_seconds=0.05)
    _put(name, "j1", "QUEUED")
    with poller:
        _wait_for(lambda: poller.delivered >= 1)
    assert calls == [["j1"], ["j1"]]


def test_partial_batch_response_retries_from_the_failed_record(table: tuple[str, str]) -> None:
    name, stream_arn = table
    calls: list[list[str]] = []

    def handler(event: dict, context: object) -> dict:
        ids = [r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"]]
        calls.append(ids)
        if len(calls) == 1:
            failed = event["Records"][1]["dynamodb"]["SequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": failed}]}
        return {"batchItemFailures": []}

    sub = StreamSubscription(
        stream_arn=stream_arn, function_name="trigger", handler=handler, report_batch_item_failures=True
    )
    for job in ("j1", "j2", "j3"):
        _put(name, job, "QUEUED")
    poller = StreamPoller(sub, poll_seconds=0.05)
    with poller:
        _wait_for(lambda: poller.delivered >= 3)
    assert calls == [["j1", "j2", "j3"], ["j2", "j3"]]


def test_filter_patterns() -> None:
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": {"status": {"S": "QUEUED"}, "id": {"S": "x"}}}}
    assert matches_any(record, [])
    assert matches_any(record, [{"dynamodb": {"NewImage": {"status": {"S": ["QUEUED"]}}}}])
    assert not matches_any(record, [{"dynamodb": {"NewImage": {"status": {"S": ["TRAINING"]}}}}])
    assert matches_any(record, [{"eventName": [{"anything-but": ["REMOVE"]}]}])
    assert not matches_any(record, [{"dynamodb": {"OldImage": [{"exists": True}]}}])
    assert matches_any(record, [{"dynamodb": {"OldImage": [{"exists": False}]}}])
    assert matches_any(record, [{"eventName": [{"prefix": "INS"}]}, {"eventName": ["MODIFY"]}])


def test_a_batch_failing_every_retry_goes_to_the_on_failure_destination(table: tuple[str, str]) -> None:
    name, stream_arn = table
    calls: list[int] = []
    failures: list[dict] = []

    def handler(event: dict, context: object) -> None:
        calls.append(len(event["Records"]))
        raise RuntimeError("always")

    sub = StreamSubscription(
        stream_arn=stream_arn, function_name="trigger", handler=handler, max_retries=1, on_failure=failures.append
    )
    _put(name, "j1", "QUEUED")
    with StreamPoller(sub, poll_seconds=0.05):
        _wait_for(lambda: bool(failures))
    assert calls == [1, 1]
    (failure,) = failures
    info = failure["DDBStreamBatchInfo"]
    assert info["streamArn"] == stream_arn and info["batchSize"] == 1 and info["shardId"].startswith("shardId-")
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
