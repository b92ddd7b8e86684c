"""The checked-in OpenAPI document of the whole REST API: ``python -m lambdas.openapi > openapi.json``.

The API is served by two functions (``api``, and ``media`` for audio and pictures) behind one API
Gateway; the document is both resolvers' documents in one (``lambdas.api.spec`` builds each). The
api function serves this checked-in file at ``GET /openapi.json``; a test fails when the code and
the file drift.
"""

from __future__ import annotations

import json
from typing import Any

from lambdas.api import spec
from lambdas.api.app import app as api_app
from lambdas.media.app import app as media_app


def document() -> dict[str, Any]:
    """The API's document as a JSON-ready dict."""
    return spec.document(api_app, media_app)


def document_json() -> str:
    """The document exactly as checked in and served."""
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(document_json(), end="")
