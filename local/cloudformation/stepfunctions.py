"""``AWS::StepFunctions::StateMachine``: the same ASL file, with the template's
``DefinitionSubstitutions`` resolved to local values (plus local overrides)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from local.cloudformation.model import LocalResources
from local.cloudformation.registry import provisions
from local.cloudformation.resolver import Resolver


def state_machine_substitutions(resolver: Resolver, resource: dict[str, Any]) -> dict[str, str]:
    """The template's ``DefinitionSubstitutions``, resolved to local values."""
    subs = resolver.resolve((resource.get("Properties") or {}).get("DefinitionSubstitutions") or {})
    return {k: str(v) for k, v in subs.items()}


@provisions("AWS::StepFunctions::StateMachine")
def create_state_machine(
    resolver: Resolver,
    logical: str,
    resource: dict[str, Any],
    out: LocalResources,
    /,
    *,
    load_definition: Callable[[dict[str, str]], str],
    overrides: dict[str, str] | None = None,
) -> None:
    subs = {**state_machine_substitutions(resolver, resource), **(overrides or {})}
    definition = load_definition(subs)
    role = resolver.resolve((resource.get("Properties") or {}).get("RoleArn"))
    arn = boto3.client("stepfunctions").create_state_machine(
        name=resolver.name(logical),
        definition=definition,
        roleArn=role,
        type=(resource.get("Properties") or {}).get("StateMachineType", "STANDARD"),
    )["stateMachineArn"]
    resolver.attributes[(logical, "Ref")] = arn
    resolver.attributes[(logical, "Arn")] = arn
    out.state_machines[logical] = arn
