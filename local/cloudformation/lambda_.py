"""``AWS::Lambda::Function`` and ``AWS::Lambda::EventSourceMapping``: nothing is created, the runtime
runs the handlers in-process; these collect each Python function's handler path and resolved
environment, and each table-stream mapping to poll."""

from __future__ import annotations

from typing import Any

from local.cloudformation.model import LocalFunction, LocalResources, StreamMapping
from local.cloudformation.registry import provisions
from local.cloudformation.resolver import Resolver
from shared.contract import METADATA_KEY


@provisions("AWS::Lambda::Function")
def collect_function(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    props = resource.get("Properties") or {}
    handler = props.get("Handler")
    # Only our functions (lambdas/<name>/handler.py, marked with our metadata) run here. CDK's own helpers
    # (custom resource providers, log retention, the studio's BucketDeployment, whose Python ``index.handler``
    # ships inside aws-cdk-lib) are deploy-time plumbing with nothing to do locally. Resource types with no
    # provisioner here (Custom::CDKBucketDeployment, AWS::CloudFront::*, AWS::Cognito::*) are skipped likewise:
    # the local runtime serves the studio itself and takes the caller's name instead of a Cognito token.
    if not handler or METADATA_KEY not in (resource.get("Metadata") or {}):
        return
    env = resolver.resolve((props.get("Environment") or {}).get("Variables") or {})
    out.functions[logical] = LocalFunction(
        logical_id=logical,
        name=resolver.name(logical),
        handler=handler,
        environment={k: str(v) for k, v in env.items()},
        timeout_seconds=int(props.get("Timeout", 3)),
        memory_mb=int(props.get("MemorySize", 128)),
        description=resource["Metadata"][METADATA_KEY],
    )


@provisions("AWS::Lambda::EventSourceMapping")
def collect_stream_mapping(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    props = resolver.resolve(resource.get("Properties") or {})
    source = str(props.get("EventSourceArn", ""))
    if ":dynamodb:" not in source or "/stream/" not in source:
        return
    retries = int(props.get("MaximumRetryAttempts", 2))
    out.streams.append(
        StreamMapping(
            function=str(props["FunctionName"]).rsplit(":", 1)[-1],
            stream_arn=source,
            batch_size=int(props.get("BatchSize", 100)),
            starting_position=props.get("StartingPosition", "TRIM_HORIZON"),
            filter_criteria=props.get("FilterCriteria"),
            max_retries=retries if retries >= 0 else 2,
            report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            on_failure_arn=((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
        )
    )
