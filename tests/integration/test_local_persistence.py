"""The journal at the local AWS endpoint, through boto3: what one gateway applied, a fresh one rebuilds
from the journal (items, objects, multipart uploads, deletes, SageMaker models), refused writes are
not journaled, start-up writes are not journaled, and a replayed stream is not delivered twice."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from local.aws_gateway import AwsGateway
from local.persistence.datadir import StreamPositions
from local.persistence.journal import Journal
from local.triggers import StreamPoller, StreamSubscription

# One gateway (one moto, one MOTO_PORT) per process: keep this module's tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("local-sagemaker")

TABLE, BUCKET = "persist-things", "persist-bucket"


def _create_resources(gateway: AwsGateway) -> None:
    gateway.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "id", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    gateway.client("s3").create_bucket(Bucket=BUCKET)


def _state(gateway: AwsGateway) -> dict[str, Any]:
    ddb, s3 = gateway.client("dynamodb"), gateway.client("s3")
    items = sorted(ddb.scan(TableName=TABLE)["Items"], key=lambda i: (i["owner"]["S"], i["id"]["S"]))
    objects = {}
    for entry in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        got = s3.get_object(Bucket=BUCKET, Key=entry["Key"])
        objects[entry["Key"]] = (got["Body"].read(), got["ContentType"], got["Metadata"])
    return {"items": items, "objects": objects}


def _write_everything(gateway: AwsGateway) -> None:
    ddb, s3, sm = gateway.client("dynamodb"), gateway.client("s3"), gateway.client("sagemaker")
    for i in range(5):
        ddb.put_item(TableName=TABLE, Item={"owner": {"S": "alice"}, "id": {"S": f"t{i}"}, "n": {"N": str(i)}})
    ddb.update_item(
        TableName=TABLE,
        Key={"owner": {"S": "alice"}, "id": {"S": "t1"}},
        UpdateExpression="SET n = n + :one, #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":s": {"S": "DONE"}},
    )
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        ddb.put_item(
            TableName=TABLE,
            Item={"owner": {"S": "alice"}, "id": {"S": "t0"}, "n": {"N": "99"}},
            ConditionExpression="attribute_not_exists(id)",
        )
    ddb.delete_item(TableName=TABLE, Key={"owner": {"S": "alice"}, "id": {"S": "t4"}})
    ddb.batch_write_item(
        RequestItems={
            TABLE: [
                {"PutRequest": {"Item": {"owner": {"S": "bob"}, "id": {"S": "b1"}}}},
                {"DeleteRequest": {"Key": {"owner": {"S": "alice"}, "id": {"S": "t3"}}}},
            ]
        }
    )
    s3.put_object(Bucket=BUCKET, Key="melodies/a b.mid", Body=b"MThd\x00", ContentType="audio/midi")
    s3.put_object(Bucket=BUCKET, Key="gone.txt", Body=b"soon deleted", Metadata={"k": "v"})
    s3.put_object(Bucket=BUCKET, Key="kept.txt", Body=b"kept", Metadata={"k": "v"})
    s3.delete_object(Bucket=BUCKET, Key="gone.txt")
    s3.put_object(Bucket=BUCKET, Key="batch/1", Body=b"1")
    s3.put_object(Bucket=BUCKET, Key="batch/2", Body=b"2")
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "batch/1"}, {"Key": "batch/2"}]})
    big = bytes(range(256)) * 24_000  # 6 MB in two parts: multipart ids are not replayable, the object is
    s3.upload_fileobj(
        io.BytesIO(big),
        BUCKET,
        "training/model.tar.gz",
        Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024),
    )
    sm.create_model(
        ModelName="user-model",
        PrimaryContainer={"Image": "local", "ModelDataUrl": f"s3://{BUCKET}/training/model.tar.gz"},
        ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
    )


def test_a_fresh_gateway_rebuilds_what_the_journal_recorded(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    with AwsGateway(journal=Journal.open(path)) as first:
        _create_resources(first)
        first.client("dynamodb").put_item(TableName=TABLE, Item={"owner": {"S": "builtin"}, "id": {"S": "startup"}})
        first.start_journaling()
        _write_everything(first)
        before = _state(first)
        assert first.client("sagemaker").describe_model(ModelName="user-model")["ModelName"] == "user-model"
        first.recorder.journal.close()  # type: ignore[union-attr]

    journal = Journal.open(path)
    with AwsGateway(journal=journal) as second:
        _create_resources(second)
        applied, refused = second.replay()
        assert refused == 0 and applied == len([*Journal.open(path).records()])
        after = _state(second)
        model = second.client("sagemaker").describe_model(ModelName="user-model")
        journal.close()

    startup = {"owner": {"S": "builtin"}, "id": {"S": "startup"}}
    assert startup in before["items"] and startup not in after["items"], "start-up writes are not users' data"
    before["items"].remove(startup)
    assert after == before
    assert [i["id"]["S"] for i in after["items"]] == ["t0", "t1", "t2", "b1"]
    assert after["items"][1]["n"] == {"N": "2"} and after["items"][1]["status"] == {"S": "DONE"}
    assert set(after["objects"]) == {"melodies/a b.mid", "kept.txt", "training/model.tar.gz"}
    assert after["objects"]["training/model.tar.gz"][0] == bytes(range(256)) * 24_000
    assert after["objects"]["kept.txt"][2] == {"k": "v"}
    assert model["PrimaryContainer"]["ModelDataUrl"].endswith("training/model.tar.gz")


def test_replayed_stream_records_are_delivered_once_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    delivered: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        delivered.extend(r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"])

    def poller(gateway: AwsGateway) -> StreamPoller:
        arn = gateway.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        sub = StreamSubscription(stream_arn=arn, function_name="f", handler=handler)
        positions = StreamPositions(tmp_path / "streams.json")  # read from the file, as a new start does
        return StreamPoller(sub, client=gateway.client("dynamodbstreams"), positions=positions)

    with AwsGateway(journal=Journal.open(path)) as first:
        _create_resources(first)
        first.start_journaling()
        ddb = first.client("dynamodb")
        ddb.put_item(TableName=TABLE, Item={"owner": {"S": "a"}, "id": {"S": "one"}})
        ddb.put_item(TableName=TABLE, Item={"owner": {"S": "a"}, "id": {"S": "two"}})
        reader = poller(first)
        reader._discover_shards("TRIM_HORIZON")
        assert reader.poll_once()
        # written after the last delivery: the runtime "dies" before the poller sees it
        ddb.put_item(TableName=TABLE, Item={"owner": {"S": "a"}, "id": {"S": "three"}})
        first.recorder.journal.close()  # type: ignore[union-attr]
    assert delivered == ["one", "two"]

    with AwsGateway(journal=Journal.open(path)) as second:
        _create_resources(second)
        second.replay()
        reader = poller(second)
        reader._discover_shards("TRIM_HORIZON")
        reader.poll_once()
        reader.poll_once()
    assert delivered == ["one", "two", "three"], "each stream record once: none again, none lost"


def test_compaction_drops_superseded_objects_and_rebuilds_the_same_state(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    with AwsGateway(journal=Journal.open(path)) as first:
        _create_resources(first)
        first.start_journaling()
        _write_everything(first)
        s3 = first.client("s3")
        for epoch in range(6):  # a checkpoint re-uploaded every epoch: only the last one is state
            s3.put_object(Bucket=BUCKET, Key="training/j/checkpoints/ckpt.pt", Body=bytes([epoch]) * 200_000)
        s3.put_object(Bucket=BUCKET, Key="kept.txt", Body=b"kept, second version")
        before = _state(first)
        first.recorder.journal.close()  # type: ignore[union-attr]
    records = list(Journal.open(path).records())
    size = path.stat().st_size

    journal = Journal.open(path)
    with AwsGateway(journal=journal) as second:
        _create_resources(second)
        saved = second.recorder.compact(min_bytes=0)  # type: ignore[union-attr]
        kept = list(journal.records())
        applied, refused = second.recorder.replay(second.endpoint_url)  # type: ignore[union-attr]
        after = _state(second)
        journal.close()

    assert after == before and refused == 0 and applied == len(kept)
    assert saved == size - path.stat().st_size and saved >= 5 * 200_000
    requests = [r.header for r in records if "X-Amz-Target" in r.header["headers"]]
    assert [r.header for r in kept if "X-Amz-Target" in r.header["headers"]] == requests, "all item writes kept"
    objects = [r.header["path"] for r in kept if "X-Amz-Target" not in r.header["headers"]]
    assert len(objects) == len(set(objects)) == len(before["objects"]), "one record per live object"
