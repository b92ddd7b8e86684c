"""``AWS::SQS::Queue`` (e.g. the training trigger's dead letters), with its retention and timeout."""

from __future__ import annotations

from typing import Any

import boto3

from local.cloudformation.model import LocalResources
from local.cloudformation.registry import provisions
from local.cloudformation.resolver import Resolver


@provisions("AWS::SQS::Queue")
def create_queue(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    props = resolver.resolve(resource.get("Properties") or {})
    attributes = {
        k: str(props[k]) for k in ("MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds") if k in props
    }
    boto3.client("sqs").create_queue(QueueName=resolver.name(logical), Attributes=attributes)
    out.queues[logical] = resolver.name(logical)
