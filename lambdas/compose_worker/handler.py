"""Lambda entry point of the ``compose_worker`` function: ``lambdas.compose_worker.handler.lambda_handler``.

Invoked asynchronously by ``POST /compositions`` with ``{"owner": ..., "compositionId": ...}``.
The function's timeout must stay below ``shared.logic.compositions.RUNNING_LEASE`` so that only a
worker that died lets a lease expire.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contract import METRICS_NAMESPACE, Env, composition_metric
from shared.logic import compose
from shared.settings import WorkerSettings

SERVICE = "compose_worker"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=os.environ.get(Env.METRICS_NAMESPACE, METRICS_NAMESPACE), service=SERVICE)


class WorkerRequest(BaseModel):
    """What the API queues: whose composition, and which one."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    owner: str = Field(min_length=1)
    composition_id: str = Field(alias="compositionId", min_length=1)


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    WorkerSettings.load()
    try:
        request = WorkerRequest.model_validate(event)
    except ValidationError as exc:
        # Retrying a malformed event cannot help: log it and drop it.
        logger.error("malformed worker event", extra={"errors": exc.errors(include_url=False)})
        return {"status": "IGNORED"}
    logger.append_keys(owner=request.owner, composition_id=request.composition_id)
    result = compose.run(request.owner, request.composition_id)
    if result is None:
        return {"status": "SKIPPED"}
    metrics.add_metric(name=composition_metric(result.status), unit=MetricUnit.Count, value=1)
    if result.failure_reason:
        logger.warning("composition failed", extra={"reason": result.failure_reason})
    return {"status": str(result.status), "compositionId": result.id}
