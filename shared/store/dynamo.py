"""What every bookkeeping table shares: number conversion, owner queries, create-only puts and
status-guarded updates. The per-table modules (melodies, compositions, models, training_jobs) are
thin wrappers that name their table and their extra conditions.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from shared.resources import ID_KEY, OWNER_KEY, TableSpec, table_name
from shared.statuses import allowed_previous
from shared.store import aws
from shared.store.errors import AlreadyExists, StaleWrite

Item = dict[str, Any]


def table(spec: TableSpec) -> Any:
    return aws.table(table_name(spec))


def to_dynamo(value: Any) -> Any:
    """DynamoDB has no floats: numbers go in as Decimal (via str, so 0.1 stays 0.1); None is dropped."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, int):
        return value
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, dict):
        return {k: to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_dynamo(v) for v in value]
    return value


def typed(value: Any) -> Any:
    """A plain value in DynamoDB's typed JSON (``{"S": ...}``, ``{"M": {...}}``), for writers outside
    boto3's resource layer: the workflow's putItem and the deployment's custom resource."""
    return TypeSerializer().serialize(to_dynamo(value))


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value


def get(spec: TableSpec, owner: str, item_id: str) -> Item | None:
    response = table(spec).get_item(Key={OWNER_KEY: owner, ID_KEY: item_id}, ConsistentRead=True)
    item = response.get("Item")
    return from_dynamo(item) if item else None


def get_many(spec: TableSpec, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Item]:
    """Several items by (owner, id) in one strongly consistent round trip; missing ones are absent."""
    name = table_name(spec)
    wanted: dict[str, Any] = {
        name: {"Keys": [{OWNER_KEY: o, ID_KEY: i} for o, i in dict.fromkeys(keys)], "ConsistentRead": True}
    }
    found: dict[tuple[str, str], Item] = {}
    while wanted:  # DynamoDB may hand back part of a batch as UnprocessedKeys under load
        response = aws.resource("dynamodb").batch_get_item(RequestItems=wanted)
        for item in response.get("Responses", {}).get(name, []):
            found[(item[OWNER_KEY], item[ID_KEY])] = from_dynamo(item)
        wanted = response.get("UnprocessedKeys") or {}
    return found


def query_owner(
    spec: TableSpec, owner: str, limit: int, start_key: Item | None = None
) -> tuple[list[Item], Item | None]:
    """One page of an owner's items, newest ids last (ids are time-ordered), and the key to go on from."""
    kwargs: dict[str, Any] = {"KeyConditionExpression": Key(OWNER_KEY).eq(owner), "Limit": limit}
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    response = table(spec).query(**kwargs)
    return [from_dynamo(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey")


def create(spec: TableSpec, item: Item) -> None:
    """Create-only put: an existing item with the same key is never overwritten."""
    try:
        table(spec).put_item(
            Item=to_dynamo(item),
            ConditionExpression="attribute_not_exists(#id)",
            ExpressionAttributeNames={"#id": ID_KEY},
        )
    except ClientError as exc:
        if _condition_failed(exc):
            raise AlreadyExists(f"{spec.logical} {item[ID_KEY]} exists") from exc
        raise


def put(spec: TableSpec, item: Item) -> None:
    """Unconditional put, for records whose writer is the only one (e.g. built-in registrations)."""
    table(spec).put_item(Item=to_dynamo(item))


def update(
    spec: TableSpec,
    owner: str,
    item_id: str,
    fields: Item,
    *,
    status: StrEnum | None = None,
    condition: str | None = None,
    values: Item | None = None,
    names: dict[str, str] | None = None,
    remove: tuple[str, ...] = (),
) -> Item:
    """Set ``fields`` (and ``status``) only if the item exists, its current status may move to ``status``
    (``shared.statuses.allowed_previous``), and the optional extra ``condition`` holds. Returns the
    new item; raises ``StaleWrite`` when the condition fails, so a lost race is never silent.
    """
    names = {"#id": ID_KEY, **(names or {})}
    expr_values: Item = dict(values or {})
    sets: list[str] = []
    all_fields = dict(fields)
    if status is not None:
        all_fields["status"] = str(status)
    for i, (name, value) in enumerate(all_fields.items()):
        if value is None:
            continue
        names[f"#f{i}"] = name
        expr_values[f":f{i}"] = value
        sets.append(f"#f{i} = :f{i}")
    conditions = ["attribute_exists(#id)"]
    if status is not None:
        names["#status"] = "status"
        previous = allowed_previous(status)
        if not previous:  # e.g. QUEUED or PENDING: written once, by create(); a move there is a bug
            raise ValueError(f"No status may move to {status}; records start in it through create().")
        for j, prev in enumerate(previous):
            expr_values[f":p{j}"] = prev
        conditions.append(f"#status IN ({', '.join(f':p{j}' for j in range(len(previous)))})")
    if condition:
        conditions.append(f"({condition})")
    expression = "SET " + ", ".join(sets)
    if remove:
        for k, name in enumerate(remove):
            names[f"#r{k}"] = name
        expression += " REMOVE " + ", ".join(f"#r{k}" for k in range(len(remove)))
    try:
        response = table(spec).update_item(
            Key={OWNER_KEY: owner, ID_KEY: item_id},
            UpdateExpression=expression,
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_dynamo(expr_values),
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _condition_failed(exc):
            raise StaleWrite(f"{spec.logical} {item_id}: condition failed") from exc
        raise
    attributes: dict[str, Any] = from_dynamo(response["Attributes"])
    return attributes


def delete(
    spec: TableSpec,
    owner: str,
    item_id: str,
    *,
    condition: str | None = None,
    values: Item | None = None,
    names: dict[str, str] | None = None,
) -> None:
    """Delete an existing item (optionally only if ``condition`` holds); ``StaleWrite`` otherwise."""
    kwargs: dict[str, Any] = {
        "Key": {OWNER_KEY: owner, ID_KEY: item_id},
        "ConditionExpression": "attribute_exists(#id)" + (f" AND ({condition})" if condition else ""),
        "ExpressionAttributeNames": {"#id": ID_KEY, **(names or {})},
    }
    if values:
        kwargs["ExpressionAttributeValues"] = to_dynamo(values)
    try:
        table(spec).delete_item(**kwargs)
    except ClientError as exc:
        if _condition_failed(exc):
            raise StaleWrite(f"{spec.logical} {item_id}: condition failed") from exc
        raise


def transact(actions: list[tuple[str, TableSpec, Item]]) -> None:
    """All or nothing: each action is (``Put`` | ``Update`` | ``Delete`` | ``ConditionCheck``, table,
    its request with plain values, ``Item``/``Key``/``ExpressionAttributeValues`` included). A failed
    condition anywhere cancels all of them and raises ``StaleWrite``."""
    typed_fields = ("Item", "Key", "ExpressionAttributeValues")
    items = []
    for kind, spec, request in actions:
        body = {k: ({n: typed(v) for n, v in val.items()} if k in typed_fields else val) for k, val in request.items()}
        items.append({kind: {"TableName": table_name(spec), **body}})
    try:
        aws.client("dynamodb").transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            raise StaleWrite(f"transaction cancelled: {exc.response.get('CancellationReasons', '')}") from exc
        raise


def _condition_failed(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
