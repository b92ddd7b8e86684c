"""Idempotent POSTs: the same ``Idempotency-Key`` (per caller and route) replays the first answer
instead of creating a second resource; the same key with a different body is refused.

Powertools Idempotency does the bookkeeping in the idempotency table; the key is the caller, the
route and the header, and the payload is checked with a hash of the request body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

from shared.errors import InvalidInput
from shared.store.idempotency import persistence_layer

KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128
CONFIG = IdempotencyConfig(
    event_key_jmespath="[owner, route, key]",
    payload_validation_jmespath="payload",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=24 * 3600,
)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def once(owner: str, route: str, key: str | None, payload: str, create: Callable[[], dict[str, Any]]) -> Any:
    """Run ``create`` once per (owner, route, key); without a key every call creates. The answer is the
    JSON-ready body, either fresh or replayed from the idempotency table."""
    if key is None:
        return create()
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"{KEY_HEADER} must be 1-{MAX_KEY_LENGTH} printable characters.", code="INVALID_IDEMPOTENCY_KEY"
        )

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence_layer(), config=CONFIG)
    def create_once(request: dict[str, str]) -> dict[str, Any]:
        return create()

    return create_once(request={"owner": owner, "route": route, "key": key, "payload": payload})
