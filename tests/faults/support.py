"""Faults injected where AWS would produce them: at botocore's ``before-send``, inside the retry
loop, so the SDK's own retry policy sees a throttled or failing answer exactly as it would from AWS.

Imported by the fault and security tests; it holds no tests itself.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse


class Raw(io.BytesIO):
    """A raw HTTP body as botocore reads it: streamed for errors, read for streaming outputs."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


# botocore runs every ``before-send`` handler and takes the first answer, so moto (also a handler)
# would still carry out a request we answer with a fault. Pointing the request at a host moto does
# not serve for that attempt keeps it from landing; the next attempt gets its own URL back.
_NOWHERE = "https://fault-injected.invalid/"


@contextmanager
def failing(
    client: Any,
    operation: str,
    code: str,
    *,
    times: int | None = None,
    status: int = 400,
    message: str = "injected by the test",
) -> Iterator[list[str]]:
    """The next ``times`` sends of ``operation`` (every one if None) answer ``code`` without
    reaching the service; yields the list of attempts, one entry per request botocore sent."""
    attempts: list[str] = []
    urls: dict[int, str] = {}

    def answer(request: Any, **_: Any) -> AWSResponse | None:
        attempts.append(operation)
        if times is not None and len(attempts) > times:
            if id(request) in urls:
                request.url = urls.pop(id(request))
            return None
        urls.setdefault(id(request), request.url)
        request.url = _NOWHERE
        body = json.dumps({"__type": code, "message": message}).encode()
        return AWSResponse(
            _NOWHERE, status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}, Raw(body)
        )

    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register_first(event, answer)
    try:
        yield attempts
    finally:
        client.meta.events.unregister(event, answer)
