"""The local SageMaker control plane and runtime: the API calls this project uses, with real effects.

``LocalSageMaker.call(action, body)`` answers a JSON-1.1 SageMaker call (``X-Amz-Target:
SageMaker.<action>``) and ``invoke_endpoint`` answers sagemaker-runtime; the gateway puts both on
the one local AWS endpoint. Errors are :class:`SageMakerError` with SageMaker's codes, so boto3
raises the same ``ClientError`` locally as on AWS.

Quota (a product knob, as an account's service quota is on AWS): ``max_concurrent_training_jobs``
makes ``CreateTrainingJob`` answer ``ResourceLimitExceeded`` when that many jobs are in progress.
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.sagemaker import hosting
from local.sagemaker.errors import SageMakerError, limit_exceeded, validation
from local.sagemaker.training import ProcessRegistry, TrainingJob

LOG = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_REQUIRED_TRAINING = ("AlgorithmSpecification", "RoleArn", "OutputDataConfig", "ResourceConfig", "StoppingCondition")


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise validation(
            f"1 validation error detected: Value '{name}' at '{kind}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
        )
    return name


class LocalSageMaker:
    """SageMaker for one local account: training jobs, models, endpoint configs and endpoints."""

    def __init__(
        self,
        s3_client_factory: Callable[[], Any],
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        work_dir: Path | None = None,
        python: str = sys.executable,
        max_concurrent_training_jobs: int | None = None,
        checkpoint_sync_seconds: float = 1.0,
        stop_grace_seconds: float = 10.0,
        processes: ProcessRegistry | None = None,
    ) -> None:
        self._s3_factory = s3_client_factory
        self.region = region
        self.account = account
        self._owns_work_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="local-sagemaker-"))
        self._python = python
        self.max_concurrent_training_jobs = max_concurrent_training_jobs
        self._sync_seconds = checkpoint_sync_seconds
        self._grace = stop_grace_seconds
        self._processes = processes
        self._lock = threading.Lock()
        self._jobs: dict[str, TrainingJob] = {}
        self._models: dict[str, dict[str, Any]] = {}
        self._configs: dict[str, dict[str, Any]] = {}
        self._endpoints: dict[str, hosting.Endpoint] = {}

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{kind}/{name.lower()}"

    # --- dispatch --------------------------------------------------------------------------------

    def call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Answer one control-plane action; unknown actions are refused as SageMaker would."""
        handler = getattr(self, f"_{re.sub(r'(?<!^)(?=[A-Z])', '_', action).lower()}", None)
        if handler is None or action not in _ACTIONS:
            raise SageMakerError("UnknownOperationException", f"The local SageMaker does not implement {action}.")
        return handler(body)

    # --- training --------------------------------------------------------------------------------

    def _create_training_job(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _check_name("trainingJobName", body.get("TrainingJobName"))
        for key in _REQUIRED_TRAINING:
            if key not in body:
                raise validation(
                    f"1 validation error detected: Value null at '{key[0].lower() + key[1:]}' failed to satisfy constraint: Member must not be null"
                )
        for key, value in (body.get("HyperParameters") or {}).items():
            if not isinstance(value, str) or len(value) > 2500:
                raise validation(f"Hyperparameter {key!r} must be a string of at most 2500 characters.")
        runtime = body["StoppingCondition"].get("MaxRuntimeInSeconds")
        if not isinstance(runtime, int) or runtime < 1:
            raise validation("StoppingCondition.MaxRuntimeInSeconds must be a positive integer.")
        instance_type = body["ResourceConfig"].get("InstanceType", "ml.m5.large")
        with self._lock:
            if name in self._jobs:
                raise SageMakerError(
                    "ResourceInUse",
                    f"Training job names must be unique within an AWS account and region, and a training job with this name already exists ({self._arn('training-job', name)})",
                )
            running = sum(1 for j in self._jobs.values() if j.status in ("InProgress", "Stopping"))
            limit = self.max_concurrent_training_jobs
            if limit is not None and running >= limit:
                raise limit_exceeded(
                    f"The account-level service limit '{instance_type} for training job usage' is {limit} Instances, "
                    f"with current utilization of {running} Instances and a request delta of 1 Instances. "
                    "Please use AWS Service Quotas to request an increase for this quota."
                )
            job = TrainingJob(
                body,
                arn=self._arn("training-job", name),
                s3=self._s3_factory(),
                work_dir=self.work_dir / "training" / name,
                python=self._python,
                checkpoint_sync_seconds=self._sync_seconds,
                stop_grace_seconds=self._grace,
                processes=self._processes,
            )
            self._jobs[name] = job
        job.start()
        return {"TrainingJobArn": self._arn("training-job", name)}

    def _job(self, name: Any) -> TrainingJob:
        with self._lock:
            job = self._jobs.get(name)
        if job is None:
            raise validation("Requested resource not found.")
        return job

    def _describe_training_job(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._job(body.get("TrainingJobName")).describe()

    def _stop_training_job(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self._job(body.get("TrainingJobName"))
        if job.status not in ("InProgress", "Stopping"):
            raise validation(f"The request was rejected because the training job is in status {job.status}.")
        job.stop()
        return {}

    def _list_training_jobs(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            jobs = list(self._jobs.values())
        summaries = []
        for job in jobs:
            d = job.describe()
            summaries.append(
                {
                    k: d[k]
                    for k in (
                        "TrainingJobName",
                        "TrainingJobArn",
                        "CreationTime",
                        "LastModifiedTime",
                        "TrainingJobStatus",
                    )
                }
            )
        status = body.get("StatusEquals")
        return {"TrainingJobSummaries": [s for s in summaries if not status or s["TrainingJobStatus"] == status]}

    # --- models and endpoints --------------------------------------------------------------------

    def _create_model(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _check_name("modelName", body.get("ModelName"))
        container = body.get("PrimaryContainer") or (body.get("Containers") or [None])[0]
        if not container or "ModelDataUrl" not in container:
            raise validation("CreateModel needs PrimaryContainer with a ModelDataUrl.")
        with self._lock:
            if name in self._models:
                raise validation(f'Cannot create already existing model "{self._arn("model", name)}".')
            self._models[name] = {
                "ModelName": name,
                "ModelArn": self._arn("model", name),
                "PrimaryContainer": container,
                "ExecutionRoleArn": body.get("ExecutionRoleArn"),
                "CreationTime": time.time(),
            }
        return {"ModelArn": self._arn("model", name)}

    def _describe_model(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            model = self._models.get(body.get("ModelName"))
        if model is None:
            raise validation(f'Could not find model "{self._arn("model", str(body.get("ModelName")))}".')
        return dict(model)

    def _delete_model(self, body: dict[str, Any]) -> dict[str, Any]:
        self._describe_model(body)
        with self._lock:
            self._models.pop(body["ModelName"], None)
        return {}

    def _create_endpoint_config(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _check_name("endpointConfigName", body.get("EndpointConfigName"))
        variants = body.get("ProductionVariants") or []
        if len(variants) != 1:
            raise validation("The local SageMaker hosts exactly one production variant per endpoint config.")
        with self._lock:
            if name in self._configs:
                raise validation(
                    f'Cannot create already existing endpoint configuration "{self._arn("endpoint-config", name)}".'
                )
            if variants[0].get("ModelName") not in self._models:
                raise validation(f'Could not find model "{variants[0].get("ModelName")}".')
            self._configs[name] = {
                "EndpointConfigName": name,
                "EndpointConfigArn": self._arn("endpoint-config", name),
                "ProductionVariants": variants,
                "CreationTime": time.time(),
            }
        return {"EndpointConfigArn": self._arn("endpoint-config", name)}

    def _describe_endpoint_config(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            config = self._configs.get(body.get("EndpointConfigName"))
        if config is None:
            raise validation(f'Could not find endpoint configuration "{body.get("EndpointConfigName")}".')
        return dict(config)

    def _delete_endpoint_config(self, body: dict[str, Any]) -> dict[str, Any]:
        self._describe_endpoint_config(body)
        with self._lock:
            self._configs.pop(body["EndpointConfigName"], None)
        return {}

    def _create_endpoint(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _check_name("endpointName", body.get("EndpointName"))
        config_name = body.get("EndpointConfigName")
        with self._lock:
            if name in self._endpoints:
                raise validation(f'Cannot create already existing endpoint "{self._arn("endpoint", name)}".')
            config = self._configs.get(config_name)
            if config is None:
                raise validation(f'Could not find endpoint configuration "{config_name}".')
            endpoint = hosting.Endpoint(
                name=name, arn=self._arn("endpoint", name), config_name=config_name, created=time.time()
            )
            self._endpoints[name] = endpoint
        threading.Thread(target=self._bring_up, args=(endpoint, config), name=f"endpoint-{name}", daemon=True).start()
        return {"EndpointArn": endpoint.arn}

    def _bring_up(self, endpoint: hosting.Endpoint, config: dict[str, Any]) -> None:
        variant = config["ProductionVariants"][0]
        try:
            with self._lock:
                model = self._models.get(variant["ModelName"])
            if model is None:
                raise LookupError(f"model {variant['ModelName']} was deleted")
            loaded = hosting.load(
                self._s3_factory(), model["PrimaryContainer"], self.work_dir / "endpoints" / endpoint.name
            )
            concurrency = (variant.get("ServerlessConfig") or {}).get("MaxConcurrency")
            endpoint.slots = threading.BoundedSemaphore(int(concurrency)) if concurrency else None
            endpoint.loaded = loaded
            endpoint.status = "InService"
        except Exception as exc:  # noqa: BLE001 - a model that does not load fails the endpoint, as on SageMaker
            LOG.warning("endpoint %s failed to load its model", endpoint.name, exc_info=True)
            endpoint.status = "Failed"
            endpoint.failure_reason = f"The primary container for production variant {variant['VariantName']} did not pass the ping health check: {exc}"
        endpoint.modified = time.time()

    def _endpoint(self, name: Any) -> hosting.Endpoint:
        with self._lock:
            endpoint = self._endpoints.get(name)
        if endpoint is None:
            raise validation(f'Could not find endpoint "{name}".')
        return endpoint

    def _describe_endpoint(self, body: dict[str, Any]) -> dict[str, Any]:
        endpoint = self._endpoint(body.get("EndpointName"))
        with self._lock:
            config = self._configs.get(endpoint.config_name)
        return endpoint.describe(config)

    def _delete_endpoint(self, body: dict[str, Any]) -> dict[str, Any]:
        endpoint = self._endpoint(body.get("EndpointName"))
        with self._lock:
            self._endpoints.pop(endpoint.name, None)
        shutil.rmtree(self.work_dir / "endpoints" / endpoint.name, ignore_errors=True)
        return {}

    # --- runtime ---------------------------------------------------------------------------------

    def invoke_endpoint(self, name: str, body: bytes, content_type: str, accept: str | None) -> tuple[bytes, str]:
        """sagemaker-runtime InvokeEndpoint: returns the response body and its content type."""
        with self._lock:
            endpoint = self._endpoints.get(name)
        if endpoint is None:
            raise validation(f"Endpoint {name} of account {self.account} not found.")
        return hosting.invoke(endpoint, body, content_type, accept)

    # --- lifecycle -------------------------------------------------------------------------------

    def endpoint_names(self) -> list[str]:
        with self._lock:
            return list(self._endpoints)

    def wait_for_training_jobs(self, timeout: float | None = None) -> bool:
        """Block until every training job has ended; True when they all did within ``timeout``."""
        deadline = None if timeout is None else time.time() + timeout
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if not job.wait(None if deadline is None else max(0.0, deadline - time.time())):
                return False
        return True

    def close(self) -> None:
        """Stop running jobs (terminating their processes) and remove this instance's scratch files."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop()
        for job in jobs:
            job.wait(self._grace + 5)
        if self._owns_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)


_ACTIONS = frozenset(
    {
        "CreateTrainingJob",
        "DescribeTrainingJob",
        "StopTrainingJob",
        "ListTrainingJobs",
        "CreateModel",
        "DescribeModel",
        "DeleteModel",
        "CreateEndpointConfig",
        "DescribeEndpointConfig",
        "DeleteEndpointConfig",
        "CreateEndpoint",
        "DescribeEndpoint",
        "DeleteEndpoint",
    }
)
