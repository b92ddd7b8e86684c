"""Intrinsic functions (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ...) resolved against the
local physical names, so a function's ``MELODIES_TABLE`` is the local table's name and its
``STATE_MACHINE_ARN`` the local state machine's ARN, exactly as CloudFormation would wire them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from local.cloudformation.model import TemplateError
from local.lambda_context import LOCAL_ACCOUNT, LOCAL_REGION

_ARN_FORMATS: dict[str, str] = {
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:{region}:{account}:table/{name}",
    "AWS::Lambda::Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "AWS::IAM::Role": "arn:aws:iam::{account}:role/{name}",
    "AWS::IAM::ManagedPolicy": "arn:aws:iam::{account}:policy/{name}",
    "AWS::S3::Bucket": "arn:aws:s3:::{name}",
    "AWS::StepFunctions::StateMachine": "arn:aws:states:{region}:{account}:stateMachine:{name}",
    "AWS::Logs::LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}:*",
    "AWS::SNS::Topic": "arn:aws:sns:{region}:{account}:{name}",
    "AWS::SQS::Queue": "arn:aws:sqs:{region}:{account}:{name}",
    "AWS::Cognito::UserPool": "arn:aws:cognito-idp:{region}:{account}:userpool/{name}",
    "AWS::SageMaker::Model": "arn:aws:sagemaker:{region}:{account}:model/{name}",
    "AWS::SageMaker::Endpoint": "arn:aws:sagemaker:{region}:{account}:endpoint/{name}",
    "AWS::SageMaker::EndpointConfig": "arn:aws:sagemaker:{region}:{account}:endpoint-config/{name}",
    "AWS::Lambda::LayerVersion": "arn:aws:lambda:{region}:{account}:layer:{name}:1",
}
# Resource types whose ``Ref`` is an ARN rather than a name.
_REF_IS_ARN = frozenset(
    {
        "AWS::StepFunctions::StateMachine",
        "AWS::SNS::Topic",
        "AWS::IAM::ManagedPolicy",
        "AWS::Lambda::LayerVersion",
        "AWS::SageMaker::Model",
        "AWS::SageMaker::Endpoint",
        "AWS::SageMaker::EndpointConfig",
    }
)


def _bounded(name: str, limit: int) -> str:
    """``name`` within ``limit`` characters (SageMaker and Lambda cap names at 63/64), still unique."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9]}-{digest}"


class Resolver:
    """Resolves a template's intrinsic functions against local physical names and attributes."""

    def __init__(
        self, stack: str, template: dict[str, Any], *, region: str = LOCAL_REGION, account: str = LOCAL_ACCOUNT
    ) -> None:
        self.stack = stack
        self.template = template
        self.resources: dict[str, dict[str, Any]] = template.get("Resources", {})
        self.region = region
        self.account = account
        self.names: dict[str, str] = {}
        self.attributes: dict[tuple[str, str], str] = {}
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack,
            "AWS::NoValue": None,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{stack}/local",
        }

    def name(self, logical_id: str) -> str:
        """The local physical name: the resource's own name property if set, else ``<stack>-<logical>``."""
        if logical_id not in self.names:
            resource = self.resources.get(logical_id)
            if resource is None:
                raise TemplateError(f"Reference to unknown resource {logical_id!r}")
            props = resource.get("Properties") or {}
            explicit = next(
                (
                    props[k]
                    for k in (
                        "TableName",
                        "BucketName",
                        "FunctionName",
                        "StateMachineName",
                        "RoleName",
                        "EndpointName",
                        "ModelName",
                        "EndpointConfigName",
                    )
                    if isinstance(props.get(k), str)
                ),
                None,
            )
            generated = _bounded(f"{self.stack}-{logical_id}", 63)
            if resource.get("Type") == "AWS::S3::Bucket":
                generated = re.sub(r"[^a-z0-9-]", "-", generated.lower())
            self.names[logical_id] = explicit or generated
        return self.names[logical_id]

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id].get("Type", "")
        fmt = _ARN_FORMATS.get(kind)
        if fmt is None:
            service = kind.split("::")[1].lower() if kind.count("::") == 2 else "local"
            fmt = f"arn:aws:{service}:{{region}}:{{account}}:{{name}}"
        return fmt.format(region=self.region, account=self.account, name=self.name(logical_id))

    def ref(self, logical_id: str) -> Any:
        if logical_id in self.pseudo:
            return self.pseudo[logical_id]
        parameters = self.template.get("Parameters", {})
        if logical_id in parameters:
            return parameters[logical_id].get("Default")
        if (logical_id, "Ref") in self.attributes:
            return self.attributes[(logical_id, "Ref")]
        kind = self.resources.get(logical_id, {}).get("Type", "")
        return self.arn(logical_id) if kind in _REF_IS_ARN else self.name(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if (logical_id, attribute) in self.attributes:
            return self.attributes[(logical_id, attribute)]
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in (
            "Name",
            "TableName",
            "EndpointName",
            "EndpointConfigName",
            "ModelName",
            "FunctionName",
            "QueueName",
            "TopicName",
            "RoleId",
        ):
            return self.name(logical_id)
        if attribute == "RegionalDomainName" or attribute == "DomainName":
            return f"{self.name(logical_id)}.s3.{self.region}.amazonaws.com"
        raise TemplateError(f"Cannot resolve Fn::GetAtt {logical_id}.{attribute} locally")

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function evaluated."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._functions.get(key)
            if handler is not None:
                return handler(self, arg)
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, arg: str) -> Any:
        return self.ref(arg)

    def _get_att(self, arg: Any) -> Any:
        logical, attribute = arg.split(".", 1) if isinstance(arg, str) else self.resolve(arg)
        return self.get_att(logical, attribute)

    def _join(self, arg: list[Any]) -> str:
        sep, items = arg
        return self.resolve(sep).join(str(self.resolve(i)) for i in self.resolve(items))

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and name not in self.pseudo:
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def _select(self, arg: list[Any]) -> Any:
        index, items = self.resolve(arg)
        return items[int(index)]

    def _split(self, arg: list[Any]) -> list[str]:
        sep, text = self.resolve(arg)
        return text.split(sep)

    def _find_in_map(self, arg: list[Any]) -> Any:
        name, top, second = self.resolve(arg)
        return self.template["Mappings"][name][top][second]

    def _if(self, arg: list[Any]) -> Any:
        condition, yes, no = arg
        return self.resolve(yes if self._condition(condition) else no)

    def _condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def _equals(self, arg: list[Any]) -> bool:
        a, b = self.resolve(arg)
        return a == b

    def _not(self, arg: list[Any]) -> bool:
        return not self.resolve(arg[0])

    def _and(self, arg: list[Any]) -> bool:
        return all(self.resolve(a) for a in arg)

    def _or(self, arg: list[Any]) -> bool:
        return any(self.resolve(a) for a in arg)

    def _to_json_string(self, arg: Any) -> str:
        return json.dumps(self.resolve(arg))

    def _get_azs(self, arg: Any) -> list[str]:
        return [f"{self.region}a", f"{self.region}b", f"{self.region}c"]

    _functions: dict[str, Callable[[Resolver, Any], Any]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Join": _join,
        "Fn::Sub": _sub,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::FindInMap": _find_in_map,
        "Fn::If": _if,
        "Fn::Equals": _equals,
        "Fn::Not": _not,
        "Fn::And": _and,
        "Fn::Or": _or,
        "Fn::ToJsonString": _to_json_string,
        "Fn::GetAZs": _get_azs,
        "Condition": lambda self, name: self._condition(name),
    }
