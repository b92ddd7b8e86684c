"""The whole backend on one machine: ``python -m local.runtime`` (what ``make dev`` runs).

Start order, each step an adapter around the code that runs on AWS:
1. the local AWS endpoint (``local.aws_gateway``: moto + the local SageMaker on one port), with
   ``AWS_ENDPOINT_URL``/``MOTO_PORT`` pointing every boto3 client at it (this process's own clients
   are answered in-process, without the socket);
2. the resources of the synthesized CloudFormation template (``local.cloudformation``): tables, bucket,
   the training state machine from the same ASL file, the shipped models' SageMaker models and
   endpoints, and their READY records (the template's own custom-resource SDK calls);
3. the template's Lambda functions imported in-process with their resolved environment and
   registered with the gateway, so ``lambda:Invoke`` (the API's async hand-off to the compose worker,
   the workflow's progress task) reaches the same ``lambda_handler``;
4. the stream event source mappings (``local.triggers``), so a new training-job record starts the
   workflow as it does on AWS;
5. the HTTP server (``local.api_server``) turning requests into API Gateway events for the function
   the template's REST API integrates at each path (``local.api_routes``: ``media`` for audio and
   pictures, ``api`` for the rest).

With a data folder (``make dev``: ``.composer/`` in the checkout, or ``$COMPOSER_DATA_DIR``), users'
data persists (``local.persistence``): the journal of an earlier run is replayed into the fresh
tables and bucket once they and the template's file assets exist, before the shipped models are
registered from the checkout (so a newer shipped model replaces the stored one, and only users' data is journaled);
work left in flight is closed with a reason; stream delivery resumes where it stopped. Without one
(``LocalRuntime()`` in tests, ``--in-memory``) everything is gone when the runtime stops.
Ctrl-C (or SIGTERM) stops everything cleanly, running training subprocesses included; a SIGKILL
takes them along too (``PR_SET_PDEATHSIG``), and the next start kills any recorded one still alive.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local.api_routes import RouteTable
from local.api_server import DEFAULT_USER, REQUEST_TIMEOUT_SECONDS, ApiServer, Router
from local.cloudformation import (
    REPO_ROOT,
    LocalFunction,
    LocalResources,
    Resolver,
    binary_media_types,
    cloud_assembly,
    collect_functions,
    collect_stream_mappings,
    create_buckets,
    create_queues,
    create_sagemaker_resources,
    create_state_machines,
    create_tables,
    file_assets,
    run_sdk_custom_resources,
    stack_template,
    upload_file_assets,
)
from local.gateway_rules import GatewayRules
from local.lambda_context import LOCAL_CREDENTIALS, LOCAL_REGION
from local.persistence.datadir import DataDir, DataDirInUse, default_data_dir
from local.persistence.interrupted import close_interrupted_work
from local.persistence.journal import Journal
from local.studio_files import StudioFiles
from local.triggers import StreamPoller, StreamSubscription, parse_filter_criteria
from shared.contract import Env

log = logging.getLogger("local.runtime")

API_FUNCTION = "api"
# Local-only settings: credentials moto accepts (never real ones), and no X-Ray daemon to send to.
LOCAL_ENVIRONMENT = {
    **LOCAL_CREDENTIALS,
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_REGION": LOCAL_REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
}
# Training jobs run from a fresh copy of the source dir, as on SageMaker; pointing the model's parsed
# corpus cache at the checkout's lets every local job reuse what earlier ones parsed (a warm cache,
# not data: a cold one only costs parse time).
DATA_CACHE_ENV = "COMPOSER_DATA_CACHE"
# Variables each function sets for itself on AWS; in one process they are applied while its module
# is imported (Powertools reads them then), never process-wide.
PER_FUNCTION = frozenset({Env.SERVICE_NAME})


class LocalRuntime:
    """Everything of ``make dev`` behind one context manager, so tests start exactly what users do."""

    def __init__(
        self,
        port: int = 8000,
        *,
        gateway_port: int = 0,
        poll_seconds: int = 2,
        default_user: str = DEFAULT_USER,
        refresh_template: bool = False,
        assembly: Path | None = None,
        data_dir: Path | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.port = port
        self.data_dir = data_dir
        self.request_timeout = request_timeout
        self.data: DataDir | None = None
        self.gateway_port = gateway_port
        self.poll_seconds = poll_seconds
        self.default_user = default_user
        self.refresh_template = refresh_template
        self.assembly = assembly
        self.resources: LocalResources | None = None
        self.handlers: dict[str, Any] = {}
        self._stack = contextlib.ExitStack()
        self._saved_env: dict[str, str | None] = {}
        self.api: ApiServer | None = None
        self._binary_media_types: list[str] | None = None
        self._gateway_rules: GatewayRules | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalRuntime:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        started = time.monotonic()
        _check_port_free(self.port)
        self._setenv(LOCAL_ENVIRONMENT)
        if not os.environ.get(DATA_CACHE_ENV):
            self._setenv({DATA_CACHE_ENV: str(REPO_ROOT / ".cache" / "composer-data")})
        assembly = self.assembly or cloud_assembly(refresh=self.refresh_template)
        stack, template = stack_template(assembly)
        log.info("Template ready (%.1fs)", time.monotonic() - started)

        journal = self._open_data_dir()
        gateway = self._start_gateway(journal)  # exports AWS_ENDPOINT_URL and MOTO_PORT while it runs
        _reset_store_clients()

        resolver = Resolver(stack, template)
        out = LocalResources(stack=stack)
        create_tables(resolver, template, out)
        create_buckets(resolver, template, out)
        create_queues(resolver, template, out)
        create_state_machines(
            resolver,
            template,
            out,
            load_definition=_load_definition,
            overrides={"PollSeconds": str(self.poll_seconds)},
        )
        upload_file_assets(resolver, file_assets(assembly))
        if journal is not None:  # after the assets: a replayed user endpoint loads the inference code from them
            applied, refused = gateway.replay()
            log.info("Replayed %d journaled write(s) from %s (%d refused)", applied, self.data_dir, refused)
        create_sagemaker_resources(resolver, template, out)
        collect_functions(resolver, template, out)
        collect_stream_mappings(resolver, template, out)
        self.resources = out
        self._binary_media_types = binary_media_types(template)
        self._gateway_rules = GatewayRules.from_template(template)

        log.info("Resources created (%.1fs); importing %d functions", time.monotonic() - started, len(out.functions))
        self._setenv(_shared_environment(out.functions.values()))
        for function in out.functions.values():
            handler = _import_handler(function)
            self.handlers[function.name] = handler
            gateway.register_lambda(function.name, handler)
        log.info(
            "Functions ready (%.1fs); waiting for %d shipped model endpoint(s)",
            time.monotonic() - started,
            len(out.endpoints),
        )
        self._wait_endpoints_in_service(gateway.sagemaker.endpoint_names())
        registered = run_sdk_custom_resources(resolver, template)
        log.info("Registered %d shipped model(s)", registered)
        if journal is not None:
            gateway.start_journaling()
            close_interrupted_work()
            # On a stop, after the HTTP server and the pollers (closed first) and before the gateway
            # ends the training jobs: what cannot finish is recorded now with the same reasons, so a
            # workflow seeing its job terminated cannot record it as a user's stop.
            self._stack.callback(_close_at_stop, gateway)

        for mapping in out.streams:
            function = self._function_named(mapping.function)
            poller = StreamPoller(
                StreamSubscription(
                    stream_arn=mapping.stream_arn,
                    function_name=function.name,
                    handler=self.handlers[function.name],
                    batch_size=mapping.batch_size,
                    starting_position=mapping.starting_position,
                    filter_patterns=parse_filter_criteria(mapping.filter_criteria),
                    max_retries=mapping.max_retries,
                    report_batch_item_failures=mapping.report_batch_item_failures,
                    on_failure=_sqs_destination(mapping.on_failure_arn) if mapping.on_failure_arn else None,
                ),
                poll_seconds=0.2,
                positions=self.data.streams if self.data is not None else None,
            )
            self._stack.enter_context(poller)

        api = self._api_function(out)
        self.api = ApiServer(
            self.handlers[api.name],
            port=self.port,
            function_name=api.name,
            router=self._router(template, out),
            default_user=self.default_user,
            binary_media_types=self._binary_media_types,
            gateway_check=self._gateway_rules.check,
            gateway_response=self._gateway_rules.respond,
            request_timeout=self.request_timeout or REQUEST_TIMEOUT_SECONDS,
            studio=StudioFiles(REPO_ROOT / "studio" / "dist"),
        )
        self._stack.enter_context(self.api)
        log.info("Local runtime up in %.1fs", time.monotonic() - started)

    def stop(self) -> None:
        self._stack.close()
        if self.data is not None:
            self.data.close()
            self.data = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self.api is None:
            raise RuntimeError("The runtime is not started")
        return self.api.url

    # --- steps -------------------------------------------------------------------------------

    def _open_data_dir(self) -> Journal | None:
        """Lock the data folder, end processes a killed run left behind, and open its journal."""
        if self.data_dir is None:
            return None
        self.data = DataDir(self.data_dir)
        self.data.processes.kill_stale()
        journal = Journal.open(self.data.journal_path)
        self._stack.callback(journal.close)
        return journal

    def _start_gateway(self, journal: Journal | None) -> Any:
        from local.aws_gateway import AwsGateway

        options: dict[str, Any] = {}
        if self.data is not None:
            options = {"work_dir": self.data.fresh_scratch(), "processes": self.data.processes}
        gateway = self._stack.enter_context(AwsGateway(port=self.gateway_port, journal=journal, **options))
        # The in-process Lambda handlers' boto3 calls skip the socket; see InProcessTransport.
        gateway.serve_in_process()
        return gateway

    def _setenv(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def _function_named(self, name: str) -> LocalFunction:
        assert self.resources is not None
        for function in self.resources.functions.values():
            if function.name == name or function.logical_id == name:
                return function
        raise LookupError(f"The template maps a stream to {name!r}, which is not one of its Python functions")

    def _router(self, template: dict[str, Any], out: LocalResources) -> Router:
        """Requests to the function the template's REST API integrates at that path (api, media)."""
        table = RouteTable.from_template(template)
        unknown = table.functions() - set(out.functions)
        if unknown:
            raise LookupError(
                f"The REST API integrates {sorted(unknown)}, which are not Python functions of the template"
            )

        def route(method: str, path: str) -> tuple[str, Any] | None:
            logical = table.function_for(method, path)
            if logical is None:
                return None
            name = out.functions[logical].name
            return name, self.handlers[name]

        return route

    @staticmethod
    def _api_function(out: LocalResources) -> LocalFunction:
        for function in out.functions.values():
            if function.description.get("name") == API_FUNCTION or function.module == f"lambdas.{API_FUNCTION}.handler":
                return function
        raise LookupError("The template has no 'api' function")

    def _wait_endpoints_in_service(self, endpoints: list[str], timeout: float = 300) -> None:
        """Endpoints load their model in the background, as on AWS; the first composition should not wait.

        These are the shipped models' and, after a restart, those of users' models re-created from
        their stored artifacts by the replay.
        """
        import boto3

        sm = boto3.client("sagemaker")
        deadline = time.monotonic() + timeout
        for endpoint_name in endpoints:
            while True:
                status = sm.describe_endpoint(EndpointName=endpoint_name)
                if status["EndpointStatus"] == "InService":
                    break
                if status["EndpointStatus"] == "Failed":
                    # Training and the rest still work; compositions with this model will report the failure.
                    log.error("Endpoint %s failed: %s", endpoint_name, status.get("FailureReason"))
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"Endpoint {endpoint_name} not InService after {timeout:.0f}s")
                time.sleep(0.2)


