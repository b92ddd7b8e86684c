"""The one local AWS endpoint: moto for most services, the local SageMaker and in-process Lambdas for the rest.

boto3 everywhere reads ``AWS_ENDPOINT_URL``; locally it points here. Requests are routed by what
they are, on one port:

- SageMaker control plane (``X-Amz-Target: SageMaker.*``) and sagemaker-runtime
  (``POST /endpoints/<name>/invocations``) -> :class:`local.sagemaker.LocalSageMaker`;
- Lambda ``Invoke`` (``POST /2015-03-31/functions/<name>/invocations``) -> a Python handler
  registered with :meth:`AwsGateway.register_lambda` (moto's Lambda needs Docker to run code);
- everything else -> moto's server application, mounted in the same WSGI server (so no second hop).

Step Functions runs state machines for real (moto's ASL interpreter), and ``MOTO_PORT`` is set to
this port so the interpreter's SDK integrations call back in here and reach the same SageMaker,
Lambdas and tables.

    >>> with AwsGateway() as gateway:                      # doctest: +SKIP
    ...     gateway.register_lambda("progress", handler)
    ...     boto3.client("sagemaker", endpoint_url=gateway.endpoint_url).list_training_jobs()

Moto's backends and ``MOTO_PORT`` are process-wide, so run one gateway per process at a time.

:meth:`AwsGateway.serve_in_process` lets this process's own boto3 clients (the in-process Lambda
handlers) reach the same router without a socket; everything else uses the port.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from local.lambda_context import LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LocalLambdaContext
from local.persistence.journal import Journal
from local.persistence.recorder import Recorder, call_wsgi
from local.sagemaker import LocalSageMaker, SageMakerError

LOG = logging.getLogger(__name__)

LambdaHandler = Callable[[Any, Any], Any]

_RUNTIME_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
_LAMBDA_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_FAKE_CREDENTIALS = LOCAL_CREDENTIALS


def function_name(name_or_arn: str) -> str:
    """``my-fn``, ``my-fn:alias``, ``123:function:my-fn`` or a full ARN -> ``my-fn``."""
    name = unquote(name_or_arn)
    if ":function:" in name:
        name = name.split(":function:", 1)[1]
    return name.split(":", 1)[0]


class _Router:
    """The WSGI application: picks the local SageMaker, a registered Lambda, or moto."""

    def __init__(self, gateway: AwsGateway, moto_app: Callable[..., Iterable[bytes]]) -> None:
        self._gateway = gateway
        self._moto = moto_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("SageMaker."):
            response = self._sagemaker(Request(environ), target.split(".", 1)[1])
        elif method == "POST" and (match := _RUNTIME_PATH.match(path)):
            response = self._runtime(Request(environ), unquote(match.group(1)))
        elif method == "POST" and (match := _LAMBDA_INVOKE_PATH.match(path)):
            response = self._gateway._invoke_lambda(Request(environ), function_name(match.group(1)))
        else:
            return self._moto(environ, start_response)
        return response(environ, start_response)

    def _sagemaker(self, request: Request, action: str) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            result = self._gateway.sagemaker.call(action, body)
        except SageMakerError as exc:
            return _sagemaker_error(exc)
        except ValueError as exc:
            return _sagemaker_error(SageMakerError("SerializationException", f"Request body is not JSON: {exc}"))
        return Response(
            json.dumps(result),
            200,
            content_type="application/x-amz-json-1.1",
            headers={"x-amzn-RequestId": str(uuid.uuid4())},
        )

    def _runtime(self, request: Request, endpoint: str) -> Response:
        try:
            body, content_type = self._gateway.sagemaker.invoke_endpoint(
                endpoint,
                request.get_data(),
                request.headers.get("Content-Type", "application/octet-stream"),
                request.headers.get("Accept"),
            )
        except SageMakerError as exc:
            return _sagemaker_error(exc)
        return Response(
            body,
            200,
            headers={
                "Content-Type": content_type,
                "x-Amzn-Invoked-Production-Variant": "AllTraffic",
                "x-amzn-RequestId": str(uuid.uuid4()),
            },
        )


class _Body(io.BytesIO):
    """A response body botocore can ``read()`` or ``stream()``, like urllib3's."""

    def stream(self, amt: int = 2**16, **_: Any) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


