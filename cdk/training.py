"""Training: the SageMaker execution role, the ``model/`` source dir as an asset, the Step Functions
workflow from ``statemachine/training.asl.json`` (its ``${...}`` names filled by
``definition_substitutions``), its role derived from the tasks the file uses, and the stream trigger.

The definition is inlined (``DefinitionString``) rather than uploaded, so the template a reviewer
reads, and the one cfn-lint checks, holds the whole workflow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.bundling import training_source_tarball
from cdk.images import FrameworkImages
from cdk.nag import acknowledge
from shared.contract import METADATA_KEY, SAGEMAKER_NAME_PREFIX, Env
from statemachine.definition import TRAINING_ASL, placeholders

STATE_MACHINE_LOGICAL_ID = "TrainingStateMachine"
# SageMaker training jobs, models, endpoint configs and endpoints the workflow creates are all named
# after the training job; the role may touch only names with this prefix.


def asl_task_resources(path: Path = TRAINING_ASL) -> set[str]:
    """Every Task ``Resource`` in the workflow (nested states included)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("Type") == "Task" and isinstance(node.get("Resource"), str):
                found.add(node["Resource"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text(encoding="utf-8")))
    return found


@dataclass(frozen=True)
class WorkflowSettings:
    training_instance_type: str = "ml.m5.xlarge"
    max_runtime_seconds: int = 4 * 3600
    poll_seconds: int = 60
    serverless_memory_mb: int = 3072
    serverless_max_concurrency: int = 2


class Training(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        training_jobs: dynamodb.Table,
        models: dynamodb.Table,
        images: FrameworkImages,
        progress_function: lambda_.IFunction,
        settings: WorkflowSettings,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.source = s3_assets.Asset(self, "SourceDir", path=str(training_source_tarball()))
        self.sagemaker_role = SageMakerRole(self, "SageMaker", bucket=bucket, images=images, source=self.source).role

        self.substitutions: dict[str, str] = {
            "TrainingJobsTable": training_jobs.table_name,
            "ModelsTable": models.table_name,
            "SageMakerRoleArn": self.sagemaker_role.role_arn,
            "TrainingImage": images.training_image,
            "InferenceImage": images.inference_image,
            "SourceDirS3Uri": self.source.s3_object_url,
            "TrainingInstanceType": settings.training_instance_type,
            "MaxRuntimeSeconds": str(settings.max_runtime_seconds),
            "PollSeconds": str(settings.poll_seconds),
            "ServerlessMemoryMb": str(settings.serverless_memory_mb),
            "ServerlessMaxConcurrency": str(settings.serverless_max_concurrency),
            "ProgressFunctionArn": progress_function.function_arn,
        }
        expected = placeholders()
        if expected != set(self.substitutions):
            raise ValueError(
                f"{TRAINING_ASL.name} and the CDK substitutions differ: missing "
                f"{sorted(expected - set(self.substitutions))}, unused {sorted(set(self.substitutions) - expected)}"
            )

        self.role = iam.Role(
            self,
            "WorkflowRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Runs the training workflow: only the tasks training.asl.json uses.",
        )
        for statement in workflow_statements(
            asl_task_resources(),
            training_jobs=training_jobs,
            models=models,
            progress_function=progress_function,
            sagemaker_role=self.sagemaker_role,
        ):
            self.role.add_to_policy(statement)

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{Stack.of(self).stack_name}-training",
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Workflow",
            definition_body=sfn.DefinitionBody.from_string(TRAINING_ASL.read_text(encoding="utf-8")),
            definition_substitutions=self.substitutions,
            state_machine_type=sfn.StateMachineType.STANDARD,
            role=self.role,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            timeout=Duration.seconds(settings.max_runtime_seconds + 6 * 3600),
        )
        cfn = self.state_machine.node.default_child
        assert isinstance(cfn, CfnResource)
        cfn.override_logical_id(STATE_MACHINE_LOGICAL_ID)
        cfn.add_metadata(
            METADATA_KEY,
            {"kind": "stateMachine", "env": Env.STATE_MACHINE_ARN, "definition": "statemachine/training.asl.json"},
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Log delivery (logs:CreateLogDelivery, ...) and X-Ray tracing actions that Step "
            "Functions needs for execution logs and traces support no resource-level permissions.",
        )
        for kind in ("training-job", "model", "endpoint-config", "endpoint"):
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:{kind}/{SAGEMAKER_NAME_PREFIX}*]",
                f"The workflow creates one SageMaker {kind} per training job, named at run time; "
                f"the role is limited to names starting with '{SAGEMAKER_NAME_PREFIX}'.",
            )

    def add_trigger(self, trigger: lambda_.Function, table: dynamodb.Table) -> sqs.Queue:
        """New training-job records (stream INSERTs only) start the workflow; records the trigger
        could not handle after retries land in an encrypted dead-letter queue (alarmed)."""
        dlq = sqs.Queue(
            self,
            "TriggerDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            dlq,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter destination of the training trigger.",
        )
        trigger.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=10,
                retry_attempts=3,
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                max_record_age=Duration.hours(6),
                on_failure=sources.SqsDlq(dlq),
                filters=[lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.is_equal("INSERT")})],
            )
        )
        self.state_machine.grant_start_execution(trigger)
        return dlq


