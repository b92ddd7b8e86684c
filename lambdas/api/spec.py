"""The OpenAPI document of a resolver, generated from its routes and the pydantic models.

It takes the resolver as an argument instead of importing the assembled app, so that the app can
serve its own document (``GET /openapi.json``) and answer 405 from it without an import cycle. The
OpenAPI and JSON-schema machinery is imported on first use, never at cold start (about a third of
the api function's import time).
``POST /melodies`` parses its body itself (three forms, two media types), so its request body is
described here from the same models.
"""

from __future__ import annotations

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


def document(resolver: APIGatewayRestResolver, *more: APIGatewayRestResolver) -> dict[str, Any]:
    """The document as a JSON-ready dict: of one resolver, or of several functions behind one API
    (their paths and schemas side by side; the first one's routes include ``POST /melodies``)."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    schemas = [
        r.get_openapi_schema(
            title=TITLE,
            version=API_VERSION,
            description=DESCRIPTION,
            security_schemes={
                "cognito": APIKey.model_validate(
                    {"name": "Authorization", "in": APIKeyIn.header, "description": "A Cognito user-pool ID token."}
                )
            },
        ).model_dump(mode="json", by_alias=True, exclude_none=True)
        for r in (resolver, *more)
    ]
    schema: dict[str, Any] = schemas[0]
    for other in schemas[1:]:
        schema["paths"].update(other["paths"])
        schema.setdefault("components", {}).setdefault("schemas", {}).update(
            other.get("components", {}).get("schemas", {})
        )
    _describe_melody_upload(schema)
    return schema


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
