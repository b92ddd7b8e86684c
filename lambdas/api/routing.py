"""Which methods a path has, for answering 405 (with ``Allow``) instead of 404 when the path exists.

Read from the OpenAPI document the resolver generates, so it cannot disagree with the routes; built
on the first wrong-method request only, never at cold start.
"""

from __future__ import annotations

import re
from functools import cache


@cache
def _templates() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    from lambdas.api.openapi import document  # the document needs the assembled app

    out = []
    for template, operations in document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
        out.append((pattern, tuple(sorted(m.upper() for m in operations))))
    return tuple(out)


def allowed_methods(path: str) -> list[str]:
    """The methods routed for ``path`` (empty when no route has that path)."""
    trimmed = path.rstrip("/") or "/"  # the resolver routes "/health/" as "/health"
    return sorted({m for pattern, methods in _templates() if pattern.match(trimmed) for m in methods})
