"""``AWS::DynamoDB::Table``: CreateTable from the template's properties (keys, indexes, stream, SSE),
then TTL and point-in-time recovery."""

from __future__ import annotations

from typing import Any

import boto3

from local.cloudformation.model import LocalResources
from local.cloudformation.registry import provisions
from local.cloudformation.resolver import Resolver


@provisions("AWS::DynamoDB::Table")
def create_table(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    client = boto3.client("dynamodb")
    props = resolver.resolve(resource.get("Properties") or {})
    name = resolver.name(logical)
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if request["BillingMode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = props.get(
            "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        )
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(index_kind):
            request[index_kind] = [
                {k: v for k, v in index.items() if k not in ("ContributorInsightsSpecification",)}
                for index in props[index_kind]
            ]
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    sse = props.get("SSESpecification")
    if sse and sse.get("SSEEnabled"):
        request["SSESpecification"] = {"Enabled": True, **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {})}
    description = client.create_table(**request)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and pitr.get("PointInTimeRecoveryEnabled"):
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    resolver.attributes[(logical, "Arn")] = description["TableArn"]
    if description.get("LatestStreamArn"):
        resolver.attributes[(logical, "StreamArn")] = description["LatestStreamArn"]
    out.tables[logical] = name
