"""Alarms on what operators must hear about, to an encrypted topic; a dashboard."""

from __future__ import annotations

import pytest

from cdk.functions import function_logical_id
from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("cdk-synth")


def _alarms(synth: Synthesized) -> list[dict]:
    return [a["Properties"] for a in synth.of_type("AWS::CloudWatch::Alarm").values()]


def _dimension_refs(alarm: dict) -> set[str]:
    return {
        d["Value"]["Ref"] for d in alarm.get("Dimensions", []) if isinstance(d["Value"], dict) and "Ref" in d["Value"]
    }


@pytest.mark.parametrize("name", ["api", "compose_worker", "training_trigger", "training_progress"])
def test_each_function_alarms_on_errors(synthesized: Synthesized, name: str) -> None:
    errors = [
        a
        for a in _alarms(synthesized)
        if a["MetricName"] == "Errors" and function_logical_id(name) in _dimension_refs(a)
    ]
    assert len(errors) == 1
    assert errors[0]["Threshold"] == 1 and errors[0]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_api_5xx_and_workflow_failures_alarm(synthesized: Synthesized) -> None:
    by_metric = {(a["Namespace"], a["MetricName"]): a for a in _alarms(synthesized)}
    assert ("AWS/ApiGateway", "5XXError") in by_metric
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
        alarm = by_metric[("AWS/States", metric)]
        assert alarm["Dimensions"][0]["Value"] == {"Ref": "TrainingStateMachine"}
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in by_metric


def test_failed_compositions_alarm_reads_the_workers_own_metric(synthesized: Synthesized) -> None:
    """The worker's Powertools Metrics land in METRICS_NAMESPACE with a ``service`` dimension equal to
    the function name; the alarm must read exactly that metric, or it can never fire."""
    from lambdas.compose_worker.handler import SERVICE
    from shared.contract import METRICS_NAMESPACE, composition_metric

    [alarm] = [a for a in _alarms(synthesized) if a["Namespace"] == METRICS_NAMESPACE]
    assert alarm["MetricName"] == composition_metric("FAILED") == "CompositionsFailed"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE}]


def test_every_alarm_notifies_the_encrypted_topic(synthesized: Synthesized) -> None:
    [(topic_id, topic)] = synthesized.of_type("AWS::SNS::Topic").items()
    key = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    assert synthesized.resources[key]["Properties"]["EnableKeyRotation"] is True
    key_policy = synthesized.resources[key]["Properties"]["KeyPolicy"]["Statement"]
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in key_policy)
    for alarm in _alarms(synthesized):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_dashboard_exists(synthesized: Synthesized) -> None:
    assert len(synthesized.of_type("AWS::CloudWatch::Dashboard")) == 1
