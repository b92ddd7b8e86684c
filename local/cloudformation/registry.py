"""Resource type -> provisioner, the shape of moto's ``cloudformation/parsing.py``: each provisioner
creates (or collects) one resource of its type in the local runtime, records its physical name and
attributes on the resolver, and what the runtime needs on ``LocalResources``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from local.cloudformation.model import LocalResources, of_type
from local.cloudformation.resolver import Resolver


class Provisioner(Protocol):
    def __call__(
        self, resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /, **options: Any
    ) -> None: ...


PROVISIONERS: dict[str, Provisioner] = {}


def provisions(resource_type: str) -> Callable[[Provisioner], Provisioner]:
    """Register the decorated function as the provisioner of ``resource_type``."""

    def register(function: Provisioner) -> Provisioner:
        if resource_type in PROVISIONERS:
            raise ValueError(f"{resource_type} already has a provisioner")
        PROVISIONERS[resource_type] = function
        return function

    return register


def provision(
    resolver: Resolver, template: dict[str, Any], out: LocalResources, resource_type: str, **options: Any
) -> int:
    """Run the provisioner of ``resource_type`` on each such resource of the template; how many ran."""
    provisioner = PROVISIONERS[resource_type]
    count = 0
    for logical, resource in of_type(template, resource_type):
        provisioner(resolver, logical, resource, out, **options)
        count += 1
    return count
