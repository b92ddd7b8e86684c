"""The training workflow: the ASL file with every ${...} supplied, a role that covers exactly the
tasks the file uses, the SageMaker role and source dir, and the stream trigger."""

from __future__ import annotations

import json
import tarfile

import pytest

from cdk.training import asl_task_resources
from lambdas.training_trigger.execution import sagemaker_job_name
from shared.contract import SAGEMAKER_NAME_PREFIX
from statemachine.definition import TRAINING_ASL, load_definition, placeholders
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.helpers import allowed_actions, as_list, flat, resources_for, statements_of_role

pytestmark = pytest.mark.xdist_group("cdk-synth")


def _machine(synth: Synthesized) -> dict:
    return synth.resources["TrainingStateMachine"]["Properties"]


def _workflow_statements(synth: Synthesized) -> list[dict]:
    return statements_of_role(synth, _machine(synth)["RoleArn"]["Fn::GetAtt"][0])


def _sagemaker_role(synth: Synthesized) -> str:
    return _machine(synth)["DefinitionSubstitutions"]["SageMakerRoleArn"]["Fn::GetAtt"][0]


def test_every_placeholder_in_the_asl_is_supplied_and_nothing_else(synthesized: Synthesized) -> None:
    substitutions = _machine(synthesized)["DefinitionSubstitutions"]
    assert set(substitutions) == placeholders()
    # The definition is the file itself (CloudFormation fills the names in at deploy time).
    assert json.loads(flat(_machine(synthesized)["DefinitionString"])) == json.loads(TRAINING_ASL.read_text())


def test_substitutions_point_at_the_right_resources(synthesized: Synthesized) -> None:
    s = _machine(synthesized)["DefinitionSubstitutions"]
    assert s["TrainingJobsTable"] == {"Ref": "TrainingJobsTable"}
    assert s["ModelsTable"] == {"Ref": "ModelsTable"}
    assert s["ProgressFunctionArn"] == {"Fn::GetAtt": ["TrainingProgressFunction", "Arn"]}
    assert synthesized.resources[_sagemaker_role(synthesized)]["Type"] == "AWS::IAM::Role"
    assert flat(s["SourceDirS3Uri"]).startswith("s3://") and flat(s["SourceDirS3Uri"]).endswith(".gz")
    assert "/pytorch-training:" in flat(s["TrainingImage"]) and "/pytorch-inference:" in flat(s["InferenceImage"])
    assert s["TrainingInstanceType"].startswith("ml.")
    for number in ("MaxRuntimeSeconds", "PollSeconds", "ServerlessMemoryMb", "ServerlessMaxConcurrency"):
        assert int(s[number]) > 0
    # And the same names load through the workflow's own loader (used locally), with literal values.
    literal = {name: value if isinstance(value, str) else "x" for name, value in s.items()}
    assert json.loads(load_definition(literal))["StartAt"]


def test_workflow_role_covers_each_task_and_nothing_more(synthesized: Synthesized) -> None:
    statements = _workflow_statements(synthesized)
    actions = allowed_actions(statements)
    for resource in asl_task_resources():
        service, action = resource.split(":::")[1].removeprefix("aws-sdk:").split(":")
        iam_action = f"{service}:{action[0].upper()}{action[1:]}"
        if service == "lambda":
            iam_action = "lambda:InvokeFunction"
        assert iam_action in actions, resource
    data_actions = {a for a in actions if not a.startswith(("logs:", "xray:"))}
    expected = {
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "lambda:InvokeFunction",
        "iam:PassRole",
        "sagemaker:AddTags",
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:StopTrainingJob",
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:CreateEndpoint",
        "sagemaker:DescribeEndpoint",
    }
    assert data_actions == expected
    for action in expected - {"dynamodb:UpdateItem", "dynamodb:PutItem", "lambda:InvokeFunction", "iam:PassRole"}:
        for target in resources_for(statements, action):
            assert f"/{SAGEMAKER_NAME_PREFIX}*" in flat(target), (action, target)
    [pass_role] = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert pass_role["Resource"] == {"Fn::GetAtt": [_sagemaker_role(synthesized), "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert resources_for(statements, "lambda:InvokeFunction") == [{"Fn::GetAtt": ["TrainingProgressFunction", "Arn"]}]


def test_sagemaker_names_from_the_trigger_fall_under_the_permitted_prefix() -> None:
    assert sagemaker_job_name("tj-01HZX3Y").startswith(SAGEMAKER_NAME_PREFIX)


def test_workflow_logs_everything_and_traces(synthesized: Synthesized) -> None:
    props = _machine(synthesized)
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["StateMachineType"] == "STANDARD"


def test_sagemaker_role_is_scoped(synthesized: Synthesized) -> None:
    role = synthesized.resources[_sagemaker_role(synthesized)]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "sagemaker.amazonaws.com"
    }
    assert "ManagedPolicyArns" not in role["Properties"]
    statements = statements_of_role(synthesized, _sagemaker_role(synthesized))
    bucket_objects = {flat(r) for r in resources_for(statements, "s3:PutObject")}
    assert bucket_objects == {"<DataBucket.Arn>/training/*"}
    [listing] = [s for s in statements if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["training/*"]}}
    [metrics] = [s for s in statements if "cloudwatch:PutMetricData" in as_list(s["Action"])]
    assert "cloudwatch:namespace" in metrics["Condition"]["StringLike"]
    for repo in resources_for(statements, "ecr:BatchGetImage"):
        assert flat(repo).endswith(("repository/pytorch-training", "repository/pytorch-inference"))


def test_new_training_records_trigger_the_workflow_with_retries_and_a_dead_letter_queue(
    synthesized: Synthesized,
) -> None:
    [mapping] = synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": "TrainingTriggerFunction"}
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["TrainingJobsTable", "StreamArn"]}
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert patterns == [{"eventName": ["INSERT"]}]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["MaximumRetryAttempts"] >= 1 and props["BisectBatchOnFunctionError"] is True
    dlq = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    queue = synthesized.resources[dlq]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True


def test_source_dir_tarball_has_the_model_code_shared_code_and_requirements(synthesized: Synthesized) -> None:
    [asset] = [
        p
        for p in synthesized.assembly_dir.glob("asset.*.tar.gz")
        if "model/train.py" in tarfile.open(p).getnames() and "code/inference.py" not in tarfile.open(p).getnames()
    ]
    with tarfile.open(asset) as tar:
        names = set(tar.getnames())
        requirements = tar.extractfile("requirements.txt").read().decode().split()
    assert {"model/train.py", "model/inference.py", "shared/resources.py", "shared/schemas.py", "inference.py"} <= names
    # of the shipped models only the weights a custom GAN starts from (startFrom bach-chorales)
    assert {n for n in names if n.startswith("model/pretrained/")} == {
        "model/pretrained/bach-chorales/generator.pt",
        "model/pretrained/bach-chorales/model.json",
    }
    assert not any("__pycache__" in n for n in names)
    assert any(r.startswith("music21") for r in requirements)
    assert not any(r.startswith("torch") for r in requirements), "the framework image provides torch"
