"""Reading the synthesized template: who may do what."""

from __future__ import annotations

from typing import Any

from tests.infrastructure.conftest import Synthesized


def statements_of_role(synth: Synthesized, role_logical_id: str) -> list[dict[str, Any]]:
    """Every policy statement attached to a role: its inline policies and the AWS::IAM::Policy
    resources that name it."""
    found: list[dict[str, Any]] = []
    role = synth.resources[role_logical_id]
    for policy in role["Properties"].get("Policies", []):
        found += policy["PolicyDocument"]["Statement"]
    for resource in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in resource["Properties"].get("Roles", []):
            found += resource["Properties"]["PolicyDocument"]["Statement"]
    return found


def role_of_function(synth: Synthesized, function_logical_id: str) -> str:
    return synth.resources[function_logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def resources_for(statements: list[dict[str, Any]], action: str) -> list[Any]:
    return [
        r
        for s in statements
        if s["Effect"] == "Allow" and action in as_list(s["Action"])
        for r in as_list(s["Resource"])
    ]


def refs_in(value: Any) -> set[str]:
    """Logical ids a value refers to (Ref / Fn::GetAtt), anywhere inside it."""
    out: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            out.add(value["Ref"])
        if "Fn::GetAtt" in value:
            out.add(value["Fn::GetAtt"][0])
        for v in value.values():
            out |= refs_in(v)
    elif isinstance(value, list):
        for v in value:
            out |= refs_in(v)
    return out


def flat(value: Any) -> str:
    """A value's literal text parts joined (Fn::Join/Fn::Sub pieces), to check ARN shapes."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(flat(p) for p in parts)
        if "Ref" in value:
            return "<" + value["Ref"] + ">"
        if "Fn::GetAtt" in value:
            return "<" + ".".join(value["Fn::GetAtt"]) + ">"
        if "Fn::FindInMap" in value:
            return "<map>"
        if "Fn::Sub" in value:
            return value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
    if isinstance(value, list):
        return ",".join(flat(v) for v in value)
    return str(value)


def studio_origin(synth: Synthesized) -> str:
    """The studio's CloudFront URL as ``flat`` writes it: the API's CORS origin when none is configured."""
    [cdn] = synth.of_type("AWS::CloudFront::Distribution")
    return f"https://<{cdn}.DomainName>"
