"""Local SageMaker hosting: models, endpoint configs, endpoints and InvokeEndpoint.

An endpoint loads its model the way the PyTorch inference container does: the artifact
(``model.tar.gz`` in S3, or a local directory or tarball for a shipped model) is unpacked, the entry
module named by ``SAGEMAKER_PROGRAM`` is imported and ``model_fn`` runs once; every invocation then
goes ``input_fn -> predict_fn -> output_fn``. Serverless ``MaxConcurrency`` is enforced as on AWS (a
request over the limit is throttled), so callers meet the same back-pressure locally.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

from local.sagemaker import storage
from local.sagemaker.errors import SageMakerError

LOG = logging.getLogger(__name__)

DEFAULT_ACCEPT = "application/json"
_DEFAULT_PROGRAM = "inference.py"
_import_lock = threading.Lock()


@dataclass
class LoadedModel:
    handlers: ModuleType
    model: Any


@dataclass
class Endpoint:
    name: str
    arn: str
    config_name: str
    created: float
    status: str = "Creating"
    failure_reason: str | None = None
    modified: float = field(default_factory=time.time)
    loaded: LoadedModel | None = None
    slots: threading.BoundedSemaphore | None = None

    def describe(self, config: dict[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "EndpointName": self.name,
            "EndpointArn": self.arn,
            "EndpointConfigName": self.config_name,
            "EndpointStatus": self.status,
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
        }
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        if config and self.status == "InService":
            out["ProductionVariants"] = [
                {
                    "VariantName": v["VariantName"],
                    "CurrentWeight": 1.0,
                    "DesiredWeight": 1.0,
                    **({"CurrentServerlessConfig": v["ServerlessConfig"]} if "ServerlessConfig" in v else {}),
                }
                for v in config["ProductionVariants"]
            ]
        return out


def handlers_module(s3: Any, environment: dict[str, str], model_dir: Path, work_dir: Path) -> ModuleType:
    """Import the entry module the container would: ``SAGEMAKER_PROGRAM`` from ``code/`` in the
    artifact or from ``SAGEMAKER_SUBMIT_DIRECTORY`` (an S3 ``sourcedir.tar.gz`` or a file directory)."""
    program = environment.get("SAGEMAKER_PROGRAM", _DEFAULT_PROGRAM)
    roots = []
    if (model_dir / "code").is_dir():
        roots.append(str(model_dir / "code"))
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    parsed = urlparse(submit)
    if parsed.scheme == "file":
        roots.append(parsed.path)
    elif parsed.scheme == "s3":
        storage.extract_tar_gz(storage.download_object(s3, submit), work_dir / "code")
        roots.append(str(work_dir / "code"))
    module_name = ".".join(Path(program).with_suffix("").parts)
    with _import_lock:
        for root in roots:
            if root not in sys.path:
                sys.path.append(root)
        return importlib.import_module(module_name)


def resolve_model_data(s3: Any, url: str, target: Path) -> Path:
    """The model directory for ``ModelDataUrl``: an S3 or file ``model.tar.gz``, or a file directory."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        storage.extract_tar_gz(storage.download_object(s3, url), target)
        return target
    if parsed.scheme == "file":
        path = Path(parsed.path)
        if path.is_dir():
            return path
        if path.is_file():
            storage.extract_tar_gz(path.read_bytes(), target)
            return target
        raise FileNotFoundError(f"model data not found: {url}")
    raise ValueError(f"ModelDataUrl must be an s3:// or file:// URL, got {url!r}")


def load(s3: Any, container: dict[str, Any], work_dir: Path) -> LoadedModel:
    """Unpack the artifact and run ``model_fn`` once: what an endpoint does while it is Creating."""
    model_dir = resolve_model_data(s3, container["ModelDataUrl"], work_dir / "model")
    module = handlers_module(s3, container.get("Environment") or {}, model_dir, work_dir)
    if not hasattr(module, "model_fn"):
        raise AttributeError(f"{module.__name__} has no model_fn")
    return LoadedModel(handlers=module, model=module.model_fn(str(model_dir)))


def invoke(endpoint: Endpoint, body: bytes, content_type: str, accept: str | None) -> tuple[bytes, str]:
    """One request through the handlers; handler errors become SageMaker's ``ModelError`` (424)."""
    if endpoint.loaded is None or endpoint.status != "InService":
        raise SageMakerError(
            "ValidationException", f"Endpoint {endpoint.name} is not in service (status {endpoint.status})."
        )
    slots = endpoint.slots
    if slots is not None and not slots.acquire(blocking=False):
        raise SageMakerError(
            "ThrottlingException", f"Endpoint {endpoint.name} is at its MaxConcurrency; retry later.", status=429
        )
    try:
        h = endpoint.loaded.handlers
        accept = accept or DEFAULT_ACCEPT
        try:
            data = h.input_fn(body, content_type)
            prediction = h.predict_fn(data, endpoint.loaded.model)
            result = h.output_fn(prediction, accept)
        except Exception as exc:  # noqa: BLE001 - every handler error is the model's answer, as on SageMaker
            original = 400 if isinstance(exc, (ValueError, TypeError, KeyError)) else 500
            raise SageMakerError(
                "ModelError",
                f'Received {"client" if original == 400 else "server"} error ({original}) from primary with message "{exc}".',
                status=424,
                OriginalStatusCode=original,
                OriginalMessage=str(exc),
            ) from exc
        if isinstance(result, tuple):
            result, accept = result
        if isinstance(result, str):
            result = result.encode("utf-8")
        return bytes(result), accept
    finally:
        if slots is not None:
            slots.release()