def _close_at_stop(gateway: Any) -> None:
    gateway.wait_for_async_invocations(30)
    close_interrupted_work()


def _sqs_destination(queue_arn: str) -> Any:
    """An on-failure destination that sends Lambda's failure record to the queue, as on AWS."""
    import boto3

    if ":sqs:" not in queue_arn:
        raise RuntimeError(f"Only SQS on-failure destinations run locally, not {queue_arn}")
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]

    def send(record: dict[str, Any]) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))

    return send


def _check_port_free(port: int) -> None:
    """Fail in the first second, not after the whole start, when the API port is taken."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SystemExit(f"Port {port} is in use ({exc.strerror}); pick another: PORT={port + 1} make dev") from exc


def _load_definition(substitutions: dict[str, str]) -> str:
    from statemachine.definition import load_definition

    return load_definition(substitutions)


def _reset_store_clients() -> None:
    """Drop boto3 clients created before ``AWS_ENDPOINT_URL`` was set (none on a clean start)."""
    with contextlib.suppress(ImportError):
        from shared.store import aws

        aws.reset()


def _shared_environment(functions: Any) -> dict[str, str]:
    """The variables all in-process functions see: each function's, except the per-function ones.

    Two functions giving one variable different values would make one of them read the wrong value
    here, so that is refused loudly instead.
    """
    merged: dict[str, str] = {}
    owners: dict[str, str] = {}
    for function in functions:
        for name, value in function.environment.items():
            if name in PER_FUNCTION:
                continue
            if name in merged and merged[name] != value:
                raise RuntimeError(
                    f"{name} is {merged[name]!r} for {owners[name]} but {value!r} for {function.name}; "
                    "in-process functions share one environment"
                )
            merged[name], owners[name] = value, function.name
    return merged


_import_lock = threading.Lock()


def _import_handler(function: LocalFunction) -> Any:
    """Import ``function``'s handler with its own per-function variables applied, as a cold start would."""
    with _import_lock:
        saved = {name: os.environ.get(name) for name in PER_FUNCTION}
        try:
            for name in PER_FUNCTION:
                if name in function.environment:
                    os.environ[name] = function.environment[name]
            module = importlib.import_module(function.module)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return getattr(module, function.attribute)


