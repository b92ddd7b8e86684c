"""Which methods a path has, for answering 405 (with ``Allow``) instead of 404 when the path exists.

Read from the OpenAPI document the resolver generates, so it cannot disagree with the routes; built
on the first wrong-method request only, never at cold start.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from lambdas.api import spec

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


@cache
def _templates(resolver: APIGatewayRestResolver) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    out = []
    for template, operations in spec.document(resolver)["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
        out.append((pattern, tuple(sorted(m.upper() for m in operations))))
    return tuple(out)


def allowed_methods(resolver: APIGatewayRestResolver, path: str) -> list[str]:
    """The methods ``resolver`` routes for ``path`` (empty when no route has that path)."""
    trimmed = path.rstrip("/") or "/"  # the resolver routes "/health/" as "/health"
    return sorted({m for pattern, methods in _templates(resolver) if pattern.match(trimmed) for m in methods})
