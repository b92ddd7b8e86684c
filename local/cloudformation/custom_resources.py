"""``Custom::AWS`` (CDK's AwsCustomResource): its ``Create`` SDK call, run as its provider function
would on deploy, e.g. the put of a shipped model's READY record."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
from botocore import xform_name

from local.cloudformation.model import LocalResources
from local.cloudformation.registry import provisions
from local.cloudformation.resolver import Resolver

log = logging.getLogger("local.cloudformation")


@provisions("Custom::AWS")
def run_sdk_call(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    raw = resolver.resolve((resource.get("Properties") or {}).get("Create"))
    if raw is None:
        return
    call = json.loads(raw) if isinstance(raw, str) else raw
    service = _boto3_service(call["service"])
    action = xform_name(call["action"][0].upper() + call["action"][1:])
    parameters = _decode_sdk_parameters(call.get("parameters") or {})
    log.info("Custom resource %s: %s.%s", logical, service, action)
    getattr(boto3.client(service), action)(**parameters)
    out.custom_resources.append(logical)


def _boto3_service(name: str) -> str:
    """AwsCustomResource's service spelling (SDK v2 ``DynamoDB`` or v3 ``@aws-sdk/client-dynamodb``) -> boto3's."""
    name = name.removeprefix("@aws-sdk/client-")
    aliases = {"stepfunctions": "stepfunctions", "sfn": "stepfunctions", "sagemakerruntime": "sagemaker-runtime"}
    key = name.replace("-", "").lower()
    return aliases.get(key, key)


def _decode_sdk_parameters(value: Any) -> Any:
    """AwsCustomResource writes booleans as ``"TRUE:BOOLEAN"``/``"FALSE:BOOLEAN"`` (CloudFormation
    would stringify them); its provider turns them back, and so do we."""
    if isinstance(value, dict):
        return {k: _decode_sdk_parameters(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_sdk_parameters(v) for v in value]
    if value == "TRUE:BOOLEAN":
        return True
    if value == "FALSE:BOOLEAN":
        return False
    return value
