"""Lambda entry point of the ``api`` function: ``lambdas.api.handler.lambda_handler``.

Identity, size and content type are checked on the raw event before the resolver parses anything:
a caller without identity gets a 401 whatever the body (as API Gateway's authorizer answers before
any validation), and an oversize or mistyped body is a 413/415, never a JSON or validation error.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.api import idempotency
from lambdas.api.app import app
from lambdas.api.errors import proxy_error
from lambdas.api.observability import logger, metrics
from lambdas.api.requests import caller, check_envelope
from shared.contract import is_public
from shared.errors import ComposerError
from shared.settings import ApiSettings


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ApiSettings.load()
    idempotency.CONFIG.register_lambda_context(context)
    proxy = APIGatewayProxyEvent(event)
    route_key = (proxy.http_method, (proxy.path or "/").rstrip("/") or "/")
    try:
        # CORS preflights never reach the function on AWS; locally they must not need an identity either.
        if not is_public(*route_key) and proxy.http_method != "OPTIONS":
            caller(proxy)
        check_envelope(proxy, route_key)
    except ComposerError as exc:
        return proxy_error(exc)
    return app.resolve(event, context)
