"""The OpenAPI document, generated from the resolver and the pydantic models.

``python -m lambdas.api.openapi > openapi.json`` writes the checked-in copy; a test fails when the
code and that copy drift. ``POST /melodies`` parses its body itself (three forms, two media types),
so its request body is described here from the same models.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn
from pydantic.json_schema import models_json_schema

from lambdas.api.app import app
from lambdas.api.routes.service import API_VERSION
from shared.schemas import MelodyMidiIn, MelodyNotesIn

TITLE = "Composer backend API"
DESCRIPTION = (
    "The open-source replacement for the AWS DeepComposer backend. Every route except /health and "
    "/openapi.json needs a Cognito ID token (`Authorization` header); callers see only their own "
    'resources plus the built-in ones. Errors are `{"error": {"code", "message"}}`; lists page '
    "with `limit` and `nextToken`; POSTs accept an `Idempotency-Key` header."
)


def document() -> dict[str, Any]:
    schema = app.get_openapi_schema(
        title=TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        security_schemes={
            "cognito": APIKey(name="Authorization", in_=APIKeyIn.header, description="A Cognito user-pool ID token.")
        },
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    _describe_melody_upload(schema)
    return schema


@cache
def document_json() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def _describe_melody_upload(schema: dict[str, Any]) -> None:
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


if __name__ == "__main__":
    print(document_json(), end="")
