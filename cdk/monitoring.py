"""Monitoring: alarms (function errors and throttles, API 5xx, failed compositions from the compose
worker's own metric, failed/timed-out/aborted training workflows, dead-lettered trigger records) to
an encrypted SNS topic, and one dashboard for operators."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from shared.contract import METRICS_NAMESPACE, composition_metric
from shared.statuses import CompositionStatus

PERIOD = Duration.minutes(5)
# A few failed compositions are a user's unusual melody; this many in five minutes is an endpoint problem.
FAILED_COMPOSITIONS_THRESHOLD = 5


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: dict[str, lambda_.IFunction],
        rest_api: apigw.RestApi,
        state_machine: sfn.StateMachine,
        dead_letters: sqs.IQueue,
        endpoint_names: list[str],
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # CloudWatch can publish to an encrypted topic only with a customer managed key whose policy
        # lets it use the key (the AWS managed aws/sns key cannot be shared that way).
        self.key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the composer backend's alarm topic.",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self, "Alarms", display_name="Composer backend alarms", master_key=self.key, enforce_ssl=True
        )
        if alarm_email:
            sns.Subscription(
                self, "AlarmEmail", topic=self.topic, protocol=sns.SubscriptionProtocol.EMAIL, endpoint=alarm_email
            )
        action = cw_actions.SnsAction(self.topic)
        self.alarms: list[cw.Alarm] = []

        def alarm(alarm_id: str, metric: cw.IMetric, description: str, threshold: float = 1) -> cw.Alarm:
            created = cw.Alarm(
                self,
                alarm_id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            created.add_alarm_action(action)
            self.alarms.append(created)
            return created

        for name, fn in functions.items():
            title = name.replace("_", " ")
            alarm(
                f"{_pascal(name)}Errors",
                fn.metric_errors(period=PERIOD, statistic="Sum"),
                f"The {title} function raised errors.",
            )
            alarm(
                f"{_pascal(name)}Throttles",
                fn.metric_throttles(period=PERIOD, statistic="Sum"),
                f"The {title} function was throttled.",
            )
        alarm("Api5xx", rest_api.metric_server_error(period=PERIOD, statistic="Sum"), "The REST API answered 5xx.")
        alarm(
            "CompositionsFailed",
            cw.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=composition_metric(CompositionStatus.FAILED),
                dimensions_map={"service": "compose_worker"},
                period=PERIOD,
                statistic="Sum",
            ),
            "Compositions are failing (the compose worker's own metric): the model endpoint is likely unwell.",
            threshold=FAILED_COMPOSITIONS_THRESHOLD,
        )
        alarm(
            "TrainingFailed",
            state_machine.metric_failed(period=PERIOD, statistic="Sum"),
            "A training workflow execution failed (the job record says why).",
        )
        alarm(
            "TrainingTimedOut",
            state_machine.metric_timed_out(period=PERIOD, statistic="Sum"),
            "A training workflow timed out.",
        )
        alarm(
            "TrainingAborted",
            state_machine.metric_aborted(period=PERIOD, statistic="Sum"),
            "A training workflow was aborted.",
        )
        alarm(
            "TriggerDeadLetters",
            dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            "Training-job records the trigger could not start; they stay QUEUED until handled.",
        )

        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=Duration.hours(6))
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="API requests and errors",
                left=[rest_api.metric_count(period=PERIOD, statistic="Sum")],
                right=[
                    rest_api.metric_client_error(period=PERIOD, statistic="Sum"),
                    rest_api.metric_server_error(period=PERIOD, statistic="Sum"),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="API latency (p50 / p99)",
                left=[
                    rest_api.metric_latency(period=PERIOD, statistic="p50"),
                    rest_api.metric_latency(period=PERIOD, statistic="p99"),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Function invocations and errors",
                left=[
                    fn.metric_invocations(period=PERIOD, statistic="Sum", label=f"{n} invocations")
                    for n, fn in functions.items()
                ],
                right=[
                    fn.metric_errors(period=PERIOD, statistic="Sum", label=f"{n} errors") for n, fn in functions.items()
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Function duration (p99)",
                left=[fn.metric_duration(period=PERIOD, statistic="p99", label=n) for n, fn in functions.items()],
                width=12,
            ),
            cw.GraphWidget(
                title="Training workflows",
                left=[
                    state_machine.metric_started(period=PERIOD, statistic="Sum"),
                    state_machine.metric_succeeded(period=PERIOD, statistic="Sum"),
                    state_machine.metric_failed(period=PERIOD, statistic="Sum"),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Built-in model endpoints",
                left=[_endpoint_metric(name, "Invocations", "Sum") for name in endpoint_names],
                right=[_endpoint_metric(name, "ModelLatency", "p90") for name in endpoint_names],
                width=12,
            ),
            cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
        )


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _endpoint_metric(endpoint_name: str, metric_name: str, statistic: str) -> cw.Metric:
    return cw.Metric(
        namespace="AWS/SageMaker",
        metric_name=metric_name,
        dimensions_map={"EndpointName": endpoint_name, "VariantName": "AllTraffic"},
        period=PERIOD,
        statistic=statistic,
    )
