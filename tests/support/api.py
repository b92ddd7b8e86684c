"""What the API tests share: API Gateway REST proxy events (built by ``local.api_server``), calls to
the real ``api`` handler, and stand-ins for the two AWS calls moto cannot run for us (a Lambda async
invoke and a SageMaker endpoint), wired in at the botocore layer exactly where the local gateway and
the local SageMaker answer them. The ``cloud`` fixture (``tests/conftest.py``) puts them in place.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

import pytest
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from moto import mock_aws

from local.api_routes import RouteTable
from local.api_server import ApiServer, build_event
from local.lambda_context import LocalLambdaContext
from shared.contract import MEDIA_FUNCTION, MEDIA_ROUTES
from shared.logic.models import register_builtin_model
from shared.resources import BUCKET_ENV, TABLES
from shared.store import aws
from shared.store.sagemaker import INVOKE_TIMEOUT_SECONDS

REGION = "us-east-1"
WORKER_FUNCTION = "composer-compose-worker"
BUILTIN_MODEL = "bach-chorales"
ALICE, BOB = "user-alice-0001", "user-bob-0002"


def event(
    method: str,
    path: str,
    *,
    user: str | None = ALICE,
    body: bytes | str | dict[str, Any] | None = None,
    content_type: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event behind a Cognito authorizer, built by the same function the
    local HTTP server uses; ``user=None`` is a request without identity."""
    all_headers = {"Host": "api.example.com", "User-Agent": "pytest", **(headers or {})}
    if isinstance(body, dict):
        raw, content_type = json.dumps(body).encode(), content_type or "application/json"
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = body or b""
    if content_type:
        all_headers["Content-Type"] = content_type
    target = f"{path}?{urlencode(query)}" if query else path
    claims = {"sub": user, "token_use": "id", "cognito:username": user} if user is not None else {}
    return build_event(method, target, list(all_headers.items()), raw, claims, source_ip="203.0.113.9")


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


# Which function serves a route, as API Gateway splits them (cdk/api.py builds its resources from the
# same contract): the media routes to the media function, everything else to the api function.
ROUTES = RouteTable.from_routes(
    {(m, p): MEDIA_FUNCTION for m, p in MEDIA_ROUTES} | {("ANY", "/{proxy+}"): "api", ("ANY", "/"): "api"}
)


def gateway_router(method: str, path: str) -> tuple[str, Any]:
    """For a local ``ApiServer``: the function API Gateway hands the path to, and its handler."""
    if ROUTES.function_for(method, path) == MEDIA_FUNCTION:
        from lambdas.media.handler import lambda_handler as media

        return "composer-media", media
    from lambdas.api.handler import lambda_handler as api

    return "composer-api", api


@contextmanager
def serving_with_workers(cloud: Any) -> Iterator[str]:
    """A local API server (routed like the gateway) whose asynchronous invocations are delivered
    while a client polls, as Lambda would: what the CLI tests talk to. Yields its URL."""
    from lambdas.api.handler import lambda_handler

    stop = threading.Event()

    def worker() -> None:
        while not stop.wait(0.05):
            cloud.invocations.deliver_all()

    thread = threading.Thread(target=worker, daemon=True)
    with ApiServer(lambda_handler, port=0, router=gateway_router) as server:
        thread.start()
        try:
            yield server.url
        finally:
            stop.set()
            thread.join(5)


def call(method: str, path: str, **kwargs: Any) -> Reply:
    """One request through the function API Gateway would hand it to."""
    if ROUTES.function_for(method, path.split("?", 1)[0]) == MEDIA_FUNCTION:
        from lambdas.media.handler import lambda_handler
    else:
        from lambdas.api.handler import lambda_handler

    response = lambda_handler(event(method, path, **kwargs), LocalLambdaContext("composer-api"))
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
            results.append(lambda_handler(payload, LocalLambdaContext(name)))
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


@contextmanager
def moto_cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
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
