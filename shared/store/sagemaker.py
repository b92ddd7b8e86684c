"""SageMaker: the runtime call to a model's endpoint, and the control-plane calls the API makes.

Failures of the endpoint become ``EndpointError``/``EndpointTimeout`` with the readable part of the
answer, so the worker can record why a composition failed without knowing botocore.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from shared.store import aws
from shared.store.errors import THROTTLING_CODES, EndpointError, EndpointTimeout

# Serverless inference answers within 60 s or not at all; a little slack for the network.
INVOKE_TIMEOUT_SECONDS = 70
# An endpoint at its MaxConcurrency answers ThrottlingException at once. A burst of compositions
# (Lambda starts a worker per request) must queue for a slot, not fail: the SDK's two attempts are
# far too few, so throttling is retried here with jittered exponential backoff for this long.
THROTTLED_WAIT_SECONDS = 90.0
_BACKOFF_FIRST_SECONDS, _BACKOFF_MAX_SECONDS = 0.05, 4.0


def invoke_endpoint(
    endpoint_name: str, body: bytes, content_type: str = "application/json", accept: str = "application/json"
) -> bytes:
    deadline = time.monotonic() + THROTTLED_WAIT_SECONDS
    backoff = _BACKOFF_FIRST_SECONDS
    while True:
        try:
            return _invoke_once(endpoint_name, body, content_type, accept)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            throttled = error.get("Code") in THROTTLING_CODES
            pause = random.uniform(backoff / 2, backoff)
            if not throttled or time.monotonic() + pause > deadline:
                waited = f" (still throttled after {THROTTLED_WAIT_SECONDS:g} s of retries)" if throttled else ""
                raise EndpointError(f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}{waited}") from exc
        time.sleep(pause)
        backoff = min(backoff * 2, _BACKOFF_MAX_SECONDS)


def _invoke_once(endpoint_name: str, body: bytes, content_type: str, accept: str) -> bytes:
    runtime = aws.client("sagemaker-runtime", read_timeout=INVOKE_TIMEOUT_SECONDS)
    try:
        response = runtime.invoke_endpoint(
            EndpointName=endpoint_name, Body=body, ContentType=content_type, Accept=accept
        )
    except (ReadTimeoutError, ConnectTimeoutError) as exc:
        raise EndpointTimeout(f"endpoint {endpoint_name} did not answer in time") from exc
    except EndpointConnectionError as exc:
        raise EndpointError(f"endpoint {endpoint_name} is unreachable") from exc
    return bytes(response["Body"].read())


def stop_training_job(name: str) -> bool:
    """Ask SageMaker to stop; False when it refuses because the job is unknown or already ending."""
    return _unless_validation_error(lambda: aws.client("sagemaker").stop_training_job(TrainingJobName=name))


def delete_endpoint(name: str) -> bool:
    """Delete an endpoint; False when there is none by that name (already deleted, or never created)."""
    return _unless_validation_error(lambda: aws.client("sagemaker").delete_endpoint(EndpointName=name))


def _unless_validation_error(call: Callable[[], object]) -> bool:
    """SageMaker answers ValidationException for "no such resource" and "not in a state for that"."""
    try:
        call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationException":
            return False
        raise
    return True
