"""The local resources, created from the synthesized CloudFormation template, so local and cloud
cannot drift: tables with their keys, indexes and streams; buckets; the training state machine (the
same ASL file, with the template's ``DefinitionSubstitutions`` resolved to local values); the
SageMaker model/endpoint of each shipped model (their artifacts uploaded to the local S3 from the
cloud assembly, where the CDK put them); the Lambda functions' handlers and resolved environments;
and the stream event source mappings.

- ``synth``: the cached cloud assembly, its stack template and file assets;
- ``resolver``: intrinsic functions against local physical names;
- ``registry``: resource type -> provisioner; one module per service registers its types
  (``dynamodb``, ``s3``, ``sqs``, ``stepfunctions``, ``lambda_``, ``sagemaker``, ``custom_resources``).

The functions below are what the local runtime calls, in this order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local.cloudformation import custom_resources, dynamodb, lambda_, s3, sagemaker, sqs, stepfunctions
from local.cloudformation.model import (
    LocalFunction,
    LocalResources,
    ShippedEndpoint,
    StreamMapping,
    TemplateError,
    of_type,
)
from local.cloudformation.registry import PROVISIONERS, provision
from local.cloudformation.resolver import Resolver
from local.cloudformation.s3 import upload_file_assets
from local.cloudformation.synth import REPO_ROOT, SYNTH_CACHE, cloud_assembly, file_assets, stack_template

# The modules above register their provisioners on import.
_REGISTERED = (custom_resources, dynamodb, lambda_, s3, sagemaker, sqs, stepfunctions)

__all__ = [
    "PROVISIONERS",
    "REPO_ROOT",
    "SYNTH_CACHE",
    "LocalFunction",
    "LocalResources",
    "Resolver",
    "ShippedEndpoint",
    "StreamMapping",
    "TemplateError",
    "binary_media_types",
    "cloud_assembly",
    "collect_functions",
    "collect_stream_mappings",
    "create_buckets",
    "create_queues",
    "create_sagemaker_resources",
    "create_state_machines",
    "create_tables",
    "file_assets",
    "run_sdk_custom_resources",
    "stack_template",
    "upload_file_assets",
]


def create_tables(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    provision(resolver, template, out, "AWS::DynamoDB::Table")


def create_buckets(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    provision(resolver, template, out, "AWS::S3::Bucket")


def create_queues(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    provision(resolver, template, out, "AWS::SQS::Queue")


def create_state_machines(
    resolver: Resolver,
    template: dict[str, Any],
    out: LocalResources,
    *,
    load_definition: Callable[[dict[str, str]], str],
    overrides: dict[str, str] | None = None,
) -> None:
    provision(
        resolver,
        template,
        out,
        "AWS::StepFunctions::StateMachine",
        load_definition=load_definition,
        overrides=overrides,
    )


def create_sagemaker_resources(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    """Models first, then endpoint configs, then endpoints: each refers to the one before."""
    for kind in ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"):
        provision(resolver, template, out, kind)


def collect_functions(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    provision(resolver, template, out, "AWS::Lambda::Function")


def collect_stream_mappings(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    provision(resolver, template, out, "AWS::Lambda::EventSourceMapping")


def run_sdk_custom_resources(resolver: Resolver, template: dict[str, Any], out: LocalResources | None = None) -> int:
    """The ``Create`` call of every ``Custom::AWS`` resource; returns how many ran."""
    out = out if out is not None else LocalResources(resolver.stack)
    before = len(out.custom_resources)
    provision(resolver, template, out, "Custom::AWS")
    return len(out.custom_resources) - before


def binary_media_types(template: dict[str, Any]) -> list[str] | None:
    """The REST API's ``BinaryMediaTypes``: which request bodies API Gateway hands over base64-encoded."""
    for _, resource in of_type(template, "AWS::ApiGateway::RestApi"):
        return list((resource.get("Properties") or {}).get("BinaryMediaTypes") or [])
    return None
