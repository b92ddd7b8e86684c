"""The stack: storage, functions, API, training, inference and monitoring wired together, with each
function granted exactly the calls its code makes (and nothing on ``*`` for data)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.api import Api
from cdk.functions import PythonFunction, function_logical_id, powertools_layer_arn
from cdk.images import DEFAULT_INFERENCE_TAG, DEFAULT_TRAINING_TAG, FrameworkImages
from cdk.inference import Inference
from cdk.monitoring import Monitoring
from cdk.nag import acknowledge
from cdk.storage import Storage
from cdk.studio import StudioSite
from cdk.training import Training, WorkflowSettings
from shared.contract import SAGEMAKER_NAME_PREFIX, Env
from shared.resources import COMPOSITIONS, IDEMPOTENCY, MELODIES, MODELS, TRAINING_JOBS, Keys, TableSpec

STACK_NAME = "ComposerBackend"


@dataclass(frozen=True)
class Settings:
    """Every deploy-time knob, read from CDK context (cdk.json, or ``-c name=value``)."""

    console_origin: str = ""  # empty: the studio's CloudFront URL
    hosted_ui_prefix: str = ""  # empty: composer-studio-<account id>
    powertools_layer_version: int = 37
    throttle_rate: float = 20.0
    throttle_burst: int = 40
    log_retention_days: int = 30
    training_instance_type: str = "ml.m5.xlarge"
    max_runtime_seconds: int = 4 * 3600
    poll_seconds: int = 60
    serverless_memory_mb: int = 3072
    serverless_max_concurrency: int = 2
    training_image: str = ""
    inference_image: str = ""
    training_image_tag: str = DEFAULT_TRAINING_TAG
    inference_image_tag: str = DEFAULT_INFERENCE_TAG
    alarm_email: str = ""
    max_concurrent_training_jobs: int = 2  # per user; a job beyond it is refused with a 429
    self_sign_up: bool = True  # anyone may create an account; false: the owner adds users

    @classmethod
    def from_context(cls, scope: Construct) -> Settings:
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = "".join(w if i == 0 else w.capitalize() for i, w in enumerate(f.name.split("_")))
            raw = scope.node.try_get_context(key)
            if raw is not None:
                values[f.name] = (
                    _flag(raw) if isinstance(getattr(cls, f.name), bool) else type(getattr(cls, f.name))(raw)
                )
        return cls(**values)


def _flag(raw: Any) -> bool:
    """A context switch: ``-c selfSignUp=false`` arrives as the string "false", which ``bool`` reads as true."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"A context switch takes true or false, not {raw!r}.")
    return text in ("true", "1", "yes")


