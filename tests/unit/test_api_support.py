"""Shared fixtures for the API tests: moto-backed tables and bucket built from ``shared.resources``,
real API Gateway REST proxy events, and stand-ins for the two AWS calls moto cannot run for us
(a Lambda async invoke and a SageMaker endpoint), wired in at the botocore layer exactly where the
local gateway (contract 7) and the local SageMaker answer them.

Imported by the ``test_api_*`` modules; it holds no tests itself.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from moto import mock_aws

from shared.logic.models import register_builtin_model
from shared.resources import BUCKET_ENV, TABLES
from shared.store import aws
from shared.store.sagemaker import INVOKE_TIMEOUT_SECONDS

REGION = "us-east-1"
WORKER_FUNCTION = "composer-compose-worker"
BUILTIN_MODEL = "bach-chorales"
ALICE, BOB = "user-alice-0001", "user-bob-0002"


@dataclass
class Context:
    """The parts of a Lambda context Powertools reads."""

    function_name: str = "composer-api"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:composer-api"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def event(
    method: str,
    path: str,
    *,
    user: str | None = ALICE,
    body: bytes | str | dict | None = None,
    content_type: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event as API Gateway builds it behind a Cognito authorizer."""
    all_headers = {"Host": "api.example.com", "User-Agent": "pytest", **(headers or {})}
    encoded, text = False, None
    if isinstance(body, dict):
        text, content_type = json.dumps(body), content_type or "application/json"
    elif isinstance(body, bytes):
        text, encoded = base64.b64encode(body).decode(), True
    elif isinstance(body, str):
        text = body
    if content_type:
        all_headers["Content-Type"] = content_type
    context: dict[str, Any] = {
        "resourcePath": path,
        "httpMethod": method,
        "path": f"/prod{path}",
        "stage": "prod",
        "requestId": str(uuid.uuid4()),
        "accountId": "123456789012",
        "apiId": "abc123",
        "identity": {"sourceIp": "203.0.113.9", "userAgent": "pytest"},
        "requestTimeEpoch": 1_763_800_000_000,
    }
    if user is not None:
        context["authorizer"] = {"claims": {"sub": user, "token_use": "id", "cognito:username": user}}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": encoded,
    }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str:
        return self.json["error"]["code"]


def call(method: str, path: str, **kwargs: Any) -> Reply:
    from lambdas.api.handler import lambda_handler

    response = lambda_handler(event(method, path, **kwargs), Context())
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = values[-1]
    return Reply(response["statusCode"], headers, body)


class AsyncInvocations:
    """Lambda ``Invoke`` with ``InvocationType=Event``: queued here, delivered when the test says so."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, dict[str, Any]]] = []
        self.refuse: str | None = None

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        if self.refuse:
            return _error(404, "ResourceNotFoundException", self.refuse)
        # ``params`` is the HTTP request botocore built: POST /2015-03-31/functions/{name}/invocations
        assert params["headers"]["X-Amz-Invocation-Type"] == "Event"
        name = unquote(params["url_path"].split("/functions/", 1)[1].split("/", 1)[0])
        self.queued.append((name, json.loads(params["body"])))
        return AWSResponse("", 202, {}, None), {"StatusCode": 202, "ResponseMetadata": {"HTTPStatusCode": 202}}

    def deliver_all(self) -> list[dict[str, Any]]:
        from lambdas.compose_worker.handler import lambda_handler

        results = []
        while self.queued:
            name, payload = self.queued.pop(0)
            assert name == WORKER_FUNCTION
            results.append(lambda_handler(payload, Context(function_name=name)))
        return results


class Endpoint:
    """``sagemaker-runtime`` ``InvokeEndpoint``: answered by ``answer(body, content_type, accept)``."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answer: Callable[[bytes, str, str], bytes] | None = None
        self.error: tuple[int, str, str] | None = None
        self.raise_: BaseException | None = None

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        # ``params`` is the HTTP request botocore built: POST /endpoints/{name}/invocations
        call = {
            "EndpointName": unquote(params["url_path"].split("/endpoints/", 1)[1].split("/", 1)[0]),
            "ContentType": params["headers"].get("Content-Type", ""),
            "Accept": params["headers"].get("Accept", ""),
            "Body": params["body"] if isinstance(params["body"], bytes) else params["body"].read(),
        }
        self.calls.append(call)
        if self.raise_ is not None:
            raise self.raise_
        if self.error is not None:
            return _error(*self.error)
        assert self.answer is not None, "the test set no endpoint answer"
        out = self.answer(call["Body"], call["ContentType"], call["Accept"])
        parsed = {
            "Body": StreamingBody(io.BytesIO(out), len(out)),
            "ContentType": call["Accept"],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        return AWSResponse("", 200, {}, None), parsed


def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    return AWSResponse("", status, {}, None), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }


@dataclass
class Cloud:
    invocations: AsyncInvocations
    endpoint: Endpoint
    bucket: str
    hooks: list[tuple[Any, str, Callable[..., Any]]] = field(default_factory=list)

    def answer(self, service: str, operation: str, hook: Callable[..., Any]) -> None:
        """Answer ``service.operation`` (one moto lacks) with ``hook(params)`` for this test only."""
        client = aws.client(service)
        client.meta.events.register(f"before-call.{service}.{operation}", hook)
        self.hooks.append((client, f"before-call.{service}.{operation}", hook))


_KEPT: dict[str, Any] = {}


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """Tables and bucket in moto, named through the same environment variables the functions read."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for spec in TABLES:
        monkeypatch.setenv(spec.env, f"test-{spec.logical}")
    monkeypatch.setenv(BUCKET_ENV, "test-composer-bucket")
    monkeypatch.setenv("COMPOSE_WORKER_FUNCTION", WORKER_FUNCTION)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ComposerTest")
    with mock_aws():
        if aws.client("dynamodb") is not _KEPT.get("dynamodb"):
            # Not the clients these fixtures made: another test may have aimed them elsewhere.
            aws.reset()
            _KEPT["dynamodb"] = aws.client("dynamodb")
        # Clients are kept from test to test (creating them is most of a test's set-up time); moto
        # intercepts every client, so each test still starts from empty tables and bucket.
        dynamodb = aws.client("dynamodb")
        for spec in TABLES:
            keys = [(spec.partition_key, "HASH")] + ([(spec.sort_key, "RANGE")] if spec.sort_key else [])
            dynamodb.create_table(
                TableName=f"test-{spec.logical}",
                BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": n, "KeyType": t} for n, t in keys],
                AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n, _ in keys],
            )
        aws.client("s3").create_bucket(Bucket="test-composer-bucket")
        invocations, endpoint = AsyncInvocations(), Endpoint()
        hooks = [
            (aws.client("lambda"), "before-call.lambda.Invoke", invocations),
            (
                aws.client("sagemaker-runtime", read_timeout=INVOKE_TIMEOUT_SECONDS),
                "before-call.sagemaker-runtime.InvokeEndpoint",
                endpoint,
            ),
        ]
        for client, name, hook in hooks:
            client.meta.events.register(name, hook)
        cloud = Cloud(invocations, endpoint, "test-composer-bucket", hooks)
        register_builtin_model(
            BUILTIN_MODEL,
            "Bach chorales",
            endpoint_name=f"composer-{BUILTIN_MODEL}",
            description="Four-part harmony after the Bach chorales.",
            genre="classical",
        )
        try:
            yield cloud
        finally:
            for client, name, hook in cloud.hooks:
                client.meta.events.unregister(name, hook)
