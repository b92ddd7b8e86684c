"""Which Lambda function API Gateway hands a request to, read from the template's REST API, so the
local server splits requests between functions exactly as the deployed API does (the media routes
go to the ``media`` function, the rest to ``api``).

Matching follows API Gateway: the resource whose path fits, static segments before ``{param}``
before ``{proxy+}``, then the method (an exact one before ``ANY``). A path whose resource exists
but lacks the method is no route at all (API Gateway answers its ``MISSING_AUTHENTICATION_TOKEN``
gateway response); it never falls back to a sibling resource.

    >>> table = RouteTable.from_template(template)
    >>> table.function_for("GET", "/compositions/cmp-1/audio")
    'MediaFunction'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from local.gateway_rules import resource_paths

# Sort rank of a segment kind: API Gateway prefers the most specific resource.
_STATIC, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class _Resource:
    path: str
    ranks: tuple[int, ...]
    pattern: re.Pattern[str]
    methods: dict[str, str] = field(default_factory=dict)  # method (or ANY) -> function logical id


def _compile(path: str) -> tuple[tuple[int, ...], re.Pattern[str]]:
    ranks, parts = [], []
    for segment in [s for s in path.split("/") if s]:
        if segment.endswith("+}"):
            ranks.append(_GREEDY)
            parts.append("/.+")
        elif segment.startswith("{"):
            ranks.append(_PARAM)
            parts.append("/[^/]+")
        else:
            ranks.append(_STATIC)
            parts.append("/" + re.escape(segment))
    return tuple(ranks), re.compile("".join(parts) or "/")


@dataclass
class RouteTable:
    resources: list[_Resource]

    @classmethod
    def from_routes(cls, routes: dict[tuple[str, str], str]) -> RouteTable:
        """A table from ``{(method, resource path): function}``."""
        by_path: dict[str, _Resource] = {}
        for (method, path), function in routes.items():
            if path not in by_path:
                ranks, pattern = _compile(path)
                by_path[path] = _Resource(path, ranks, pattern)
            by_path[path].methods[method.upper()] = function
        return cls(sorted(by_path.values(), key=lambda r: r.ranks))

    @classmethod
    def from_template(cls, template: dict[str, Any]) -> RouteTable:
        """Every ``AWS::ApiGateway::Method`` with a Lambda proxy integration, by the function's logical id."""
        resources: dict[str, dict[str, Any]] = template.get("Resources", {})
        paths = resource_paths(resources)
        routes: dict[tuple[str, str], str] = {}
        for r in resources.values():
            if r.get("Type") != "AWS::ApiGateway::Method":
                continue
            props = r.get("Properties") or {}
            function = _integrated_function(props.get("Integration"))
            if function is None:
                continue
            resource = props.get("ResourceId")
            logical = resource.get("Ref") if isinstance(resource, dict) else None
            path = paths.get(logical or "", "/")  # the root's id is a GetAtt on the RestApi
            routes[(str(props.get("HttpMethod", "")).upper(), path)] = function
        return cls.from_routes(routes)

    def function_for(self, method: str, path: str) -> str | None:
        """The function that serves ``method path``, or None when API Gateway has no such route."""
        trimmed = path.rstrip("/") or "/"
        for resource in self.resources:  # most specific first
            if resource.pattern.fullmatch(trimmed):
                return resource.methods.get(method.upper()) or resource.methods.get("ANY")
        return None

    def functions(self) -> set[str]:
        return {f for r in self.resources for f in r.methods.values()}


def _integrated_function(integration: Any) -> str | None:
    """The logical id of the function a proxy integration's URI names (``Fn::GetAtt [Fn, Arn]``)."""
    if not isinstance(integration, dict) or integration.get("Type") != "AWS_PROXY":
        return None
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            target = value.get("Fn::GetAtt")
            if isinstance(target, list) and len(target) == 2 and target[1] == "Arn":
                found.append(str(target[0]))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(integration.get("Uri"))
    return found[0] if found else None
