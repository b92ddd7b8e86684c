"""The local resources, created from the synthesized CloudFormation template, so local and cloud
cannot drift: tables with their keys, indexes, streams and TTL; buckets; the training state machine
(the same ASL file, with the template's ``DefinitionSubstitutions`` resolved to local values); the
SageMaker model/endpoint of each shipped model (their artifacts uploaded to the local S3 from the
cloud assembly, where the CDK put them); the Lambda functions' handlers and resolved environments;
and the stream event source mappings.

Intrinsic functions (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ...) are resolved against the
local physical names, so a function's ``MELODIES_TABLE`` is the local table's name and its
``STATE_MACHINE_ARN`` the local state machine's ARN, exactly as CloudFormation would wire them.

Synthesis runs ``app.py`` once and caches the cloud assembly under ``.cache/local-synth/`` keyed by
a hash of what shapes the template, so a warm ``make dev`` starts without jsii.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore import xform_name

from local.lambda_context import LOCAL_ACCOUNT, LOCAL_REGION
from shared.contract import METADATA_KEY

log = logging.getLogger("local.resources")

REPO_ROOT = Path(__file__).resolve().parent.parent
SYNTH_CACHE = REPO_ROOT / ".cache" / "local-synth"
STACK_PREFIX = "composer-local"
# What shapes the template and the file assets the local runtime uploads: the training source dir
# (model/ + shared/) and the shipped model's model.tar.gz. Lambda code only changes the hashes of
# directory assets, which the local runtime does not use: it imports the handlers from the checkout.
_SYNTH_INPUTS = ("app.py", "cdk.json", "cdk", "statemachine", "pyproject.toml", "model", "shared")


class TemplateError(RuntimeError):
    """The template lacks something the local runtime needs, or uses what it cannot resolve."""


# --- synthesis ------------------------------------------------------------------------------------


def _inputs_digest(root: Path) -> str:
    h = hashlib.sha256()
    for rel in _SYNTH_INPUTS:
        path = root / rel
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                h.update(f.relative_to(root).as_posix().encode())
                h.update(hashlib.sha256(f.read_bytes()).digest())
    for d in sorted((root / "lambdas").iterdir()) if (root / "lambdas").is_dir() else []:
        h.update(f"lambdas/{d.name}".encode())
    return h.hexdigest()[:16]


def cloud_assembly(root: Path = REPO_ROOT, *, refresh: bool = False) -> Path:
    """The directory of a synthesized cloud assembly for the current sources (cached)."""
    key = _inputs_digest(root)
    final = SYNTH_CACHE / key
    if final.is_dir() and not refresh:
        return final
    SYNTH_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=SYNTH_CACHE))
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    for name in ("AWS_ENDPOINT_URL",):  # synthesis must not be pointed at the local endpoint
        env.pop(name, None)
    log.info("Synthesizing the CDK app (first start or changed infrastructure code)...")
    done = subprocess.run([sys.executable, "app.py"], cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if "ValidationFailed" in done.stderr and (tmp / "manifest.json").is_file():
            # cdk-nag findings stop a deploy (and fail the infrastructure tests) but not a laptop run:
            # the template itself was written in full.
            log.warning("cdk-nag reports findings (see %s); running locally anyway", final / "validation-report.json")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            raise TemplateError(f"Synthesizing the CDK app failed:\n{done.stderr[-4000:]}")
    if final.is_dir() and refresh:
        shutil.rmtree(final, ignore_errors=True)
    try:
        tmp.rename(final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # a concurrent start published the same key first
    _prune(SYNTH_CACHE, keep=key)
    return final


def _prune(cache: Path, keep: str, min_age_seconds: float = 3600) -> None:
    """Drop assemblies of older sources, but not recent ones a concurrent runtime may still be reading."""
    now = time.time()
    for old in cache.iterdir():
        if old.is_dir() and old.name != keep and now - old.stat().st_mtime > min_age_seconds:
            shutil.rmtree(old, ignore_errors=True)


def stack_template(assembly: Path) -> tuple[str, dict[str, Any]]:
    """(stack name, template) of the stack holding the project's resources."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    candidates = []
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "aws:cloudformation:stack":
            template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
            if any(METADATA_KEY in (r.get("Metadata") or {}) for r in template.get("Resources", {}).values()):
                candidates.append((artifact.get("displayName", name).split("/")[-1], template))
    if len(candidates) != 1:
        raise TemplateError(f"Expected one stack with {METADATA_KEY!r} metadata in {assembly}, found {len(candidates)}")
    return candidates[0]