class ComposerStack(Stack):
    def __init__(self, scope: Construct, construct_id: str = STACK_NAME, **kwargs: Any) -> None:
        kwargs.setdefault("analytics_reporting", False)  # no AWS::CDK::Metadata in a template users review
        super().__init__(scope, construct_id, **kwargs)
        settings = Settings.from_context(self)
        retention = _retention(settings.log_retention_days)

        self.storage = Storage(self, "Storage")
        layer = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", powertools_layer_arn(settings.powertools_layer_version)
        )
        env = self.storage.environment()

        def function(name: str, description: str, **kwargs: Any) -> PythonFunction:
            return PythonFunction(
                self,
                function_logical_id(name),
                name=name,
                description=description,
                layer=layer,
                environment=env,
                log_retention=retention,
                **kwargs,
            )

        self.compose_worker = function(
            "compose_worker",
            "Generates one composition: invokes the model endpoint, stores the MIDI.",
            memory_mb=1024,
            timeout=Duration.minutes(5),
        )
        self.api_function = function("api", "The REST API's routes (Powertools resolver).", memory_mb=1024)
        # A full vCPU (1769 MB): rendering audio is CPU-bound and billed only while it runs.
        self.media_function = function(
            "media", "Audio and pictures of compositions and melodies (General MIDI synthesizer).", memory_mb=1769
        )
        self.training_trigger = function(
            "training_trigger", "Starts the training workflow for each new training-job record.", memory_mb=256
        )
        self.training_progress = function(
            "training_progress",
            "Reads a running job's progress file and writes it to the record.",
            memory_mb=256,
            timeout=Duration.seconds(50),
        )
        self.functions = {
            f.name: f
            for f in (
                self.api_function,
                self.media_function,
                self.compose_worker,
                self.training_trigger,
                self.training_progress,
            )
        }

        self.images = FrameworkImages(
            self,
            "Images",
            training_image=settings.training_image or None,
            inference_image=settings.inference_image or None,
            training_tag=settings.training_image_tag,
            inference_tag=settings.inference_image_tag,
        )
        workflow = WorkflowSettings(
            training_instance_type=settings.training_instance_type,
            max_runtime_seconds=settings.max_runtime_seconds,
            poll_seconds=settings.poll_seconds,
            serverless_memory_mb=settings.serverless_memory_mb,
            serverless_max_concurrency=settings.serverless_max_concurrency,
        )
        self.training = Training(
            self,
            "Training",
            bucket=self.storage.bucket,
            training_jobs=self.storage.table(TRAINING_JOBS),
            models=self.storage.table(MODELS),
            images=self.images,
            progress_function=self.training_progress.function,
            settings=workflow,
            log_retention=retention,
        )
        self.dead_letters = self.training.add_trigger(self.training_trigger.function, self.storage.table(TRAINING_JOBS))

        self.inference = Inference(
            self,
            "Inference",
            execution_role=self.training.sagemaker_role,
            image=self.images.inference_image,
            models_table=self.storage.table(MODELS),
            memory_mb=settings.serverless_memory_mb,
            max_concurrency=settings.serverless_max_concurrency,
        )

        # The site first: the API's CORS origin and the sign-in callback are its URL (unless an origin is configured).
        self.studio = StudioSite(self, "Studio", access_logs=self.storage.access_log_bucket)
        console_origin = settings.console_origin or self.studio.url
        self.api = Api(
            self,
            "Api",
            handler=self.api_function.function,
            media_handler=self.media_function.function,
            console_origin=console_origin,
            sign_in_urls=tuple(dict.fromkeys((self.studio.url, console_origin))),
            throttle_rate=settings.throttle_rate,
            throttle_burst=settings.throttle_burst,
            log_retention=retention,
            self_sign_up=settings.self_sign_up,
        )
        self.studio.deploy(
            api_url=self.api.url,
            user_pool=self.api.user_pool,
            client=self.api.client,
            prefix=settings.hosted_ui_prefix,
        )

        # The trigger starts executions; the API hands compositions to the worker. (The progress
        # function must not get the state machine's ARN: the machine references it.)
        self.training_trigger.add_environment(Env.STATE_MACHINE_ARN, self.training.state_machine.state_machine_arn)
        self.api_function.add_environment(Env.COMPOSE_WORKER_FUNCTION, self.compose_worker.function.function_name)
        self.api_function.add_environment(Env.CORS_ALLOW_ORIGIN, console_origin)
        self.media_function.add_environment(Env.CORS_ALLOW_ORIGIN, console_origin)
        self.api_function.add_environment(Env.MAX_CONCURRENT_TRAINING_JOBS, str(settings.max_concurrent_training_jobs))
        self._grant()
        self._acknowledge_custom_resource_provider()

        self.monitoring = Monitoring(
            self,
            "Monitoring",
            functions={name: f.function for name, f in self.functions.items()},
            rest_api=self.api.rest_api,
            state_machine=self.training.state_machine,
            dead_letters=self.dead_letters,
            endpoint_names=self.inference.endpoint_names,
            alarm_email=settings.alarm_email or None,
        )
        self._outputs()

    # --- least privilege, function by function -------------------------------------------------

    def _tables(self, fn: PythonFunction, grants: dict[TableSpec, tuple[str, ...]]) -> None:
        for spec, actions in grants.items():
            self.storage.table(spec).grant(fn.role, *actions)

    def _objects(self, fn: PythonFunction, actions: list[str], prefixes: list[str]) -> None:
        bucket = self.storage.bucket
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(actions=actions, resources=[bucket.arn_for_objects(f"{p}*") for p in prefixes])
        )
        for prefix in prefixes:
            acknowledge(
                fn.role,
                f"AwsSolutions-IAM5[Resource::<DataBucket.Arn>/{prefix}*]",
                f"Objects under {prefix} are named per owner and record at run time; the "
                f"function is limited to that prefix and to {', '.join(actions)}.",
            )

    def _list(self, fn: PythonFunction, prefix: str) -> None:
        """Listing limited to keys under ``prefix`` (deleting a composition finds its files by prefix)."""
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.storage.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            )
        )

    def _grant(self) -> None:
        """What each function's code calls (shared/store/*, lambdas/*), table by table and prefix by
        prefix; the infrastructure tests pin these sets."""
        get, query, put, update, delete, batch_get = (
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchGetItem",
        )
        api = self.api_function
        self._tables(
            api,
            {
                MELODIES: (get, query, put, update, delete),
                COMPOSITIONS: (get, query, put, update, delete),
                MODELS: (batch_get, query, update, delete),
                TRAINING_JOBS: (get, query, put, update),
                IDEMPOTENCY: (get, put, update, delete),
            },
        )
        self._objects(api, ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], ["melodies/"])
        self._objects(api, ["s3:GetObject", "s3:DeleteObject"], ["compositions/"])
        self._list(api, "compositions/")
        # Deleting a composition deletes its rendered audio too.
        self._objects(api, ["s3:DeleteObject"], [f"{Keys.AUDIO_PREFIX}compositions/"])
        self._list(api, f"{Keys.AUDIO_PREFIX}compositions/")
        api.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.compose_worker.function.function_arn]
            )
        )
        api.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sagemaker:StopTrainingJob"], resources=[self._sagemaker_arn("training-job")])
        )
        api.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sagemaker:DeleteEndpoint"], resources=[self._sagemaker_arn("endpoint")])
        )
        self._acknowledge_sagemaker_prefix(
            api, "training-job", "stops the user's own training jobs (POST /training-jobs/{id}/stop)"
        )
        self._acknowledge_sagemaker_prefix(api, "endpoint", "deletes the endpoints of the user's own trained models")

        media = self.media_function
        # compositions.get may move a record whose worker died to FAILED (its lease), hence UpdateItem.
        self._tables(media, {MELODIES: (get,), COMPOSITIONS: (get, update), TRAINING_JOBS: (get,)})
        self._objects(media, ["s3:GetObject"], ["melodies/", "compositions/", "samples/"])
        self._objects(media, ["s3:GetObject", "s3:PutObject"], [Keys.AUDIO_PREFIX])
        # Without ListBucket, S3 answers a HEAD of a not-yet-rendered file 403 instead of 404.
        media.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.storage.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{Keys.AUDIO_PREFIX}*"]}},
            )
        )

        worker = self.compose_worker
        self._tables(worker, {COMPOSITIONS: (get, update)})
        self._objects(worker, ["s3:GetObject"], ["melodies/"])
        self._objects(worker, ["s3:PutObject", "s3:DeleteObject"], ["compositions/"])
        worker.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker:InvokeEndpoint"],
                resources=[*self.inference.endpoint_arns, self._sagemaker_arn("endpoint")],
            )
        )
        self._acknowledge_sagemaker_prefix(
            worker, "endpoint", "invokes the endpoints of trained models (besides the built-in ones)"
        )

        progress = self.training_progress
        self._tables(progress, {TRAINING_JOBS: (get, update)})
        self._objects(progress, ["s3:GetObject"], ["training/"])
        self._objects(progress, ["s3:PutObject"], ["samples/"])  # each epoch's sample, copied out of training/

        # The trigger's only data call is states:StartExecution (granted with its event source).
        acknowledge(
            self.training_trigger.role,
            "AwsSolutions-IAM5[Resource::*]",
            "dynamodb:ListStreams (needed by the stream event source) and the X-Ray actions "
            "support no resource-level permissions.",
        )

    def _sagemaker_arn(self, kind: str) -> str:
        return self.format_arn(service="sagemaker", resource=kind, resource_name=f"{SAGEMAKER_NAME_PREFIX}*")

    def _acknowledge_sagemaker_prefix(self, fn: PythonFunction, kind: str, what: str) -> None:
        acknowledge(
            fn.role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:{kind}/{SAGEMAKER_NAME_PREFIX}*]",
            f"The {fn.name} function {what}; those are created at run time and named after the "
            f"training job, so the role is limited to names starting with '{SAGEMAKER_NAME_PREFIX}'.",
        )

    def _acknowledge_custom_resource_provider(self) -> None:
        """The single Lambda behind every AwsCustomResource (here: built-in model registration)."""
        provider = self.node.try_find_child("AWS679f53fac002430cb0da5b7982bd2287")
        if provider is None:
            return
        acknowledge(
            provider,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's deploy-time custom-resource handler writes only its own logs; its data "
            "permission is the explicit PutItem/DeleteItem on the models table.",
        )

    def _outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.api.url, description="Base URL of the REST API.")
        CfnOutput(self, "UserPoolId", value=self.api.user_pool.user_pool_id, description="Cognito user pool id.")
        CfnOutput(
            self,
            "UserPoolClientId",
            value=self.api.client.user_pool_client_id,
            description="App client id for the console.",
        )
        CfnOutput(self, "StudioUrl", value=self.studio.url, description="The web studio (sign in there).")
        CfnOutput(self, "BucketName", value=self.storage.bucket.bucket_name)
        CfnOutput(self, "StateMachineArn", value=self.training.state_machine.state_machine_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.monitoring.dashboard.dashboard_name)


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def _retention(days: int) -> logs.RetentionDays:
    try:
        return _RETENTION[days]
    except KeyError:
        raise ValueError(f"logRetentionDays={days}: choose one of {sorted(_RETENTION)}") from None
