"""Inference: each shipped pretrained model (every ``model/pretrained/<id>/`` with a ``model.json``)
is uploaded as ``model.tar.gz`` (weights + serving code) and hosted on a serverless endpoint (no idle
cost), then registered READY in the models table under owner ``builtin``, with the model type and
default parameters its ``model.json`` names, so the first composition works right after deploy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_cdk import Aws
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import custom_resources as cr
from constructs import Construct

from cdk.bundling import INFERENCE_ENTRY_POINT, REPO_ROOT, pretrained_model_tarball
from model.config import CONFIG_FILE, ModelConfig
from shared.contract import BUILTIN_OWNER, METADATA_KEY
from shared.logic.records import typed_item
from shared.model_types import ModelType, spec_for
from shared.resources import ID_KEY, OWNER_KEY
from shared.schemas import Instrument, Model
from shared.statuses import ModelStatus

PRETRAINED_DIR = REPO_ROOT / "model" / "pretrained"

# How the shipped models are listed: id -> (display name, description, genre); ``name``,
# ``description`` and ``genre`` in a model's model.json take precedence.
DISPLAY: dict[str, tuple[str, str, str]] = {
    "bach-chorales": (
        "Bach chorales",
        "Four-part harmony in the style of J. S. Bach's chorales, trained on the music21 corpus.",
        "classical",
    ),
    "ar-cnn-bach": (
        "AR-CNN Bach",
        "Enhances a melody note by note toward Bach's chorales, or harmonises it in four parts.",
        "classical",
    ),
    "transformer-folk": (
        "Transformer folk",
        "Extends a melody by up to 30 seconds in the style of the folk tunes of the music21 corpus.",
        "folk",
    ),
}


@dataclass(frozen=True)
class ShippedModel:
    """What a shipped model's record shows, read from its directory."""

    model_id: str
    name: str
    description: str
    genre: str
    model_type: ModelType = ModelType.GAN
    default_parameters: dict[str, Any] = field(default_factory=dict)
    instruments: list[Instrument] = field(default_factory=list)


def shipped_models(root: Path = PRETRAINED_DIR) -> list[ShippedModel]:
    """Every ``<root>/<id>/model.json`` (read by ``ModelConfig``): its ``type`` (a GAN when absent) and
    ``defaultParameters``, checked against the type's rules so a broken default fails the synthesis,
    not a composition."""
    out = []
    for config_path in sorted(root.glob(f"*/{CONFIG_FILE}")):
        model_id = config_path.parent.name
        config = ModelConfig.load(config_path.parent)
        name, description, genre = DISPLAY.get(model_id, (model_id.replace("-", " ").capitalize(), "", "other"))
        spec = spec_for(config.type)
        own = config.settings
        out.append(
            ShippedModel(
                model_id=model_id,
                name=own.get("name", name),
                description=own.get("description", description),
                genre=own.get("genre", genre),
                model_type=spec.type,
                default_parameters=spec.validate_model_defaults(own.get("defaultParameters")),
                instruments=[
                    Instrument(name=t["name"], program=t["program"], silent=bool(t.get("silent")))
                    for t in config.tracks
                ],
            )
        )
    return out


# A fixed registration time: the record must not change (and be rewritten) on every deploy.
REGISTERED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _camel(model_id: str) -> str:
    return "".join(part.capitalize() for part in model_id.split("-"))


class BuiltinModel(Construct):
    """One shipped model: asset -> SageMaker model -> serverless endpoint -> models-table record."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shipped: ShippedModel,
        execution_role: iam.IRole,
        image: str,
        models_table: dynamodb.ITable,
        memory_mb: int,
        max_concurrency: int,
    ) -> None:
        super().__init__(scope, construct_id)
        model_id = shipped.model_id
        self.asset = s3_assets.Asset(self, "Artifact", path=str(pretrained_model_tarball(model_id)))
        execution_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[f"arn:{Aws.PARTITION}:s3:::{self.asset.s3_bucket_name}/{self.asset.s3_object_key}"],
            )
        )
        model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=execution_role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image,
                model_data_url=self.asset.s3_object_url,
                environment={
                    "SAGEMAKER_PROGRAM": INFERENCE_ENTRY_POINT,
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                },
            ),
        )
        model.node.add_dependency(execution_role)
        config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name="AllTraffic",
                    model_name=model.attr_model_name,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=memory_mb, max_concurrency=max_concurrency
                    ),
                )
            ],
        )
        self.endpoint = sagemaker.CfnEndpoint(self, "Endpoint", endpoint_config_name=config.attr_endpoint_config_name)
        self.endpoint.add_metadata(METADATA_KEY, {"kind": "builtinEndpoint", "modelId": model_id})
        self.endpoint_name = self.endpoint.attr_endpoint_name
        self.endpoint_arn = self.endpoint.ref

        record = Model(
            id=model_id,
            name=shipped.name,
            builtin=True,
            status=ModelStatus.READY,
            type=shipped.model_type,
            description=shipped.description,
            genre=shipped.genre,
            default_parameters=shipped.default_parameters,
            instruments=shipped.instruments,
            endpoint_name=self.endpoint_name,
            artifact_uri=self.asset.s3_object_url,
            created_at=REGISTERED_AT,
        )
        item = typed_item(record, BUILTIN_OWNER)
        put = cr.AwsSdkCall(
            service="DynamoDB",
            action="putItem",
            parameters={"TableName": models_table.table_name, "Item": item},
            physical_resource_id=cr.PhysicalResourceId.of(f"builtin-model-{model_id}"),
        )
        self.registration = cr.AwsCustomResource(
            self,
            "Register",
            on_create=put,
            on_update=put,
            on_delete=cr.AwsSdkCall(
                service="DynamoDB",
                action="deleteItem",
                parameters={
                    "TableName": models_table.table_name,
                    "Key": {OWNER_KEY: {"S": BUILTIN_OWNER}, ID_KEY: {"S": model_id}},
                },
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["dynamodb:PutItem", "dynamodb:DeleteItem"], resources=[models_table.table_arn]
                    )
                ]
            ),
            install_latest_aws_sdk=False,
        )


class Inference(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        execution_role: iam.IRole,
        image: str,
        models_table: dynamodb.ITable,
        memory_mb: int,
        max_concurrency: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.models = [
            BuiltinModel(
                self,
                _camel(shipped.model_id),
                shipped=shipped,
                execution_role=execution_role,
                image=image,
                models_table=models_table,
                memory_mb=memory_mb,
                max_concurrency=max_concurrency,
            )
            for shipped in shipped_models()
        ]

    @property
    def endpoint_arns(self) -> list[str]:
        return [m.endpoint_arn for m in self.models]

    @property
    def endpoint_names(self) -> list[str]:
        return [m.endpoint_name for m in self.models]
