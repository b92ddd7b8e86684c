"""``AWS::S3::Bucket`` (versioned where the template says so), and the cloud assembly's file assets
published to the local S3 as ``cdk deploy`` publishes them to the bootstrap bucket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from local.cloudformation.model import LocalResources
from local.cloudformation.registry import provisions
from local.cloudformation.resolver import Resolver


@provisions("AWS::S3::Bucket")
def create_bucket(resolver: Resolver, logical: str, resource: dict[str, Any], out: LocalResources, /) -> None:
    client = boto3.client("s3")
    props = resolver.resolve(resource.get("Properties") or {})
    name = resolver.name(logical)
    client.create_bucket(Bucket=name)
    if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    out.buckets[logical] = name


def upload_file_assets(resolver: Resolver, assets: dict[tuple[str, str], Path]) -> list[str]:
    """Publish the file assets: the training source dir and the shipped models' ``model.tar.gz`` are
    then at the very URLs the template gives the workflow and the SageMaker models. Directory assets
    and zipped Lambda code are skipped: the runtime imports the handlers from the checkout. Returns the S3 URLs."""
    s3 = boto3.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    urls = []
    for (bucket_template, key), source in sorted(assets.items()):
        # A .zip file asset is Lambda code or a layer (the studio's BucketDeployment brings the AWS CLI
        # layer, 20+ MB): nothing here runs it, so it is not worth uploading at every start.
        if not source.is_file() or source.suffix == ".zip":
            continue
        bucket = resolver.resolve({"Fn::Sub": bucket_template})
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
            existing.add(bucket)
        s3.upload_file(str(source), bucket, key)
        urls.append(f"s3://{bucket}/{key}")
    return urls
