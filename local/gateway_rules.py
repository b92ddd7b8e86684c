"""What API Gateway itself does to a request before the Lambda sees it, read from the template, so
a local client meets the same answers as a deployed one: request bodies checked against the
method's request model (``RequestValidator`` with ``ValidateRequestBody``), and a failure answered
with the API's ``BAD_REQUEST_BODY`` gateway response (its status, headers and body template).

The validation message names each offending field and the rule it breaks, never the value sent
(a 100,000-character field must not come back in the answer), and a document nested deeper than
``MAX_JSON_DEPTH`` is refused before the validator walks it (it would exhaust the stack).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft4Validator

Reply = tuple[int, list[tuple[str, str]], bytes]

MAX_JSON_DEPTH = 64
_MAX_MESSAGE = 400
_MAX_ERRORS = 3


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
        paths = resource_paths(resources)
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
            if json_depth(body) > MAX_JSON_DEPTH:
                return self._bad_body(f"[Invalid request body: JSON nested deeper than {MAX_JSON_DEPTH} levels]")
            try:
                document = json.loads(body or b"null")
            except (ValueError, RecursionError):
                return self._bad_body("[Invalid request body: not JSON (UTF-8)]")
            errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
            if errors:
                described = ", ".join(_describe(e) for e in errors[:_MAX_ERRORS])
                if len(errors) > _MAX_ERRORS:
                    described += f" and {len(errors) - _MAX_ERRORS} more"
                return self._bad_body("[" + _clip(described, _MAX_MESSAGE) + "]")
            return None
        return None

    def _bad_body(self, validation_errors: str) -> Reply:
        return self.respond("BAD_REQUEST_BODY", 400, "Invalid request body", validation_errors)

    def respond(self, response_type: str, status: int, message: str, validation_errors: str = "") -> Reply:
        """The API's gateway response of ``response_type`` (else its DEFAULT_4XX/5XX) for a refusal the
        gateway makes itself: its status (``status`` when the response leaves it to the error), headers
        and body template, with ``message`` as ``$context.error.messageString``."""
        default = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        spec = self.responses.get(response_type) or self.responses.get(default) or {}
        status = int(spec.get("StatusCode") or status)
        headers = [("Content-Type", "application/json")]
        for key, value in (spec.get("ResponseParameters") or {}).items():
            if key.startswith("gatewayresponse.header.") and isinstance(value, str):
                headers.append((key.removeprefix("gatewayresponse.header."), value.strip("'")))
        template = (spec.get("ResponseTemplates") or {}).get("application/json")
        if not template:
            return status, headers, json.dumps({"message": message}).encode()
        escaped = json.dumps(validation_errors)[1:-1]  # the value sits inside a JSON string in the template
        body = template.replace("$context.error.validationErrorString", escaped)
        body = body.replace("$context.error.messageString", json.dumps(message))
        return status, headers, body.encode()


def _ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def resource_paths(resources: dict[str, dict[str, Any]]) -> dict[str, str]:
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


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """How deep the brackets of a JSON text nest (strings left out; 0 when too few to pass the limit),
    found without parsing it, so without recursion."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0
    steps = (1 if bracket in (b"[", b"{") else -1 for bracket in _BRACKET.findall(_STRING.sub(b"", body)))
    return max(itertools.accumulate(steps), default=0)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_RULES: dict[str, Callable[[Any], str]] = {
    "maxLength": lambda v: f"must be at most {v} characters long",
    "minLength": lambda v: f"must be at least {v} characters long",
    "maximum": lambda v: f"must be at most {v}",
    "minimum": lambda v: f"must be at least {v}",
    "maxItems": lambda v: f"must have at most {v} items",
    "minItems": lambda v: f"must have at least {v} items",
    "type": lambda v: f"must be of type {v}",
    "pattern": lambda v: f"must match the pattern {_clip(str(v), 80)}",
    "enum": lambda v: f"must be one of {_clip(json.dumps(v), 120)}",
}


def _names(names: list[str]) -> str:
    return _clip(", ".join(repr(_clip(str(n), 40)) for n in names), 160)


def _rule(error: Any) -> str:
    """What the schema asks, in words; of what was sent, only property names (clipped), never values."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required":
        return "lacks the required property " + _names([n for n in error.validator_value if n not in instance])
    if error.validator == "additionalProperties":
        defined = error.schema.get("properties") or {}
        return "has properties the request model does not define: " + _names([n for n in instance if n not in defined])
    words = _RULES.get(error.validator)
    return words(error.validator_value) if words else f"breaks the request model's {error.validator!r} rule"


def _describe(error: Any) -> str:
    where = "/".join(_clip(str(p), 40) for p in error.absolute_path)
    return f"'{where or '(root)'}' {_rule(error)} ({error.validator})"
