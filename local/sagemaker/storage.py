"""Moving files between the local S3 (moto, through boto3) and the job's directories.

SageMaker copies channels in, syncs the checkpoint directory out while the job runs, and uploads
``model.tar.gz`` at the end; these helpers are those copies, nothing more.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``; raises ``ValueError`` for anything else."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an S3 URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def download_prefix(s3: Any, uri: str, target: Path) -> int:
    """Copy every object under ``uri`` into ``target`` (keeping relative paths); returns the count."""
    bucket, prefix = split_s3_uri(uri)
    base = prefix.rstrip("/") + "/" if prefix else ""
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base):
        for obj in page.get("Contents", []):
            relative = obj["Key"][len(base) :]
            if not relative or relative.endswith("/"):
                continue
            dest = target / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            count += 1
    return count


def download_object(s3: Any, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def upload_bytes(s3: Any, uri: str, data: bytes) -> None:
    bucket, key = split_s3_uri(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=data)


def tar_gz(directory: Path) -> bytes:
    """The directory's content as a gzipped tar with paths relative to it, as SageMaker packs it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=str(path.relative_to(directory)))
    return buffer.getvalue()


def extract_tar_gz(data: bytes, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(target, filter="data")


class CheckpointSync:
    """Uploads new or changed files of a local directory to an S3 prefix, like SageMaker's checkpoint sync."""

    def __init__(self, s3: Any, local_dir: Path, uri: str) -> None:
        self._s3 = s3
        self._local_dir = local_dir
        self._bucket, prefix = split_s3_uri(uri)
        self._prefix = prefix.rstrip("/")
        self._seen: dict[Path, tuple[int, int]] = {}

    def sync(self) -> int:
        """Upload what changed since the last call; returns how many files went up."""
        uploaded = 0
        for path in sorted(self._local_dir.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.suffix == ".tmp":
                continue
            try:
                stat = path.stat()
                signature = (stat.st_mtime_ns, stat.st_size)
                if self._seen.get(path) == signature:
                    continue
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            key = (
                f"{self._prefix}/{path.relative_to(self._local_dir)}"
                if self._prefix
                else str(path.relative_to(self._local_dir))
            )
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=data)
            self._seen[path] = signature
            uploaded += 1
        return uploaded
