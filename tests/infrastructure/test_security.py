"""Checks across the whole template: cdk-nag AwsSolutions (it runs during the session's synthesis;
an unacknowledged finding fails it), the written reasons of every acknowledgement, no wildcard
actions, and cfn-lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks

from cdk.nag import MIN_REASON_WORDS, acknowledge
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.helpers import as_list

pytestmark = pytest.mark.xdist_group("cdk-synth")

# Resource "*" is acceptable only for actions AWS offers no resource-level permission for.
NO_RESOURCE_LEVEL = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "dynamodb:ListStreams",
}
# The rule families we acknowledge anywhere; a new family needs a conscious change here.
ACKNOWLEDGED_FAMILIES = {
    "AwsSolutions-IAM5",
    "AwsSolutions-IAM4",
    "AwsSolutions-L1",
    "AwsSolutions-COG2",
    "AwsSolutions-COG8",
    "AwsSolutions-APIG3",
    "AwsSolutions-APIG4",
    "AwsSolutions-COG4",
    "AwsSolutions-SQS3",
    "AwsSolutions-CFR1",
    "AwsSolutions-CFR2",
    "AwsSolutions-CFR4",
}
# CDK's own BucketDeployment handler (the studio's upload): CDK writes its policy, with s3 verb
# wildcards on the asset and studio buckets; it is acknowledged as a whole and left out of the checks below.
DEPLOYMENT_HANDLER_PREFIX = "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C"


def _acknowledgements(synth: Synthesized) -> list[tuple[str, str, str]]:
    out = []
    for logical, resource in synth.resources.items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            out.append((logical, rule["id"], rule["reason"]))
    return out


def test_nag_ran_on_the_session_synthesis_and_passed(synthesized: Synthesized) -> None:
    report = json.loads((synthesized.assembly_dir / "validation-report.json").read_text())
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])
    assert _acknowledgements(synthesized), "acknowledgements are written to the template (audit trail)"


def test_nag_fails_synthesis_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    """The same plugin set-up as app.py: a queue without TLS enforcement must stop the synth,
    and acknowledging it (with a reason) must let it pass."""

    def synth(acknowledged: bool) -> None:
        app = App(outdir=str(tmp_path / str(acknowledged)))
        stack = Stack(app, "Probe")
        queue = sqs.Queue(stack, "Queue", encryption=sqs.QueueEncryption.SQS_MANAGED)
        if acknowledged:
            for rule in ("AwsSolutions-SQS3", "AwsSolutions-SQS4"):
                acknowledge(queue, rule, "A probe queue in a test: never deployed, only synthesized here.")
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        app.synth()

    with pytest.raises(Exception, match="AwsSolutions-SQS4"):
        synth(acknowledged=False)
    synth(acknowledged=True)


def test_a_reason_is_required() -> None:
    with pytest.raises(ValueError, match="real reason"):
        acknowledge(Stack(App(), "Probe"), "AwsSolutions-S1", "because")


def test_every_acknowledgement_is_specific_and_reasoned(synthesized: Synthesized) -> None:
    for logical, rule, reason in _acknowledgements(synthesized):
        family = rule.split("[", 1)[0]
        assert family in ACKNOWLEDGED_FAMILIES, (logical, rule)
        assert len(reason.split()) >= MIN_REASON_WORDS, (logical, rule)
        if family == "AwsSolutions-IAM5" and not logical.startswith(DEPLOYMENT_HANDLER_PREFIX):
            assert rule.startswith("AwsSolutions-IAM5[Resource::"), (
                f"{logical}: wildcard actions are never acknowledged"
            )
    stack_wide = [a for a in _acknowledgements(synthesized) if a[0] == "ComposerBackend"]
    assert not stack_wide


def test_no_wildcard_actions_and_star_resources_only_where_aws_allows_nothing_else(synthesized: Synthesized) -> None:
    ours = {k: v for k, v in synthesized.resources.items() if not k.startswith(DEPLOYMENT_HANDLER_PREFIX)}
    assert len(ours) < len(synthesized.resources)  # the prefix still names the handler
    policies = [r["Properties"]["PolicyDocument"] for r in ours.values() if r["Type"] == "AWS::IAM::Policy"]
    for role in (r for r in ours.values() if r["Type"] == "AWS::IAM::Role"):
        policies += [p["PolicyDocument"] for p in role["Properties"].get("Policies", [])]
    assert policies
    for document in policies:
        for statement in document["Statement"]:
            actions = as_list(statement["Action"])
            assert not any("*" in a for a in actions), actions
            if "*" in as_list(statement["Resource"]):
                assert set(actions) <= NO_RESOURCE_LEVEL, actions


def test_cfn_lint_reports_no_errors(synthesized: Synthesized) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run(
        [str(cfn_lint), "--format", "json", str(synthesized.template_path)], capture_output=True, text=True, check=False
    )
    findings = json.loads(done.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert not errors, json.dumps(errors, indent=1)[:4000]
    assert done.returncode & ~(4 | 8) == 0, done.stderr  # bit 2 = errors, bit 1 = crash; 4, 8 = warnings, notes


# Pay-per-use resources, plus the few with a small idle price that README's cost section states
# (KMS key, alarms, log and object storage). A new type here means re-checking that section.
PRICED_AS_DOCUMENTED = {
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Stage",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::DynamoDB::Table",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SageMaker::Endpoint",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::Model",
    "AWS::StepFunctions::StateMachine",
    "Custom::AWS",
    "Custom::CDKBucketDeployment",
}


def test_nothing_that_bills_while_idle_beyond_what_the_readme_states(synthesized: Synthesized) -> None:
    types = {r["Type"] for r in synthesized.resources.values()}
    assert types <= PRICED_AS_DOCUMENTED, sorted(types - PRICED_AS_DOCUMENTED)
    assert len(synthesized.of_type("AWS::KMS::Key")) == 1
    for config in synthesized.of_type("AWS::SageMaker::EndpointConfig").values():
        assert all("ServerlessConfig" in v for v in config["Properties"]["ProductionVariants"])
    for table in synthesized.of_type("AWS::DynamoDB::Table").values():
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
