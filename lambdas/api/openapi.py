"""The checked-in OpenAPI document: ``python -m lambdas.api.openapi > openapi.json`` writes it.

A test fails when the code and that copy drift. The document itself is built by ``spec`` from the
assembled ``app``.
"""

from __future__ import annotations

from typing import Any

from lambdas.api import spec
from lambdas.api.app import app


def document() -> dict[str, Any]:
    """The API's document as a JSON-ready dict."""
    return spec.document(app)


def document_json() -> str:
    """The API's document exactly as ``GET /openapi.json`` serves it."""
    return spec.document_json(app)


if __name__ == "__main__":
    print(document_json(), end="")
