"""``AWS::SageMaker::Model``, ``EndpointConfig`` and ``Endpoint``: the shipped models, in the local
SageMaker (their artifacts uploaded beforehand by ``s3.upload_file_assets``)."""

from __future__ import annotations

from typing import Any

import boto3

from local.cloudformation.model import LocalResources, ShippedEndpoint
from local.cloudformation.registry import provisions
from local.cloudformation.resolver import Resolver
from shared.contract import METADATA_KEY


@provisions("AWS::SageMaker::Model")
def create_model(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    props = resolver.resolve(resource.get("Properties") or {})
    request = {"ModelName": resolver.name(logical), "ExecutionRoleArn": props.get("ExecutionRoleArn")}
    for key in ("PrimaryContainer", "Containers"):
        if key in props:
            request[key] = props[key]
    boto3.client("sagemaker").create_model(**request)


@provisions("AWS::SageMaker::EndpointConfig")
def create_endpoint_config(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    props = resolver.resolve(resource.get("Properties") or {})
    boto3.client("sagemaker").create_endpoint_config(
        EndpointConfigName=resolver.name(logical), ProductionVariants=props["ProductionVariants"]
    )


@provisions("AWS::SageMaker::Endpoint")
def create_endpoint(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    """The endpoint, recorded with its model's artifact (read back from the local SageMaker)."""
    sm = boto3.client("sagemaker")
    props = resolver.resolve(resource.get("Properties") or {})
    name = resolver.name(logical)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=props["EndpointConfigName"])
    variants = sm.describe_endpoint_config(EndpointConfigName=props["EndpointConfigName"])["ProductionVariants"]
    model_name = variants[0]["ModelName"] if variants else ""
    container = sm.describe_model(ModelName=model_name).get("PrimaryContainer") or {} if model_name else {}
    out.endpoints.append(
        ShippedEndpoint(
            endpoint_name=name,
            model_name=model_name,
            model_data_url=container.get("ModelDataUrl"),
            description=(resource.get("Metadata") or {}).get(METADATA_KEY, {}),
        )
    )
