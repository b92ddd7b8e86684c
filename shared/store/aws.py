"""boto3 clients, created once per process (cold start) and on first use.

Created lazily so that importing a handler never touches the network or the credentials chain, and
so tests can start moto before the first client exists. ``AWS_ENDPOINT_URL`` (read by boto3 itself)
points every client at the local runtime when it runs on a laptop.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# What else holds a client and must forget it on ``reset`` (registered by the modules that hold one).
_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> None:
    """Call ``hook`` whenever the clients are forgotten; lets a holder of a client depend on this module,
    never the other way round."""
    _reset_hooks.append(hook)


@cache
def client(service: str, read_timeout: int | None = None, signature_version: str | None = None) -> Any:
    """A low-level client; ``read_timeout`` (seconds) bounds calls that can hang, like inference;
    ``signature_version`` picks the signer (``s3v4`` for presigned URLs that KMS-encrypted objects accept)."""
    config = (
        Config(read_timeout=read_timeout, retries={"max_attempts": 2, "mode": "standard"}) if read_timeout else None
    )
    if signature_version:
        config = (config or Config()).merge(Config(signature_version=signature_version))
    return boto3.client(service, config=config)


@cache
def resource(service: str) -> Any:
    """A boto3 resource, once per process."""
    return boto3.resource(service)


@cache
def table(name: str) -> Any:
    """One DynamoDB ``Table`` per name: building one costs ~4 ms of botocore model work, each time."""
    return resource("dynamodb").Table(name)


def reset() -> None:
    """Forget every client, e.g. after the endpoint or credentials changed (tests, the local runtime)."""
    client.cache_clear()
    resource.cache_clear()
    table.cache_clear()
    for hook in _reset_hooks:
        hook()
