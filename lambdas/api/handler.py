"""Lambda entry point of the ``api`` function: ``lambdas.api.handler.lambda_handler``.

Size and content type are checked on the raw event before the resolver parses anything, so an
oversize or mistyped body is a 413/415 and never a JSON or validation error.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.api import idempotency
from lambdas.api.app import app
from lambdas.api.errors import proxy_error
from lambdas.api.observability import logger, metrics, tracer
from lambdas.api.requests import check_envelope
from shared.errors import ComposerError


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.CONFIG.register_lambda_context(context)
    proxy = APIGatewayProxyEvent(event)
    try:
        check_envelope(proxy, (proxy.http_method, (proxy.path or "/").rstrip("/") or "/"))
    except ComposerError as exc:
        return proxy_error(exc)
    return app.resolve(event, context)