class InProcessTransport:
    """A botocore ``before-send`` hook: a request for the gateway's URL is handed to the gateway's
    WSGI application in the calling thread, with no socket in between.

    The request and the answer are the same HTTP messages the port would carry, and the same router
    (moto, the local SageMaker, the registered Lambdas) answers them; what is skipped is a TCP
    connection and a server thread per call (werkzeug's server closes every connection), which
    made each call from an in-process Lambda handler cost several milliseconds more than moto does.
    Requests for any other URL are left to botocore.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], base_url: str) -> None:
        self._app = app
        self._base_url = base_url

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" != self._base_url:
            return None
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = [(k, v.decode("latin-1") if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()]
        environ = EnvironBuilder(
            method=request.method,
            base_url=self._base_url,
            path=parts.path or "/",
            query_string=parts.query,
            headers=headers,
            data=body or b"",
        ).get_environ()
        status, response_headers, data = call_wsgi(self._app, environ)
        return AWSResponse(request.url, int(status.split(" ", 1)[0]), dict(response_headers), _Body(data))


def _sagemaker_error(exc: SageMakerError) -> Response:
    payload = {"__type": exc.code, "message": exc.message, **exc.extra}
    return Response(
        json.dumps(payload),
        exc.status,
        content_type="application/x-amz-json-1.1",
        headers={"x-amzn-ErrorType": exc.code, "x-amzn-RequestId": str(uuid.uuid4())},
    )


class AwsGateway:
    """Start/stop the local AWS endpoint; use as a context manager.

    ``export_environment`` (default True) sets ``AWS_ENDPOINT_URL``, ``MOTO_PORT``, the region and
    fake credentials in ``os.environ`` while the gateway runs (and restores them after), so boto3
    clients, in-process Lambda handlers and moto's Step Functions interpreter all find it.
    ``sagemaker_options`` go to :class:`LocalSageMaker` (e.g. ``max_concurrent_training_jobs``).
    With a ``journal``, every data write is journaled once :meth:`start_journaling` is called, and
    :meth:`replay` applies what an earlier run journaled (see :mod:`local.persistence.recorder`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        work_dir: Path | None = None,
        export_environment: bool = True,
        journal: Journal | None = None,
        **sagemaker_options: Any,
    ) -> None:
        self.host = host
        self.region = region
        self._requested_port = port
        self._export = export_environment
        self._saved_env: dict[str, str | None] = {}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lambdas: dict[str, LambdaHandler] = {}
        self._async_invocations: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._transport: InProcessTransport | None = None
        self._transport_id = f"local-gateway-{uuid.uuid4()}"
        self._sessions: list[boto3.Session] = []
        self._journal = journal
        self.recorder: Recorder | None = None
        self.sagemaker = LocalSageMaker(self._s3_client, region=region, work_dir=work_dir, **sagemaker_options)

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the gateway is not running")
        return int(self._server.server_address[1])

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """The variables a process (or subprocess) needs to use this endpoint."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "MOTO_PORT": str(self.port),
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            **_FAKE_CREDENTIALS,
        }

    def start(self) -> AwsGateway:
        from moto.moto_api._internal.models import moto_api_backend
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

        moto_api_backend.set_config({"stepfunctions": {"execute_state_machine": True}})

        class _QuietHandler(MotoRequestHandler):
            # Headers and body leave in separate writes; with Nagle's algorithm on, a keep-alive client's
            # delayed ACK holds the body back ~40 ms per call.
            disable_nagle_algorithm = True

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                LOG.debug("%s %s -> %s", self.command, self.path, code)

        class _Dispatcher(DomainDispatcherApplication):
            # Moto matches every request's host against hundreds of URL patterns (a quarter of its
            # time per call); the answer for a host never changes, so remember it.
            def __init__(self) -> None:
                super().__init__(create_backend_app)
                self._backends: dict[str | None, Any] = {}

            def get_backend_for_host(self, host: str | None) -> Any:
                if host not in self._backends:
                    self._backends[host] = super().get_backend_for_host(host)
                return self._backends[host]

        router = _Router(self, _Dispatcher())
        app: Callable[..., Iterable[bytes]] = router
        if self._journal is not None:
            self.recorder = app = Recorder(router, self._journal)
        self._server = make_server(self.host, self._requested_port, app, threaded=True, request_handler=_QuietHandler)
        self._transport = InProcessTransport(app, self.endpoint_url)
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-gateway", daemon=True)
        self._thread.start()
        if self._export:
            for key, value in self.environment().items():
                self._saved_env.setdefault(key, os.environ.get(key))
                os.environ[key] = value
        LOG.info("local AWS endpoint on %s", self.endpoint_url)
        return self

    def replay(self) -> tuple[int, int]:
        """Apply the journal of earlier runs to the (fresh) backends: (records applied, records refused)."""
        if self.recorder is None:
            return 0, 0
        self.recorder.compact()
        return self.recorder.replay(self.endpoint_url)

    def start_journaling(self) -> None:
        """From now on every data write is journaled (what start-up creates from the checkout is not)."""
        if self.recorder is not None:
            self.recorder.enabled = True

    def serve_in_process(self, session: boto3.Session | None = None) -> None:
        """Answer this process's boto3 calls to the gateway in the calling thread, without a socket.

        Applies to clients that ``session`` (default: boto3's default session) creates from now on;
        other processes (the CLI, training subprocesses) and moto's own callbacks keep using the port.
        """
        if self._transport is None:
            raise RuntimeError("start the gateway before serving in-process")
        if session is None:
            if boto3.DEFAULT_SESSION is None:
                boto3.setup_default_session()
            session = boto3.DEFAULT_SESSION
        session.events.register("before-send", self._transport, unique_id=self._transport_id)
        self._sessions.append(session)

    def stop(self) -> None:
        """Stop training jobs, wait for async Lambda invocations, shut the server, reset moto's state."""
        for session in self._sessions:
            session.events.unregister("before-send", unique_id=self._transport_id)
        self._sessions.clear()
        self.sagemaker.close()
        self.wait_for_async_invocations(30)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        self._server = None

    def wait_for_async_invocations(self, timeout: float) -> None:
        """Let ``Event`` invocations in flight (e.g. compose workers) finish, up to ``timeout`` each."""
        with self._lock:
            pending = list(self._async_invocations)
        for thread in pending:
            thread.join(timeout=timeout)

    def __enter__(self) -> AwsGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        """A boto3 client bound to this endpoint (whatever the process environment says)."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=_FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=_FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def _s3_client(self) -> Any:
        return self.client("s3")

    # --- Lambda ----------------------------------------------------------------------------------

    def register_lambda(self, name: str, handler: LambdaHandler) -> str:
        """Make ``lambda.invoke(FunctionName=name or its ARN)`` run ``handler``; returns the function ARN.

        The handler runs in this process with this process's environment variables.
        """
        self._lambdas[function_name(name)] = handler
        return self.function_arn(name)

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT}:function:{function_name(name)}"

    def _invoke_lambda(self, request: Request, name: str) -> Response:
        handler = self._lambdas.get(name)
        if handler is None:
            message = f"Function not found: {self.function_arn(name)}"
            return Response(
                json.dumps({"Type": "User", "Message": message, "message": message}),
                404,
                content_type="application/json",
                headers={"x-amzn-ErrorType": "ResourceNotFoundException", "x-amzn-RequestId": str(uuid.uuid4())},
            )
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        raw = request.get_data()
        try:
            event = json.loads(raw) if raw else {}
        except ValueError:
            return Response(
                json.dumps({"Type": "User", "message": "Could not parse request body into json"}),
                400,
                content_type="application/json",
                headers={"x-amzn-ErrorType": "InvalidRequestContentException", "x-amzn-RequestId": str(uuid.uuid4())},
            )
        context = LocalLambdaContext(function_name=name)
        if invocation_type == "DryRun":
            return Response(b"", 204)
        if invocation_type == "Event":
            thread = threading.Thread(
                target=self._run_async, args=(handler, event, context), name=f"lambda-{name}", daemon=True
            )
            with self._lock:
                self._async_invocations = [t for t in self._async_invocations if t.is_alive()] + [thread]
            thread.start()
            return Response(b"", 202, headers={"x-amzn-RequestId": context.aws_request_id})
        headers = {"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": context.aws_request_id}
        try:
            result = handler(event, context)
        except Exception as exc:  # noqa: BLE001 - a handler error is the function's answer, as Lambda reports it
            LOG.warning("lambda %s raised", name, exc_info=True)
            payload = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            headers["X-Amz-Function-Error"] = "Unhandled"
            return Response(json.dumps(payload), 200, content_type="application/json", headers=headers)
        return Response(json.dumps(result, default=str), 200, content_type="application/json", headers=headers)

    @staticmethod
    def _run_async(handler: LambdaHandler, event: Any, context: LocalLambdaContext) -> None:
        try:
            handler(event, context)
        except Exception:  # noqa: BLE001 - async invocations have no caller to report to; Lambda logs them
            LOG.exception("async invocation of %s failed", context.function_name)
