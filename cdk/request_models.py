"""API Gateway request models derived from the pydantic wire models in ``shared.schemas``.

API Gateway validates bodies against JSON Schema draft 4 with no ``$ref`` between documents, while
pydantic emits 2020-12 with ``$defs``. This module inlines the references and rewrites the few
keywords that differ, so the gateway rejects oversized or malformed bodies before any function runs
and the limits are written once, in the wire models.

Two choices keep the gateway from being stricter than the function behind it: the models accept
camelCase *and* snake_case names (``populate_by_name``), so every property is listed under both
names and ``required`` is left to the function (which answers with a message that names the field).
Every string and array keeps its ``maxLength``/``maxItems``, which is what bounds the body size.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel

DRAFT4 = "http://json-schema.org/draft-04/schema#"
_DROP = frozenset({"required", "examples", "const", "discriminator", "deprecated", "readOnly", "writeOnly"})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _convert(node: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    if depth > 20:
        raise ValueError("schema nests too deep (recursive model?) for an API Gateway model")
    if isinstance(node, list):
        return [_convert(n, defs, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return _convert(merged, defs, depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key == "$defs" or (key == "default" and value is None):
            continue  # (a null default would not survive synthesis: CloudFormation drops nulls)
        if key == "exclusiveMinimum" and not isinstance(value, bool):
            out["minimum"], out["exclusiveMinimum"] = value, True
        elif key == "exclusiveMaximum" and not isinstance(value, bool):
            out["maximum"], out["exclusiveMaximum"] = value, True
        elif key == "properties":
            props: dict[str, Any] = {}
            for prop, sub in value.items():
                converted = _convert(sub, defs, depth + 1)
                props[prop] = converted
                props.setdefault(_snake(prop), copy.deepcopy(converted))
            out["properties"] = props
        else:
            out[key] = _convert(value, defs, depth + 1)
    return out


def gateway_schema(*models: type[BaseModel], title: str) -> dict[str, Any]:
    """A draft-4 schema accepting any one of ``models`` (several = the body may take either shape)."""
    converted = []
    for model in models:
        raw = model.model_json_schema(by_alias=True)
        converted.append(_convert(raw, raw.get("$defs", {})))
    schema: dict[str, Any] = converted[0] if len(converted) == 1 else {"type": "object", "anyOf": converted}
    return {"$schema": DRAFT4, **schema, "title": title}
