"""The idempotency table, in Powertools Idempotency's own layout (``shared.resources.IDEMPOTENCY``)."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from shared.resources import IDEMPOTENCY, table_name
from shared.store import aws


@cache
def persistence_layer() -> DynamoDBPersistenceLayer:
    """One persistence layer per process; it holds a DynamoDB client, so ``aws.reset`` forgets it too."""
    return DynamoDBPersistenceLayer(
        table_name=table_name(IDEMPOTENCY),
        key_attr=IDEMPOTENCY.partition_key,
        expiry_attr=IDEMPOTENCY.ttl_attribute or "expiration",
        boto3_client=aws.client("dynamodb"),
    )


aws.on_reset(persistence_layer.cache_clear)
