"""Lambda: the asynchronous hand-off from the API to the composition worker."""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.exceptions import ClientError

from shared.contract import Env
from shared.store import aws
from shared.store.errors import DispatchError

COMPOSE_WORKER_ENV = Env.COMPOSE_WORKER_FUNCTION


def invoke_async(function_env: str, payload: dict[str, Any]) -> None:
    """Queue one asynchronous invocation (``InvocationType=Event``) of the function named in ``function_env``."""
    try:
        aws.client("lambda").invoke(
            FunctionName=os.environ[function_env], InvocationType="Event", Payload=json.dumps(payload).encode()
        )
    except ClientError as exc:
        raise DispatchError(exc.response.get("Error", {}).get("Message", str(exc))) from exc
