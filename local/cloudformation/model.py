"""What provisioning the template yields for the local runtime: the created resources by logical id,
the functions to run in-process, the stream mappings to poll and the shipped endpoints."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


class TemplateError(RuntimeError):
    """The template lacks something the local runtime needs, or uses what it cannot resolve."""


@dataclass
class LocalFunction:
    """A Lambda function of the template, to be run in-process."""

    logical_id: str
    name: str
    handler: str
    environment: dict[str, str]
    timeout_seconds: int = 3
    memory_mb: int = 128
    description: dict[str, Any] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass
class StreamMapping:
    """An ``AWS::Lambda::EventSourceMapping`` whose source is a table stream."""

    function: str
    stream_arn: str
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    filter_criteria: dict[str, Any] | None = None
    max_retries: int = 2
    report_batch_item_failures: bool = False
    on_failure_arn: str | None = None


@dataclass
class ShippedEndpoint:
    """A SageMaker endpoint the template creates (a shipped model's), and its model's artifact."""

    endpoint_name: str
    model_name: str
    model_data_url: str | None
    description: dict[str, Any] = field(default_factory=dict)


@dataclass
class LocalResources:
    """Everything created, by logical id and as the environment the functions read."""

    stack: str
    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    streams: list[StreamMapping] = field(default_factory=list)
    endpoints: list[ShippedEndpoint] = field(default_factory=list)
    custom_resources: list[str] = field(default_factory=list)


def of_type(template: dict[str, Any], *kinds: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """(logical id, resource) of each resource of the given types, in template order."""
    for logical, resource in template.get("Resources", {}).items():
        if resource.get("Type") in kinds:
            yield logical, resource
