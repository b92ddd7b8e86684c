"""The bucket: melody and composition MIDI files, at the keys ``shared.resources.Keys`` defines,
and the progress file a training job syncs to its checkpoint prefix."""

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


def put_melody(owner: str, melody_id: str, data: bytes) -> None:
    _put(Keys.melody_midi(owner, melody_id), data)


def get_melody(owner: str, melody_id: str) -> bytes | None:
    return _get(Keys.melody_midi(owner, melody_id))


def delete_melody(owner: str, melody_id: str) -> None:
    _delete(Keys.melody_midi(owner, melody_id))


def put_composition(owner: str, composition_id: str, data: bytes) -> None:
    _put(Keys.composition_midi(owner, composition_id), data)


def get_composition(owner: str, composition_id: str) -> bytes | None:
    return _get(Keys.composition_midi(owner, composition_id))


def delete_composition(owner: str, composition_id: str) -> None:
    _delete(Keys.composition_midi(owner, composition_id))


def get_training_progress(checkpoint_uri: str) -> bytes | None:
    """The progress file under a job's checkpoint prefix (``s3://bucket/prefix``, as the workflow
    passes it); None until the first epoch wrote one."""
    parsed = urlparse(checkpoint_uri)
    return _get(f"{parsed.path.strip('/')}/{PROGRESS_FILE}".lstrip("/"), bucket=parsed.netloc)


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
