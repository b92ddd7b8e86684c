"""Storage: the DynamoDB tables (one per ``shared.resources.TABLES`` entry) and the data bucket.

Logical ids are fixed (``<Spec>Table``, ``DataBucket``) and every resource carries a
``composer:resource`` metadata entry, because the local runtime builds its tables and bucket from
the synthesized template: a stable, self-describing template is that contract (see cdk/README.md).
"""

from __future__ import annotations

from aws_cdk import CfnResource, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from shared.contract import METADATA_KEY
from shared.resources import BUCKET_ENV, TABLES, Keys, TableSpec

AUDIO_CACHE_DAYS = 30


def table_logical_id(spec: TableSpec) -> str:
    return f"{spec.logical}Table"


BUCKET_LOGICAL_ID = "DataBucket"
ACCESS_LOG_BUCKET_LOGICAL_ID = "AccessLogBucket"


class Storage(Construct):
    """Tables: on-demand, point-in-time recovery, encrypted with the AWS managed key, a stream where
    the spec asks for one (training jobs start their workflow from it), TTL where the spec names an
    attribute. Bucket: private, SSE, TLS only, versioned, access-logged, ``scratch/`` expiring."""

    def __init__(self, scope: Construct, construct_id: str, *, scratch_days: int = 1) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in TABLES:
            self.tables[spec.logical] = self._table(spec)

        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._describe(
            self.access_log_bucket.node.default_child, ACCESS_LOG_BUCKET_LOGICAL_ID, {"kind": "accessLogBucket"}
        )

        self.bucket = s3.Bucket(
            self,
            "Data",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="data-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-scratch",
                    prefix=Keys.SCRATCH_PREFIX,
                    expiration=Duration.days(scratch_days),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                # Rendered audio is a cache: each file goes 30 days after its render (the next request
                # renders it again), so renders of MIDI edited or deleted since do not stay forever.
                s3.LifecycleRule(
                    id="expire-audio-cache",
                    prefix=Keys.AUDIO_PREFIX,
                    expiration=Duration.days(AUDIO_CACHE_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="trim-old-versions",
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._describe(self.bucket.node.default_child, BUCKET_LOGICAL_ID, {"kind": "bucket", "env": BUCKET_ENV})

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            table_logical_id(spec),
            partition_key=dynamodb.Attribute(name=spec.partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=(
                dynamodb.Attribute(name=spec.sort_key, type=dynamodb.AttributeType.STRING) if spec.sort_key else None
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=False,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._describe(
            table.node.default_child,
            table_logical_id(spec),
            {"kind": "table", "spec": spec.logical, "env": spec.env},
        )
        return table

    @staticmethod
    def _describe(resource: object, logical_id: str, description: dict[str, str]) -> None:
        assert isinstance(resource, CfnResource)
        resource.override_logical_id(logical_id)
        resource.add_metadata(METADATA_KEY, description)

    def table(self, spec: TableSpec) -> dynamodb.Table:
        return self.tables[spec.logical]

    def environment(self) -> dict[str, str]:
        """Every table's and the bucket's name under its ``shared.resources`` variable."""
        env = {spec.env: self.tables[spec.logical].table_name for spec in TABLES}
        env[BUCKET_ENV] = self.bucket.bucket_name
        return env
