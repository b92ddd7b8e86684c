"""Lambda entry point of the ``media`` function: ``lambdas.media.handler.lambda_handler``.

The caller's identity is checked on the raw event, before any parameter, as in the api function:
without one the answer is a 401 whatever else the request says (a share link's media excepted).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.api.errors import proxy_error
from lambdas.api.requests import caller
from lambdas.media.app import app
from lambdas.media.observability import logger, metrics
from shared.contract import is_public
from shared.errors import ComposerError
from shared.settings import MediaSettings


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    MediaSettings.load()
    proxy = APIGatewayProxyEvent(event)
    try:
        # A share link's picture and audio are public (no authorizer on AWS, no identity needed here).
        if proxy.http_method != "OPTIONS" and not is_public(proxy.http_method, proxy.path or "/"):
            caller(proxy)
    except ComposerError as exc:
        return proxy_error(exc)
    return app.resolve(event, context)