def file_assets(assembly: Path) -> dict[tuple[str, str], Path]:
    """(bucket template, object key) -> local file, from the assets manifests of the cloud assembly."""
    assets: dict[tuple[str, str], Path] = {}
    for manifest in assembly.glob("*.assets.json"):
        data = json.loads(manifest.read_text())
        for entry in data.get("files", {}).values():
            source = assembly / entry["source"]["path"]
            for dest in entry.get("destinations", {}).values():
                assets[(dest["bucketName"], dest["objectKey"])] = source
    return assets


# --- intrinsic functions ----------------------------------------------------------------------------

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


# --- what the local runtime gets ------------------------------------------------------------------


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


def _of_type(template: dict[str, Any], *kinds: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for logical, resource in template.get("Resources", {}).items():
        if resource.get("Type") in kinds:
            yield logical, resource


def create_tables(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    """CreateTable from the template's properties (keys, indexes, stream, SSE), then TTL and PITR."""
    client = boto3.client("dynamodb")
    for logical, resource in _of_type(template, "AWS::DynamoDB::Table"):
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


def create_buckets(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    """Every bucket of the template, versioned where it says so."""
    client = boto3.client("s3")
    for logical, resource in _of_type(template, "AWS::S3::Bucket"):
        props = resolver.resolve(resource.get("Properties") or {})
        name = resolver.name(logical)
        client.create_bucket(Bucket=name)
        if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        out.buckets[logical] = name


def create_queues(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    """Every queue of the template (e.g. the training trigger's dead letters), with its retention and timeout."""
    client = boto3.client("sqs")
    for logical, resource in _of_type(template, "AWS::SQS::Queue"):
        props = resolver.resolve(resource.get("Properties") or {})
        attributes = {
            k: str(props[k]) for k in ("MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds") if k in props
        }
        client.create_queue(QueueName=resolver.name(logical), Attributes=attributes)
        out.queues[logical] = resolver.name(logical)


def collect_functions(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    """The template's Python functions: handler path and environment with every reference resolved."""
    for logical, resource in _of_type(template, "AWS::Lambda::Function"):
        props = resource.get("Properties") or {}
        handler = props.get("Handler")
        if not handler or not str(props.get("Runtime", "")).startswith("python"):
            continue  # CDK's own helper functions (custom resource providers, log retention) are not ours to run
        env = resolver.resolve((props.get("Environment") or {}).get("Variables") or {})
        out.functions[logical] = LocalFunction(
            logical_id=logical,
            name=resolver.name(logical),
            handler=handler,
            environment={k: str(v) for k, v in env.items()},
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            description=(resource.get("Metadata") or {}).get(METADATA_KEY, {}),
        )


def collect_stream_mappings(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    for _, resource in _of_type(template, "AWS::Lambda::EventSourceMapping"):
        props = resolver.resolve(resource.get("Properties") or {})
        source = str(props.get("EventSourceArn", ""))
        if ":dynamodb:" not in source or "/stream/" not in source:
            continue
        function = str(props["FunctionName"]).rsplit(":", 1)[-1]
        out.streams.append(
            StreamMapping(
                function=function,
                stream_arn=source,
                batch_size=int(props.get("BatchSize", 100)),
                starting_position=props.get("StartingPosition", "TRIM_HORIZON"),
                filter_criteria=props.get("FilterCriteria"),
                max_retries=int(props.get("MaximumRetryAttempts", 2))
                if int(props.get("MaximumRetryAttempts", 2)) >= 0
                else 2,
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                on_failure_arn=((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
            )
        )


def binary_media_types(template: dict[str, Any]) -> list[str] | None:
    """The REST API's ``BinaryMediaTypes``: which request bodies API Gateway hands over base64-encoded."""
    for _, resource in _of_type(template, "AWS::ApiGateway::RestApi"):
        return list((resource.get("Properties") or {}).get("BinaryMediaTypes") or [])
    return None


def state_machine_substitutions(resolver: Resolver, resource: dict[str, Any]) -> dict[str, str]:
    """The template's ``DefinitionSubstitutions``, resolved to local values."""
    subs = resolver.resolve((resource.get("Properties") or {}).get("DefinitionSubstitutions") or {})
    return {k: str(v) for k, v in subs.items()}


def create_state_machines(
    resolver: Resolver,
    template: dict[str, Any],
    out: LocalResources,
    *,
    load_definition: Callable[[dict[str, str]], str],
    overrides: dict[str, str] | None = None,
) -> None:
    """Each state machine from the ASL file, with the template's substitutions (plus local overrides)."""
    client = boto3.client("stepfunctions")
    for logical, resource in _of_type(template, "AWS::StepFunctions::StateMachine"):
        subs = {**state_machine_substitutions(resolver, resource), **(overrides or {})}
        definition = load_definition(subs)
        role = resolver.resolve((resource.get("Properties") or {}).get("RoleArn"))
        arn = client.create_state_machine(
            name=resolver.name(logical),
            definition=definition,
            roleArn=role,
            type=(resource.get("Properties") or {}).get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        resolver.attributes[(logical, "Ref")] = arn
        resolver.attributes[(logical, "Arn")] = arn
        out.state_machines[logical] = arn


def upload_file_assets(resolver: Resolver, assets: dict[tuple[str, str], Path]) -> list[str]:
    """Publish the cloud assembly's file assets to the local S3, as ``cdk deploy`` does to the
    bootstrap bucket: the training source dir and the shipped models' ``model.tar.gz`` are then at
    the very URLs the template gives the workflow and the SageMaker models. Directory assets (Lambda
    code) are skipped: the runtime imports the handlers from the checkout. Returns the S3 URLs."""
    s3 = boto3.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    urls = []
    for (bucket_template, key), source in sorted(assets.items()):
        if not source.is_file():
            continue
        bucket = resolver.resolve({"Fn::Sub": bucket_template})
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
            existing.add(bucket)
        s3.upload_file(str(source), bucket, key)
        urls.append(f"s3://{bucket}/{key}")
    return urls


def create_sagemaker_resources(resolver: Resolver, template: dict[str, Any], out: LocalResources) -> None:
    """The template's SageMaker models, endpoint configs and endpoints, in the local SageMaker."""
    sm = boto3.client("sagemaker")
    models: dict[str, dict[str, Any]] = {}
    for logical, resource in _of_type(template, "AWS::SageMaker::Model"):
        props = resolver.resolve(resource.get("Properties") or {})
        name = resolver.name(logical)
        request = {"ModelName": name, "ExecutionRoleArn": props.get("ExecutionRoleArn")}
        for key in ("PrimaryContainer", "Containers"):
            if key in props:
                request[key] = props[key]
        sm.create_model(**request)
        models[name] = props
    configs: dict[str, str] = {}
    for logical, resource in _of_type(template, "AWS::SageMaker::EndpointConfig"):
        props = resolver.resolve(resource.get("Properties") or {})
        name = resolver.name(logical)
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=props["ProductionVariants"])
        configs[name] = props["ProductionVariants"][0]["ModelName"]
    for logical, resource in _of_type(template, "AWS::SageMaker::Endpoint"):
        props = resolver.resolve(resource.get("Properties") or {})
        name = resolver.name(logical)
        sm.create_endpoint(EndpointName=name, EndpointConfigName=props["EndpointConfigName"])
        model_name = configs.get(props["EndpointConfigName"], "")
        container = (models.get(model_name) or {}).get("PrimaryContainer") or {}
        out.endpoints.append(
            ShippedEndpoint(
                endpoint_name=name,
                model_name=model_name,
                model_data_url=container.get("ModelDataUrl"),
                description=(resource.get("Metadata") or {}).get(METADATA_KEY, {}),
            )
        )


def run_sdk_custom_resources(resolver: Resolver, template: dict[str, Any]) -> int:
    """Run the ``Create`` SDK call of every ``Custom::AWS`` resource (CDK's AwsCustomResource), as its
    provider function would on deploy, e.g. the put of a shipped model's READY record. Returns how many ran."""
    ran = 0
    for logical, resource in _of_type(template, "Custom::AWS"):
        raw = resolver.resolve((resource.get("Properties") or {}).get("Create"))
        if raw is None:
            continue
        call = json.loads(raw) if isinstance(raw, str) else raw
        service = _boto3_service(call["service"])
        action = xform_name(call["action"][0].upper() + call["action"][1:])
        parameters = _decode_sdk_parameters(call.get("parameters") or {})
        log.info("Custom resource %s: %s.%s", logical, service, action)
        getattr(boto3.client(service), action)(**parameters)
        ran += 1
    return ran


def _boto3_service(name: str) -> str:
    """AwsCustomResource's service spelling (SDK v2 ``DynamoDB`` or v3 ``@aws-sdk/client-dynamodb``) -> boto3's."""
    name = name.removeprefix("@aws-sdk/client-")
    aliases = {"stepfunctions": "stepfunctions", "sfn": "stepfunctions", "sagemakerruntime": "sagemaker-runtime"}
    key = name.replace("-", "").lower()
    return aliases.get(key, key)


def _decode_sdk_parameters(value: Any) -> Any:
    """AwsCustomResource writes booleans as ``"TRUE:BOOLEAN"``/``"FALSE:BOOLEAN"`` (CloudFormation
    would stringify them); its provider turns them back, and so do we."""
    if isinstance(value, dict):
        return {k: _decode_sdk_parameters(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_sdk_parameters(v) for v in value]
    if value == "TRUE:BOOLEAN":
        return True
    if value == "FALSE:BOOLEAN":
        return False
    return value
