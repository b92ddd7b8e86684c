"""The bucket: melody and composition MIDI files, at the keys ``shared.resources.Keys`` defines,
the progress file a training job syncs to its checkpoint prefix, and the per-epoch samples kept
from there."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from shared.contract import PROGRESS_FILE
from shared.resources import Keys, bucket_name
from shared.store import aws

MIDI_CONTENT_TYPE = "audio/midi"


def _put(key: str, data: bytes) -> None:
    aws.client("s3").put_object(Bucket=bucket_name(), Key=key, Body=data, ContentType=MIDI_CONTENT_TYPE)


def _get(key: str, bucket: str | None = None) -> bytes | None:
    try:
        return bytes(aws.client("s3").get_object(Bucket=bucket or bucket_name(), Key=key)["Body"].read())
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise


def _delete(key: str) -> None:
    aws.client("s3").delete_object(Bucket=bucket_name(), Key=key)


def put_melody(owner: str, melody_id: str, data: bytes, version: int = 1) -> None:
    _put(Keys.melody_midi(owner, melody_id, version), data)


def get_melody(owner: str, melody_id: str, version: int = 1) -> bytes | None:
    return _get(Keys.melody_midi(owner, melody_id, version))


def delete_melody(owner: str, melody_id: str, versions: int = 1) -> None:
    """Every version's file, 1 to ``versions``."""
    for version in range(1, versions + 1):
        delete_melody_version(owner, melody_id, version)


def delete_melody_version(owner: str, melody_id: str, version: int) -> None:
    _delete(Keys.melody_midi(owner, melody_id, version))


def put_composition(owner: str, composition_id: str, data: bytes) -> None:
    _put(Keys.composition_midi(owner, composition_id), data)


def get_composition(owner: str, composition_id: str) -> bytes | None:
    return _get(Keys.composition_midi(owner, composition_id))


def delete_composition(owner: str, composition_id: str) -> None:
    _delete(Keys.composition_midi(owner, composition_id))


def _checkpoint_key(checkpoint_uri: str, name: str) -> tuple[str, str]:
    """(bucket, key) of file ``name`` under a job's checkpoint prefix (``s3://bucket/prefix``)."""
    parsed = urlparse(checkpoint_uri)
    return parsed.netloc, f"{parsed.path.strip('/')}/{name}".lstrip("/")


def copy_training_sample(checkpoint_uri: str, name: str, owner: str, job_id: str, epoch: int) -> bool:
    """Copy an epoch's sample from the checkpoint prefix (scratch that SageMaker syncs) to its kept
    key; False while the sync has not uploaded it yet."""
    bucket, key = _checkpoint_key(checkpoint_uri, name)
    try:
        aws.client("s3").copy_object(
            Bucket=bucket_name(),
            Key=Keys.training_sample(owner, job_id, epoch),
            CopySource={"Bucket": bucket, "Key": key},
            ContentType=MIDI_CONTENT_TYPE,
            MetadataDirective="REPLACE",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return False
        raise
    return True


def get_training_sample(owner: str, job_id: str, epoch: int) -> bytes | None:
    return _get(Keys.training_sample(owner, job_id, epoch))


def get_training_progress(checkpoint_uri: str) -> bytes | None:
    """The progress file under a job's checkpoint prefix (``s3://bucket/prefix``, as the workflow
    passes it); None until the first epoch wrote one."""
    bucket, key = _checkpoint_key(checkpoint_uri, PROGRESS_FILE)
    return _get(key, bucket=bucket)


def get_object(key: str) -> bytes | None:
    """Any object of the data bucket by key (None when absent)."""
    return _get(key)


def head(key: str) -> dict[str, Any] | None:
    """``{"size", "etag", "lastModified"}`` of an object, or None when there is none."""
    try:
        meta = aws.client("s3").head_object(Bucket=bucket_name(), Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return {"size": int(meta["ContentLength"]), "etag": meta["ETag"], "lastModified": meta["LastModified"]}


def put_object(key: str, data: bytes, content_type: str) -> dict[str, Any]:
    """Write an object; answers its ``{"size", "etag", "lastModified"}`` as the bucket now has it."""
    aws.client("s3").put_object(Bucket=bucket_name(), Key=key, Body=data, ContentType=content_type)
    meta = head(key)
    if meta is None:  # read-after-write is strong on S3: only a concurrent delete gets here
        raise LookupError(f"s3://{bucket_name()}/{key} vanished right after it was written")
    return meta


def presigned_get(key: str, expires_seconds: int, filename: str) -> str:
    """A URL that downloads ``key`` for ``expires_seconds``, saved as ``filename``."""
    url: str = aws.client("s3", signature_version="s3v4").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket_name(),
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        },
        ExpiresIn=expires_seconds,
    )
    return url


def delete_composition_files(owner: str, composition_id: str) -> None:
    """Every file named under the composition's prefix (``Keys.composition_prefix``): its MIDI and
    whatever was cached from it; ``<id>x...`` of another composition is not matched. Its rendered
    audio (``Keys.audio_folder``) goes with it."""
    prefix = Keys.composition_prefix(owner, composition_id)
    audio = Keys.audio_folder(Keys.composition_midi(owner, composition_id))
    s3 = aws.client("s3")
    keys = [
        key
        for folder in (prefix, audio)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket_name(), Prefix=folder)
        for key in (o["Key"] for o in page.get("Contents", []))
        if folder.endswith("/") or key[len(folder) : len(folder) + 1] in "./"
    ]
    for start in range(0, len(keys), 1000):
        s3.delete_objects(
            Bucket=bucket_name(), Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True}
        )
