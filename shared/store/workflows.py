"""Step Functions: starting the training workflow, idempotently by execution name."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from shared.store import aws


def start_execution(state_machine_arn: str, name: str, payload: dict[str, Any]) -> str | None:
    """Start one execution; None when one by that name already exists (a replayed start is a no-op)."""
    try:
        response = aws.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload, sort_keys=True)
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            return None
        raise
    return str(response["executionArn"])
