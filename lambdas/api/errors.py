"""The one mapping from exceptions to HTTP answers: ``{"error": {"code", "message"}}`` with the
status each typed error carries. Bad input is always a 4xx; only a fault of ours is a 500.
"""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from botocore.exceptions import ClientError
from pydantic import ValidationError

from lambdas.api.observability import logger
from lambdas.api.routing import allowed_methods
from shared.contract import Env
from shared.errors import ComposerError
from shared.store.errors import THROTTLING_CODES

# A throttled call reaching us has already been retried with backoff by the SDK: the caller should
# come back in a moment.
RETRY_AFTER_SECONDS = 2


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": {"code": code, "message": message}}),
        headers=headers,
    )


def from_composer_error(exc: ComposerError) -> Response[str]:
    return error_response(exc.status, exc.code, exc.message)


def proxy_error(exc: ComposerError) -> dict[str, Any]:
    """The same error as a finished proxy response, for rejections before the resolver runs."""
    return {
        "statusCode": exc.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON, **cors_headers()},
        "body": json.dumps({"error": {"code": exc.code, "message": exc.message}}),
        "isBase64Encoded": False,
    }


def cors_headers() -> dict[str, str]:
    return {"Access-Control-Allow-Origin": allowed_origin()}


def allowed_origin() -> str:
    """The console's origin (``CORS_ALLOW_ORIGIN``, set by the deployment); any origin when unset."""
    return os.environ.get(Env.CORS_ALLOW_ORIGIN, "*")


def describe_errors(errors: list[dict[str, Any]]) -> str:
    """``body.melodyId: Field required; query.limit: ...``: where, and what is wrong there."""
    parts = []
    for error in errors[:10]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "response")
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "The request is invalid."


def from_validation_error(exc: RequestValidationError) -> Response[str]:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "INVALID_JSON", "The request body is not valid JSON.")
    return error_response(422, "VALIDATION_ERROR", describe_errors(errors))


def from_pydantic_error(exc: ValidationError) -> Response[str]:
    errors = [{"loc": ("body", *e["loc"]), "msg": e["msg"]} for e in exc.errors()]
    return error_response(422, "VALIDATION_ERROR", describe_errors(errors))


def register(app: Any) -> None:
    """Attach every handler to the resolver ``app``."""

    @app.exception_handler(ComposerError)
    def _composer(exc: ComposerError) -> Response[str]:
        if exc.status >= 500:
            logger.error("service error", exc_info=exc)
        return from_composer_error(exc)

    @app.exception_handler(RequestValidationError)
    def _validation(exc: RequestValidationError) -> Response[str]:
        return from_validation_error(exc)

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(exc: RequestUnsupportedContentType) -> Response[str]:
        return error_response(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.")

    @app.exception_handler(ValidationError)
    def _pydantic(exc: ValidationError) -> Response[str]:
        return from_pydantic_error(exc)

    @app.exception_handler(IdempotencyValidationError)
    def _key_reused(exc: IdempotencyValidationError) -> Response[str]:
        return error_response(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was already used with a different request; use a new key.",
        )

    @app.exception_handler(IdempotencyAlreadyInProgressError)
    def _in_progress(exc: IdempotencyAlreadyInProgressError) -> Response[str]:
        return error_response(
            409,
            "IDEMPOTENCY_IN_PROGRESS",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        )

    @app.exception_handler(ClientError)
    def _aws(exc: ClientError) -> Response[str]:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in THROTTLING_CODES:
            logger.warning("throttled by AWS", extra={"awsErrorCode": code})
            return error_response(
                503,
                "SERVICE_BUSY",
                "The service is busy right now; try again in a few seconds.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        logger.exception("unhandled error")
        return error_response(500, "INTERNAL_ERROR", "Something went wrong on our side; try again later.")

    @app.not_found
    def _not_found(exc: Exception) -> Response[str]:
        event = app.current_event
        allowed = allowed_methods(app, event.path)
        if allowed:
            return error_response(
                405,
                "METHOD_NOT_ALLOWED",
                f"{event.path} does not answer {event.http_method}; use {', '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
        return error_response(404, "ROUTE_NOT_FOUND", f"There is no route {event.http_method} {event.path}.")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(500, "INTERNAL_ERROR", "Something went wrong on our side; try again later.")
