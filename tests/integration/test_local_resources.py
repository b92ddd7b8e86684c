"""Local resources from a CloudFormation template (shaped like the CDK app's), against a moto server:
intrinsics resolve to the local names, tables get their keys/stream/TTL, functions their resolved
environment, stream mappings their filters, and custom-resource SDK calls run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local.cloudformation import (
    LocalResources,
    Resolver,
    collect_functions,
    collect_stream_mappings,
    create_buckets,
    create_queues,
    create_state_machines,
    create_tables,
    run_sdk_custom_resources,
)


def _template() -> dict:
    return {
        "Mappings": {"Images": {"us-east-1": {"account": "763104351884"}}},
        "Resources": {
            "JobsTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [
                        {"AttributeName": "owner", "KeyType": "HASH"},
                        {"AttributeName": "id", "KeyType": "RANGE"},
                    ],
                    "AttributeDefinitions": [
                        {"AttributeName": "owner", "AttributeType": "S"},
                        {"AttributeName": "id", "AttributeType": "S"},
                    ],
                    "BillingMode": "PAY_PER_REQUEST",
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                    "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
                    "SSESpecification": {"SSEEnabled": True},
                },
            },
            "DataBucket": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}},
            "WorkflowRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "TrainingStateMachine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": {"Fn::GetAtt": ["WorkflowRole", "Arn"]},
                    "DefinitionString": "{}",
                    "DefinitionSubstitutions": {
                        "JobsTable": {"Ref": "JobsTable"},
                        "Image": {
                            "Fn::Join": [
                                "",
                                [
                                    {"Fn::FindInMap": ["Images", {"Ref": "AWS::Region"}, "account"]},
                                    ".dkr.ecr.",
                                    {"Ref": "AWS::Region"},
                                    ".amazonaws.com/x:1",
                                ],
                            ]
                        },
                        "PollSeconds": "60",
                    },
                },
            },
            "ApiFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "lambdas.api.handler.lambda_handler",
                    "Runtime": "python3.12",
                    "Timeout": 29,
                    "Environment": {
                        "Variables": {
                            "TRAINING_JOBS_TABLE": {"Ref": "JobsTable"},
                            "BUCKET_NAME": {"Ref": "DataBucket"},
                            "STATE_MACHINE_ARN": {"Ref": "TrainingStateMachine"},
                            "TABLE_ARN": {"Fn::Sub": "${JobsTable.Arn}/index/*"},
                        }
                    },
                },
                "Metadata": {"composer:resource": {"kind": "function", "name": "api"}},
            },
            "ProviderFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Handler": "index.handler", "Runtime": "nodejs20.x"},
            },
            # The studio's hosting: CDK's own Python function behind BucketDeployment, its custom
            # resource, the CloudFront distribution and the hosted-UI domain: none of them is ours to run.
            "DeploymentHandler": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Handler": "index.handler", "Runtime": "python3.13", "Timeout": 900},
            },
            "StudioContent": {
                "Type": "Custom::CDKBucketDeployment",
                "Properties": {
                    "ServiceToken": {"Fn::GetAtt": ["DeploymentHandler", "Arn"]},
                    "DestinationBucketName": {"Ref": "DataBucket"},
                    "DistributionId": {"Ref": "StudioCdn"},
                },
            },
            "StudioCdn": {
                "Type": "AWS::CloudFront::Distribution",
                "Properties": {"DistributionConfig": {"DefaultRootObject": "index.html", "Enabled": True}},
            },
            "HostedUi": {
                "Type": "AWS::Cognito::UserPoolDomain",
                "Properties": {"Domain": "composer-studio-1", "UserPoolId": "pool"},
            },
            "TriggerMapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["JobsTable", "StreamArn"]},
                    "FunctionName": {"Ref": "ApiFunction"},
                    "BatchSize": 10,
                    "StartingPosition": "LATEST",
                    "MaximumRetryAttempts": 3,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "FilterCriteria": {"Filters": [{"Pattern": '{"eventName":["INSERT"]}'}]},
                    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["DeadLetters", "Arn"]}}},
                },
            },
            "DeadLetters": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600}},
            "Register": {
                "Type": "Custom::AWS",
                "Properties": {
                    "Create": {
                        "Fn::Join": [
                            "",
                            [
                                '{"service":"DynamoDB","action":"putItem","parameters":{"TableName":"',
                                {"Ref": "JobsTable"},
                                '","Item":{"owner":{"S":"builtin"},"id":{"S":"m"},"builtin":{"BOOL":"TRUE:BOOLEAN"}}}}',
                            ],
                        ]
                    },
                },
            },
        },
    }


@pytest.fixture()
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    yield
    server.stop()


def test_template_becomes_local_resources(moto: None) -> None:
    template = _template()
    stack = f"t{uuid.uuid4().hex[:6]}"  # moto keeps state per process
    resolver = Resolver(stack, template)
    out = LocalResources(stack=stack)
    create_tables(resolver, template, out)
    create_buckets(resolver, template, out)
    create_queues(resolver, template, out)
    seen: dict[str, str] = {}

    def load(subs: dict[str, str]) -> str:
        seen.update(subs)
        return json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})

    create_state_machines(resolver, template, out, load_definition=load, overrides={"PollSeconds": "1"})
    collect_functions(resolver, template, out)
    collect_stream_mappings(resolver, template, out)

    table = out.tables["JobsTable"]
    assert table == f"{stack}-JobsTable"
    ddb = boto3.client("dynamodb")
    desc = ddb.describe_table(TableName=table)["Table"]
    assert [k["AttributeName"] for k in desc["KeySchema"]] == ["owner", "id"]
    assert desc["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["AttributeName"] == "expiresAt"
    bucket = out.buckets["DataBucket"]
    assert boto3.client("s3").get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    assert seen == {"JobsTable": table, "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/x:1", "PollSeconds": "1"}
    sm_arn = out.state_machines["TrainingStateMachine"]
    assert (
        boto3.client("stepfunctions").describe_state_machine(stateMachineArn=sm_arn)["name"]
        == f"{stack}-TrainingStateMachine"
    )

    assert list(out.functions) == ["ApiFunction"]  # the Node.js provider and the deployment handler are CDK's
    api = out.functions["ApiFunction"]
    assert api.module == "lambdas.api.handler" and api.attribute == "lambda_handler" and api.timeout_seconds == 29
    assert api.environment == {
        "TRAINING_JOBS_TABLE": table,
        "BUCKET_NAME": bucket,
        "STATE_MACHINE_ARN": sm_arn,
        "TABLE_ARN": f"{desc['TableArn']}/index/*",
    }
    (mapping,) = out.streams
    assert mapping.stream_arn == desc["LatestStreamArn"]
    assert mapping.function == api.name and mapping.batch_size == 10 and mapping.starting_position == "LATEST"
    assert mapping.report_batch_item_failures and mapping.max_retries == 3
    assert mapping.filter_criteria == {"Filters": [{"Pattern": '{"eventName":["INSERT"]}'}]}
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=out.queues["DeadLetters"])["QueueUrl"]
    assert (
        mapping.on_failure_arn
        == sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    )

    assert run_sdk_custom_resources(resolver, template) == 1
    item = ddb.get_item(TableName=table, Key={"owner": {"S": "builtin"}, "id": {"S": "m"}})["Item"]
    assert item["builtin"] == {"BOOL": True}


def test_unresolvable_reference_is_a_clear_error() -> None:
    from local.cloudformation import TemplateError

    resolver = Resolver("s", {"Resources": {}})
    with pytest.raises(TemplateError, match="Nope"):
        resolver.resolve({"Ref": "Nope"})
    assert resolver.resolve({"Fn::Sub": ["${A}-${AWS::Region}-${!Literal}", {"A": "x"}]}) == "x-us-east-1-${Literal}"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
