"""Tables from shared.resources.TABLES and the data bucket, with their security properties and the
stable, self-describing logical ids the local runtime reads."""

from __future__ import annotations

import pytest

from cdk.storage import table_logical_id
from shared.contract import METADATA_KEY
from shared.resources import BUCKET_ENV, TABLES, Keys, TableSpec
from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("cdk-synth")


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.logical)
def test_each_table_spec_is_one_secure_table(synthesized: Synthesized, spec: TableSpec) -> None:
    table = synthesized.resources[table_logical_id(spec)]
    assert table["Type"] == "AWS::DynamoDB::Table"
    props = table["Properties"]
    keys = {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]}
    expected = {spec.partition_key: "HASH", **({spec.sort_key: "RANGE"} if spec.sort_key else {})}
    assert keys == expected
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert ("StreamSpecification" in props) == spec.stream
    if spec.stream:
        assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    assert table["Metadata"][METADATA_KEY] == {"kind": "table", "spec": spec.logical, "env": spec.env}
    assert table["DeletionPolicy"] == "Retain"


def test_no_table_exists_outside_the_specs(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::DynamoDB::Table", len(TABLES))
    assert set(synthesized.of_type("AWS::DynamoDB::Table")) == {table_logical_id(s) for s in TABLES}
    synthesized.template.all_resources_properties(
        "AWS::DynamoDB::Table",
        {"BillingMode": "PAY_PER_REQUEST", "SSESpecification": {"SSEEnabled": True}},
    )


def test_data_bucket_is_private_encrypted_tls_only_logged_and_expires_scratch(synthesized: Synthesized) -> None:
    bucket = synthesized.resources["DataBucket"]
    props = bucket["Properties"]
    assert bucket["Metadata"][METADATA_KEY] == {"kind": "bucket", "env": BUCKET_ENV}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    scratch = rules["expire-scratch"]
    assert scratch["Prefix"] == Keys.SCRATCH_PREFIX and scratch["Status"] == "Enabled"
    assert scratch["ExpirationInDays"] >= 1
    audio = rules["expire-audio-cache"]
    assert audio["Prefix"] == Keys.AUDIO_PREFIX and audio["ExpirationInDays"] == 30

    policies = [p["Properties"] for p in synthesized.of_type("AWS::S3::BucketPolicy").values()]
    data_policy = next(p for p in policies if p["Bucket"] == {"Ref": "DataBucket"})
    deny_plain_http = [
        s
        for s in data_policy["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert deny_plain_http and deny_plain_http[0]["Action"] == "s3:*"


def test_access_log_bucket_is_private_and_tls_only_too(synthesized: Synthesized) -> None:
    props = synthesized.resources["AccessLogBucket"]["Properties"]
    assert props["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert "BucketEncryption" in props
    policy = next(
        p["Properties"]
        for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "AccessLogBucket"}
    )
    statements = policy["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in str(s.get("Condition")) for s in statements)
    # Only the S3 logging service may write, and only for the data bucket.
    writers = [s for s in statements if s["Effect"] == "Allow"]
    assert writers and all(s["Principal"] == {"Service": "logging.s3.amazonaws.com"} for s in writers)
