"""Faults injected where AWS would produce them: at botocore's ``before-send``, inside the retry
loop, so the SDK's own retry policy sees a throttled or failing answer exactly as it would from AWS.

Imported by the fault and security tests; it holds no tests itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse


class _Raw:
    """The minimal raw body botocore's parsers read."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body


@contextmanager
def failing(client: Any, operation: str, code: str, *, times: int | None = None, status: int = 400,
            message: str = "injected by the test") -> Iterator[list[str]]:
    """The next ``times`` sends of ``operation`` (every one if None) answer ``code``; yields the
    list of attempts, one entry per request botocore sent."""
    attempts: list[str] = []
    target = operation

    def answer(request: Any, **_: Any) -> AWSResponse | None:
        amz_target = request.headers.get("X-Amz-Target", b"")
        name = amz_target.decode() if isinstance(amz_target, bytes) else amz_target
        if not name.endswith(f".{target}"):
            return None
        attempts.append(name)
        if times is not None and len(attempts) > times:
            return None
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.0",
                                                 "x-amzn-ErrorType": code}, _Raw(body))

    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register_first(event, answer)
    try:
        yield attempts
    finally:
        client.meta.events.unregister(event, answer)
