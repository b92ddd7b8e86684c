"""What every router shares: the caller, the list parameters, the Idempotency-Key header and the
documented error answers."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from shared.logic.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.schemas import ErrorBody

AUTH: list[dict[str, list[str]]] = [{"cognito": []}]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
ShareToken = Annotated[str, Path(min_length=1, max_length=128, description="The token from the share link.")]
PictureScale = Annotated[int, Query(ge=1, le=2, description="1 for ordinary screens, 2 for high-density ones.")]
NextToken = Annotated[
    str | None, Query(alias="nextToken", max_length=2048, description="The nextToken of the previous page.")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="Repeat a POST safely: the same key replays the first answer.",
    ),
]
DEFAULT_PAGE = DEFAULT_LIMIT

_ERRORS = {
    400: "Malformed request (bad JSON, bad nextToken, unreadable MIDI).",
    401: "No user identity.",
    404: "No such resource for this caller.",
    409: "The resource is not in a state that allows this.",
    413: "The body is too large.",
    415: "Unsupported Content-Type.",
    422: "The request breaks a rule; the message says which.",
    429: "Too many requests: a limit of the deployment (e.g. unfinished training jobs per user) is reached.",
    503: "AWS throttled the request after the SDK's retries (SERVICE_BUSY); retry after `Retry-After` seconds.",
}


def errors(*statuses: int, stored: bool = True) -> dict[int, OpenAPIResponse]:
    """OpenAPI answers for the given error statuses, all with the ``ErrorBody`` shape; a route that
    reads or writes a store (``stored``) can also be throttled, so it documents 503 too."""
    return {
        s: {"description": _ERRORS[s], "content": {"application/json": {"model": ErrorBody}}}
        for s in (*statuses, 503)
        if stored or s != 503
    }


def binary(media_type: str, description: str) -> dict[int, OpenAPIResponse]:
    return {
        200: {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}
    }
