"""The bucket: melody and composition MIDI files, at the keys ``shared.resources.Keys`` defines,
and the progress file a training job syncs to its checkpoint prefix."""

from __future__ import annotations

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


def get_training_progress(checkpoint_uri: str) -> bytes | None:
    """The progress file under a job's checkpoint prefix (``s3://bucket/prefix``, as the workflow
    passes it); None until the first epoch wrote one."""
    parsed = urlparse(checkpoint_uri)
    return _get(f"{parsed.path.strip('/')}/{PROGRESS_FILE}".lstrip("/"), bucket=parsed.netloc)


def delete_composition_files(owner: str, composition_id: str) -> None:
    """Every file named under the composition's prefix (``Keys.composition_prefix``): its MIDI and
    whatever was cached from it; ``<id>x...`` of another composition is not matched."""
    prefix = Keys.composition_prefix(owner, composition_id)
    s3 = aws.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket_name(), Prefix=prefix)
    keys = [
        o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"][len(prefix) : len(prefix) + 1] in "./"
    ]
    for start in range(0, len(keys), 1000):
        s3.delete_objects(
            Bucket=bucket_name(), Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True}
        )