# --- command line -----------------------------------------------------------------------------


def banner(url: str, data_dir: Path | None) -> str:
    kept = (
        f"your work is kept in {data_dir} (make dev-reset wipes it)"
        if data_dir
        else "data in memory: it is gone when you stop"
    )
    return f"""
  Composer backend running locally at {url}
  ({kept}; Ctrl-C to stop)

  Try:
    curl -s {url}/health
    curl -s {url}/models
    curl -s -X POST {url}/compositions -H 'Content-Type: application/json' \\
         -d '{{"melodyId": "sample-ode-to-joy", "modelId": "bach-chorales"}}'
    .venv/bin/composer compose sample-ode-to-joy --model bach-chorales --out song.mid
"""


@contextlib.contextmanager
def _signals_raise_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C, so ``kill`` and process managers stop the runtime cleanly too; and
    SIGINT is handled even when the shell that started us in the background set it to be ignored."""

    def raise_interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, raise_interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.runtime", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT") or 8000),
        help="API port on 127.0.0.1 (default: $PORT or 8000; 0 picks a free one)",
    )
    parser.add_argument(
        "--gateway-port",
        type=int,
        default=int(os.environ.get("AWS_GATEWAY_PORT") or 0),
        help="port of the local AWS endpoint (default: a free one)",
    )
    parser.add_argument(
        "--poll-seconds",
        type=int,
        default=int(os.environ.get("LOCAL_POLL_SECONDS") or 2),
        help="how often the training workflow polls its job (AWS: 60)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where users' data persists (default: $COMPOSER_DATA_DIR or .composer/ in the checkout)",
    )
    parser.add_argument("--in-memory", action="store_true", help="keep nothing: all data is gone at stop")
    parser.add_argument("--refresh-template", action="store_true", help="synthesize again even if cached")
    parser.add_argument(
        "--assembly",
        type=Path,
        default=None,
        help="use this synthesized cloud assembly (e.g. cdk.out) instead of synthesizing",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    runtime = LocalRuntime(
        args.port,
        gateway_port=args.gateway_port,
        poll_seconds=args.poll_seconds,
        refresh_template=args.refresh_template,
        assembly=args.assembly,
        data_dir=None if args.in_memory else (args.data_dir or default_data_dir(REPO_ROOT)),
    )
    if runtime.data_dir is not None:
        print(f"Data folder: {runtime.data_dir}", flush=True)
    with _signals_raise_interrupt():
        try:
            runtime.start()
            print(banner(runtime.url, runtime.data_dir), flush=True)
            print(f"READY {runtime.url}", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nStopping...", flush=True)
        except DataDirInUse as exc:
            print(exc, file=sys.stderr, flush=True)
            return 1
        finally:
            runtime.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