class SageMakerRole(Construct):
    """The role SageMaker assumes for training jobs and for hosting the models (built-in and trained)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        images: FrameworkImages,
        source: s3_assets.Asset,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker training jobs and model hosting for the composer backend.",
        )
        partition, region, account = Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadSourceDir",
                actions=["s3:GetObject"],
                resources=[f"arn:{partition}:s3:::{source.s3_bucket_name}/{source.s3_object_key}"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="TrainingDataAndOutput",
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                resources=[bucket.arn_for_objects("training/*")],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ListTrainingPrefix",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": ["training/*"]}},
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="PullFrameworkImages",
                actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                resources=images.repository_arns(),
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="JobAndEndpointLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[f"arn:{partition}:logs:{region}:{account}:log-group:/aws/sagemaker/*"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="SageMakerMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
            )
        )
        sagemaker_logs = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/*"
        acknowledgements = {
            "AwsSolutions-IAM5[Resource::*]": "ecr:GetAuthorizationToken and cloudwatch:PutMetricData have "
            "no resource-level permissions; PutMetricData is limited to SageMaker's namespaces by condition.",
            "AwsSolutions-IAM5[Resource::<DataBucket.Arn>/training/*]": "Training jobs read and write their "
            "own checkpoints and output under training/<job id>/, named at run time; limited to that prefix.",
            f"AwsSolutions-IAM5[Resource::{sagemaker_logs}]": (
                "SageMaker writes to the log groups it names per job and endpoint under /aws/sagemaker/."
            ),
        }
        if images.overridden:
            acknowledgements["AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:*:repository/*]"] = (
                "A custom framework image was given by context; its registry is not known at synth time."
            )
        for rule, reason in acknowledgements.items():
            acknowledge(self.role, rule, reason)


def workflow_statements(
    task_resources: set[str],
    *,
    training_jobs: dynamodb.Table,
    models: dynamodb.Table,
    progress_function: lambda_.IFunction,
    sagemaker_role: iam.IRole,
) -> list[iam.PolicyStatement]:
    """The workflow role's statements: one per task the ASL uses, each scoped to what that task
    touches. An unknown task fails the synth, so a new integration in the ASL cannot run unpermitted."""
    partition, region, account = Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID

    def sagemaker(kind: str) -> str:
        return f"arn:{partition}:sagemaker:{region}:{account}:{kind}/{SAGEMAKER_NAME_PREFIX}*"

    tables = [training_jobs.table_arn, models.table_arn]
    known: dict[str, tuple[list[str], list[str]]] = {
        "arn:aws:states:::dynamodb:updateItem": (["dynamodb:UpdateItem"], tables),
        "arn:aws:states:::dynamodb:putItem": (["dynamodb:PutItem"], [models.table_arn]),
        "arn:aws:states:::dynamodb:getItem": (["dynamodb:GetItem"], tables),
        "arn:aws:states:::lambda:invoke": (["lambda:InvokeFunction"], [progress_function.function_arn]),
        "arn:aws:states:::aws-sdk:sagemaker:createTrainingJob": (
            ["sagemaker:CreateTrainingJob", "sagemaker:AddTags"],
            [sagemaker("training-job")],
        ),
        "arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob": (
            ["sagemaker:DescribeTrainingJob"],
            [sagemaker("training-job")],
        ),
        "arn:aws:states:::aws-sdk:sagemaker:stopTrainingJob": (
            ["sagemaker:StopTrainingJob"],
            [sagemaker("training-job")],
        ),
        "arn:aws:states:::aws-sdk:sagemaker:createModel": (
            ["sagemaker:CreateModel", "sagemaker:AddTags"],
            [sagemaker("model")],
        ),
        "arn:aws:states:::aws-sdk:sagemaker:createEndpointConfig": (
            ["sagemaker:CreateEndpointConfig"],
            [sagemaker("endpoint-config")],
        ),
        "arn:aws:states:::aws-sdk:sagemaker:createEndpoint": (
            ["sagemaker:CreateEndpoint"],
            [sagemaker("endpoint"), sagemaker("endpoint-config")],
        ),
        "arn:aws:states:::aws-sdk:sagemaker:describeEndpoint": (
            ["sagemaker:DescribeEndpoint"],
            [sagemaker("endpoint")],
        ),
    }
    unknown = sorted(task_resources - known.keys())
    if unknown:
        raise ValueError(f"training.asl.json uses tasks the workflow role has no rule for: {unknown}")
    statements = []
    for resource in sorted(task_resources):
        actions, resources = known[resource]
        statements.append(iam.PolicyStatement(actions=actions, resources=resources))
    if any(":sagemaker:create" in r for r in task_resources):
        statements.append(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[sagemaker_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
    return statements
