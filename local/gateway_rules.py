"""What API Gateway itself does to a request before the Lambda sees it, read from the template, so
a local client meets the same answers as a deployed one: request bodies checked against the
method's request model (``RequestValidator`` with ``ValidateRequestBody``), and a failure answered
with the API's ``BAD_REQUEST_BODY`` gateway response (its status, headers and body template).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft4Validator

Reply = tuple[int, list[tuple[str, str]], bytes]


@dataclass
class _Rule:
    pattern: re.Pattern[str]
    method: str
    validators: dict[str, Draft4Validator]


@dataclass
class GatewayRules:
    """Body validation per (method, resource path) and the gateway responses, from one REST API."""

    rules: list[_Rule] = field(default_factory=list)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_template(cls, template: dict[str, Any]) -> GatewayRules:
        resources: dict[str, dict[str, Any]] = template.get("Resources", {})
        paths = _resource_paths(resources)
        validates_body = {
            logical
            for logical, r in resources.items()
            if r.get("Type") == "AWS::ApiGateway::RequestValidator"
            and str((r.get("Properties") or {}).get("ValidateRequestBody")).lower() == "true"
        }
        schemas = {
            logical: (r.get("Properties") or {}).get("Schema")
            for logical, r in resources.items()
            if r.get("Type") == "AWS::ApiGateway::Model"
        }
        rules = []
        for r in resources.values():
            if r.get("Type") != "AWS::ApiGateway::Method":
                continue
            props = r.get("Properties") or {}
            if _ref(props.get("RequestValidatorId")) not in validates_body:
                continue
            path = paths.get(_ref(props.get("ResourceId")) or "", "/")
            validators = {
                media.lower(): Draft4Validator(schemas[_ref(model) or ""])
                for media, model in (props.get("RequestModels") or {}).items()
                if isinstance(schemas.get(_ref(model) or ""), dict)
            }
            if validators:
                rules.append(_Rule(_path_pattern(path), str(props.get("HttpMethod", "")).upper(), validators))
        responses = {
            str((r.get("Properties") or {}).get("ResponseType")): r.get("Properties") or {}
            for r in resources.values()
            if r.get("Type") == "AWS::ApiGateway::GatewayResponse"
        }
        return cls(rules, responses)

    def check(self, method: str, path: str, content_type: str | None, body: bytes) -> Reply | None:
        """API Gateway's answer when it would refuse the request itself; None when the Lambda runs."""
        media = (content_type or "application/json").split(";")[0].strip().lower()
        for rule in self.rules:
            if rule.method not in (method.upper(), "ANY") or not rule.pattern.fullmatch(path):
                continue
            validator = rule.validators.get(media) or rule.validators.get("$default")
            if validator is None:
                return None
            try:
                document = json.loads(body or b"null")
            except ValueError:
                return self._bad_body("[Invalid request body: not JSON]")
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
            if errors:
                return self._bad_body("[" + ", ".join(_describe(e) for e in errors[:5]) + "]")
            return None
        return None

    def _bad_body(self, validation_errors: str) -> Reply:
        spec = self.responses.get("BAD_REQUEST_BODY") or self.responses.get("DEFAULT_4XX") or {}
        status = int(spec.get("StatusCode") or 400)
        headers = [("Content-Type", "application/json")]
        for key, value in (spec.get("ResponseParameters") or {}).items():
            if key.startswith("gatewayresponse.header.") and isinstance(value, str):
                headers.append((key.removeprefix("gatewayresponse.header."), value.strip("'")))
        template = (spec.get("ResponseTemplates") or {}).get("application/json")
        if not template:
            return status, headers, json.dumps({"message": "Invalid request body"}).encode()
        escaped = json.dumps(validation_errors)[1:-1]  # the value sits inside a JSON string in the template
        body = template.replace("$context.error.validationErrorString", escaped)
        body = body.replace("$context.error.messageString", json.dumps("Invalid request body"))
        return status, headers, body.encode()


def _ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def _resource_paths(resources: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Logical id of each ``AWS::ApiGateway::Resource`` -> its full path (``/melodies/{proxy+}``)."""
    parents = {
        logical: ((r.get("Properties") or {}).get("ParentId"), (r.get("Properties") or {}).get("PathPart", ""))
        for logical, r in resources.items()
        if r.get("Type") == "AWS::ApiGateway::Resource"
    }
    paths: dict[str, str] = {}

    def path_of(logical: str) -> str:
        if logical not in paths:
            parent, part = parents[logical]
            parent_id = _ref(parent)
            prefix = path_of(parent_id) if parent_id in parents else ""
            paths[logical] = f"{prefix}/{part}"
        return paths[logical]

    for logical in parents:
        path_of(logical)
    return paths


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/") if path.strip("/") else []:
        if segment.endswith("+}"):
            parts.append(".+")
        elif segment.startswith("{"):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{error.message} at '{where or '(root)'}'"
