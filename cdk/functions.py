"""One Lambda function per ``lambdas/<name>/``: Python 3.12, the public Powertools v3 layer, code
bundled without Docker (cdk/bundling.py), its own log group and its own role that starts EMPTY —
each construct that uses a function grants it exactly what it calls."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, CfnResource, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.bundling import lambda_asset_dir
from cdk.nag import acknowledge
from shared.contract import METADATA_KEY, METRICS_NAMESPACE, Env

POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python312-x86_64"


def powertools_layer_arn(version: int | str) -> str:
    """The public Powertools v3 layer for python3.12 x86_64 in the stack's region (pydantic is inside)."""
    return f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{POWERTOOLS_LAYER_ACCOUNT}:layer:{POWERTOOLS_LAYER_NAME}:{version}"


def function_logical_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Function"


class PythonFunction(Construct):
    """A Lambda function from ``lambdas/<name>/handler.py`` (``lambda_handler``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        description: str,
        layer: lambda_.ILayerVersion,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        memory_mb: int = 512,
        timeout: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the {name} function; holds only what that function calls.",
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.X86_64,
            handler=f"lambdas.{name}.handler.lambda_handler",
            code=lambda_.Code.from_asset(str(lambda_asset_dir(name))),
            layers=[layer],
            role=self.role,
            memory_size=memory_mb,
            timeout=timeout or Duration.seconds(29),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                Env.SERVICE_NAME: name,
                Env.METRICS_NAMESPACE: METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **environment,
            },
        )
        self.log_group.grant_write(self.role)
        cfn = self.function.node.default_child
        assert isinstance(cfn, CfnResource)
        cfn.override_logical_id(function_logical_id(name))
        cfn.add_metadata(METADATA_KEY, {"kind": "function", "name": name, "handler": f"lambdas/{name}/handler.py"})
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) have no resource-level "
            "permissions; AWS documents '*' as their only resource. No data action uses '*'.",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Pinned to python3.12 on purpose: it is the runtime the public Powertools v3 layer "
            "version we pin is built for, and the one the code is tested against.",
        )

    def add_environment(self, key: str, value: str) -> None:
        self.function.add_environment(key, value)
