"""SageMaker: the runtime call to a model's endpoint, and the control-plane calls the API makes.

Failures of the endpoint become ``EndpointError``/``EndpointTimeout`` with the readable part of the
answer, so the worker can record why a composition failed without knowing botocore.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from shared.store import aws
from shared.store.errors import EndpointError, EndpointTimeout

# Serverless inference answers within 60 s or not at all; a little slack for the network.
INVOKE_TIMEOUT_SECONDS = 70


def invoke_endpoint(endpoint_name: str, body: bytes, content_type: str = "application/json",
                    accept: str = "application/json") -> bytes:
    runtime = aws.client("sagemaker-runtime", read_timeout=INVOKE_TIMEOUT_SECONDS)
    try:
        response = runtime.invoke_endpoint(EndpointName=endpoint_name, Body=body, ContentType=content_type, Accept=accept)
    except (ReadTimeoutError, ConnectTimeoutError) as exc:
        raise EndpointTimeout(f"endpoint {endpoint_name} did not answer in time") from exc
    except EndpointConnectionError as exc:
        raise EndpointError(f"endpoint {endpoint_name} is unreachable") from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise EndpointError(f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}") from exc
    return response["Body"].read()


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
