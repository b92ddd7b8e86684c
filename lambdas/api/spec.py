"""The OpenAPI document of a resolver, generated from its routes and the pydantic models.

It takes the resolver as an argument instead of importing the assembled app, so that the app can
serve its own document (``GET /openapi.json``) and answer 405 from it without an import cycle. The
OpenAPI and JSON-schema machinery is imported on first use, never at cold start (about a third of
the api function's import time).
``POST /melodies`` parses its body itself (three forms, two media types), so its request body is
described here from the same models.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from shared.schemas import MelodyMidiIn, MelodyNotesIn

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

API_VERSION = "1.0.0"
TITLE = "Composer backend API"
DESCRIPTION = (
    "The open-source replacement for the AWS DeepComposer backend. Every route except /health and "
    "/openapi.json needs a Cognito ID token (`Authorization` header); callers see only their own "
    'resources plus the built-in ones. Errors are `{"error": {"code", "message"}}`; lists page '
    "with `limit` and `nextToken`; POSTs accept an `Idempotency-Key` header."
)


def document(resolver: APIGatewayRestResolver) -> dict[str, Any]:
    """The document as a JSON-ready dict."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    schema: dict[str, Any] = resolver.get_openapi_schema(
        title=TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        security_schemes={
            "cognito": APIKey.model_validate(
                {"name": "Authorization", "in": APIKeyIn.header, "description": "A Cognito user-pool ID token."}
            )
        },
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    _describe_melody_upload(schema)
    return schema


@cache
def document_json(resolver: APIGatewayRestResolver) -> str:
    """The document as served and checked in: built once per resolver, on first use."""
    return json.dumps(document(resolver), indent=2, sort_keys=True) + "\n"


def _describe_melody_upload(schema: dict[str, Any]) -> None:
    from pydantic.json_schema import models_json_schema

    _, definitions = models_json_schema(
        [(MelodyMidiIn, "validation"), (MelodyNotesIn, "validation")],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions.get("$defs", {}))
    schema["paths"]["/melodies"]["post"]["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/MelodyMidiIn"},
                        {"$ref": "#/components/schemas/MelodyNotesIn"},
                    ]
                }
            },
            "audio/midi": {"schema": {"type": "string", "format": "binary"}},
        },
    }
