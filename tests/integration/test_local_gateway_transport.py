"""The gateway's in-process transport: boto3 calls from this process reach the same router as the
port does, with no socket, and give the same answers (bodies, keys, errors)."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from local.aws_gateway import AwsGateway

pytestmark = pytest.mark.xdist_group("local-sagemaker")

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def _client(session: boto3.Session, gateway: AwsGateway, service: str):
    return session.client(
        service,
        endpoint_url=gateway.endpoint_url,
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
        **CREDENTIALS,
    )


def test_in_process_calls_need_no_socket_and_answer_like_the_port() -> None:
    with AwsGateway(export_environment=False) as gateway:
        wired, plain = boto3.Session(), boto3.Session()
        gateway.serve_in_process(wired)
        s3 = _client(wired, gateway, "s3")
        over_port = _client(plain, gateway, "s3")
        s3.create_bucket(Bucket="transport")
        key = "melodies/alice+1@example.com/mel 1 ü.mid"
        body = bytes(range(256)) * 40
        s3.put_object(Bucket="transport", Key=key, Body=body, ContentType="audio/midi")
        assert over_port.get_object(Bucket="transport", Key=key)["Body"].read() == body, "same store as the port"

        ddb = _client(wired, gateway, "dynamodb")
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

        gateway._server.shutdown()  # no listener from here on: only the in-process path can answer
        gateway._server.server_close()

        obj = s3.get_object(Bucket="transport", Key=key)
        assert obj["ContentType"] == "audio/midi" and obj["Body"].read() == body
        with pytest.raises(ClientError) as missing:
            s3.get_object(Bucket="transport", Key="melodies/nobody.mid")
        assert missing.value.response["Error"]["Code"] == "NoSuchKey"

        ddb.put_item(TableName="t", Item={"id": {"S": "a"}, "n": {"N": "3"}})
        assert ddb.get_item(TableName="t", Key={"id": {"S": "a"}})["Item"]["n"] == {"N": "3"}
        with pytest.raises(ClientError) as conflict:
            ddb.put_item(TableName="t", Item={"id": {"S": "a"}}, ConditionExpression="attribute_not_exists(id)")
        assert conflict.value.response["Error"]["Code"] == "ConditionalCheckFailedException"

        with pytest.raises(EndpointConnectionError):
            over_port.get_object(Bucket="transport", Key=key)


def test_stop_detaches_the_transport() -> None:
    session = boto3.Session()
    with AwsGateway(export_environment=False) as gateway:
        gateway.serve_in_process(session)
        url = gateway.endpoint_url
    client = session.client(
        "s3", endpoint_url=url, config=Config(retries={"max_attempts": 1}, connect_timeout=1), **CREDENTIALS
    )
    with pytest.raises(EndpointConnectionError):
        client.list_buckets()
