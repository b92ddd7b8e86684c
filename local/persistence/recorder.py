"""Journaling at the local AWS endpoint: every write that succeeded, in the order it was applied.

The recorder wraps the gateway's WSGI application. A request that changes users' data (a DynamoDB
item write, an S3 object write or delete, a SageMaker model, endpoint config or endpoint) is applied
and, when it succeeded, appended to the journal before its answer leaves; one lock spans both, so
the journal's order is the order the writes were applied. Replaying the journal at start, into the
freshly created empty tables and bucket, therefore rebuilds the same state, and a crash (which
only shortens the journal) rebuilds a state the backend really was in: never a record whose
object is missing, because the object's write came first.

What is journaled is what replays deterministically: DynamoDB and SageMaker requests as they
were sent; for S3 the object as it is after the write (a multipart upload's parts and ids do not
replay), read back from moto inside the same lock. Nothing else is: Step Functions executions,
Lambda invocations and training jobs are work in flight, not data, and are never re-run.

DynamoDB stream reads take the same lock, so a stream record is never delivered for a write that is
not journaled yet.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

from local.persistence.journal import Journal, Record

log = logging.getLogger(__name__)

WsgiApp = Callable[..., Iterable[bytes]]

_DYNAMODB_WRITES = frozenset(
    f"DynamoDB_20120810.{action}"
    for action in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
)
_SAGEMAKER_WRITES = frozenset(
    f"SageMaker.{action}"
    for action in (
        "CreateModel",
        "DeleteModel",
        "CreateEndpointConfig",
        "DeleteEndpointConfig",
        "CreateEndpoint",
        "DeleteEndpoint",
    )
)
_STREAM_READ = "DynamoDBStreams_20120810.GetRecords"
_CREDENTIAL_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/")
# A journal smaller than this is replayed as it is: rewriting it would cost more than it saves.
COMPACT_MIN_BYTES = 64 * 1024 * 1024
_PRESERVED_S3_HEADERS = ("content-type", "content-encoding", "content-disposition", "cache-control")


def call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, Headers, bytes]:
    """Run a WSGI app on one request in this thread: its status line, headers and whole body."""
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    try:
        return status, headers, b"".join(app_iter)
    finally:
        getattr(app_iter, "close", lambda: None)()


def _service(environ: dict[str, Any]) -> str | None:
    match = _CREDENTIAL_SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1)
    credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
    return credential[0].split("/")[3] if credential and credential[0].count("/") >= 4 else None


def _s3_target(path: str) -> tuple[str, str]:
    bucket, _, key = path.lstrip("/").partition("/")
    return unquote(bucket), unquote(key)


class Recorder:
    """WSGI middleware: apply, then journal, each data write; and replay a journal into a fresh app."""

    def __init__(self, app: WsgiApp, journal: Journal) -> None:
        self._app = app
        self.journal = journal
        self._lock = threading.RLock()
        self.enabled = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        kind = self._kind(environ) if self.enabled else None
        if kind is None:
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        with self._lock:
            status, headers, data = call_wsgi(self._app, environ)
            if kind != "stream-read" and status.startswith("2"):
                self._journal(kind, environ, body)
        start_response(status, list(headers.to_wsgi_list()))
        return [data]

    # --- what is recorded ----------------------------------------------------------------------

    @staticmethod
    def _kind(environ: dict[str, Any]) -> str | None:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target in _DYNAMODB_WRITES or target in _SAGEMAKER_WRITES:
            return "request"
        if target == _STREAM_READ:
            return "stream-read"
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("PUT", "POST", "DELETE") or _service(environ) != "s3":
            return None
        bucket, key = _s3_target(environ.get("PATH_INFO", ""))
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if not bucket:
            return None
        if not key:
            return "s3-delete-many" if method == "POST" and "delete" in query else None
        if method == "PUT" and "partNumber" not in query and "uploadId" not in query:
            return "s3-object"
        if method == "POST" and "uploadId" in query:  # CompleteMultipartUpload
            return "s3-object"
        if method == "DELETE" and "uploadId" not in query:
            return "s3-delete"
        return None

    def _journal(self, kind: str, environ: dict[str, Any], body: bytes) -> None:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if kind == "request":
            headers = {
                "X-Amz-Target": environ["HTTP_X_AMZ_TARGET"],
                "Content-Type": environ.get("CONTENT_TYPE", "application/x-amz-json-1.0"),
                "Authorization": auth,
            }
            self.journal.append({"method": "POST", "path": "/", "headers": headers}, body)
            return
        bucket, key = _s3_target(environ.get("PATH_INFO", ""))
        s3_auth = auth or _S3_AUTH
        if kind == "s3-delete":
            self._append_s3("DELETE", bucket, key, {"Authorization": s3_auth})
        elif kind == "s3-delete-many":
            for deleted in _deleted_keys(body):
                self._append_s3("DELETE", bucket, deleted, {"Authorization": s3_auth})
        else:
            self._append_object(bucket, key, s3_auth)

    def _append_object(self, bucket: str, key: str, auth: str) -> None:
        """The object as moto now holds it, as one PUT that recreates it."""
        environ = EnvironBuilder(
            method="GET", path=f"/{quote(bucket)}/{quote(key)}", headers=[("Authorization", auth)]
        ).get_environ()
        status, headers, data = call_wsgi(self._app, environ)
        if not status.startswith("2"):
            log.error(
                "journal: s3://%s/%s was written but cannot be read back (%s); not journaled", bucket, key, status
            )
            return
        kept = {
            name: value
            for name, value in headers.items()
            if name.lower() in _PRESERVED_S3_HEADERS or name.lower().startswith("x-amz-meta-")
        }
        self._append_s3("PUT", bucket, key, {"Authorization": auth, **kept}, data)

    def _append_s3(self, method: str, bucket: str, key: str, headers: dict[str, str], body: bytes = b"") -> None:
        self.journal.append({"method": method, "path": f"/{quote(bucket)}/{quote(key)}", "headers": headers}, body)

    # --- compaction -----------------------------------------------------------------------------

    def compact(self, min_bytes: int = COMPACT_MIN_BYTES) -> int:
        """Drop S3 records a later one supersedes (a checkpoint re-uploaded every epoch, an object
        since deleted); returns the bytes saved. Replaying the result rebuilds the same state.

        DynamoDB and SageMaker records are all kept, in order, so the tables' streams are rebuilt
        under the same sequence numbers and the saved stream positions stay right. Worth it only
        for a large journal; call before journaling starts.
        """
        if self.journal.path.stat().st_size < min_bytes:
            return 0
        last: dict[str, int] = {}
        deleted_last: set[str] = set()
        for index, record in enumerate(self.journal.records()):
            if _is_s3(record.header):
                path = record.header["path"]
                last[path] = index
                if record.header["method"] == "DELETE":
                    deleted_last.add(path)
                else:
                    deleted_last.discard(path)

        def keep(index: int, record: Record) -> bool:
            if not _is_s3(record.header):
                return True
            path = record.header["path"]
            return last[path] == index and path not in deleted_last

        saved = self.journal.rewrite(keep)
        log.info("journal compacted: %.1f MB of superseded objects dropped", saved / 1e6)
        return saved

    # --- replay -------------------------------------------------------------------------------

    def replay(self, base_url: str) -> tuple[int, int]:
        """Apply every recovered record to the wrapped app (not journaled again); returns (applied, refused)."""
        applied = refused = 0
        for record in self.journal.records():
            environ = EnvironBuilder(
                method=record.header["method"],
                base_url=base_url,
                path=unquote(record.header["path"]),
                headers=record.header.get("headers") or {},
                data=record.body,
            ).get_environ()
            status, _, answer = call_wsgi(self._app, environ)
            if status.startswith("2"):
                applied += 1
            else:
                refused += 1
                log.warning(
                    "journal replay: %s %s refused: %s %s",
                    record.header["method"],
                    record.header.get("headers", {}).get("X-Amz-Target") or record.header["path"],
                    status,
                    answer[:300],
                )
        self.journal.forget_recovered()
        return applied, refused


def _is_s3(header: dict[str, Any]) -> bool:
    return "X-Amz-Target" not in (header.get("headers") or {})


# Moto picks the service of a request on 127.0.0.1 from the credential scope of its signature.
_S3_AUTH = "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"


def _deleted_keys(body: bytes) -> list[str]:
    """The keys of a DeleteObjects request body (``<Delete><Object><Key>``...)."""
    root = ET.fromstring(body)
    return [element.text or "" for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "Key"]
