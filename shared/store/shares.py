"""Share links, kept in the compositions table under ``shared.resources.ShareKeys``: the token's item
names the composition (owner and id), and the composition names its active token, written together
in one transaction so neither ever points at a missing other."""

from __future__ import annotations

from shared.resources import COMPOSITIONS, ID_KEY, OWNER_KEY, ShareKeys, TableSpec
from shared.statuses import CompositionStatus
from shared.store import dynamo
from shared.store.dynamo import Item, from_dynamo

TOKEN_ATTRIBUTE = "shareToken"


def create(token: str, owner: str, composition_id: str, link: Item) -> None:
    """Store the link and mark the composition shared, only if it exists, is COMPLETED and has no
    active link yet (``StaleWrite`` otherwise)."""
    dynamo.transact(
        [
            (
                "Put",
                COMPOSITIONS,
                {
                    "Item": {
                        **link,
                        **ShareKeys.key(token),
                        "compositionOwner": owner,
                        "compositionId": composition_id,
                    },
                    "ConditionExpression": "attribute_not_exists(#owner)",
                    "ExpressionAttributeNames": {"#owner": OWNER_KEY},
                },
            ),
            (
                "Update",
                COMPOSITIONS,
                {
                    "Key": {OWNER_KEY: owner, ID_KEY: composition_id},
                    "UpdateExpression": "SET #token = :token",
                    "ConditionExpression": "attribute_exists(#id) AND attribute_not_exists(#token) AND #status = :done",
                    "ExpressionAttributeNames": {"#id": ID_KEY, "#token": TOKEN_ATTRIBUTE, "#status": "status"},
                    "ExpressionAttributeValues": {":token": token, ":done": str(CompositionStatus.COMPLETED)},
                },
            ),
        ]
    )


def get(token: str) -> Item | None:
    """The link's item (``compositionOwner``, ``compositionId``, ...): one key read."""
    response = dynamo.table(COMPOSITIONS).get_item(Key=ShareKeys.key(token), ConsistentRead=True)
    item = response.get("Item")
    return from_dynamo(item) if item else None


def revoke(token: str, owner: str, composition_id: str) -> None:
    """Delete the link and unmark the composition, only while that token is its active one."""
    dynamo.transact(
        [
            ("Delete", COMPOSITIONS, {"Key": ShareKeys.key(token)}),
            (
                "Update",
                COMPOSITIONS,
                {
                    "Key": {OWNER_KEY: owner, ID_KEY: composition_id},
                    "UpdateExpression": "REMOVE #token",
                    "ConditionExpression": "#token = :token",
                    "ExpressionAttributeNames": {"#token": TOKEN_ATTRIBUTE},
                    "ExpressionAttributeValues": {":token": token},
                },
            ),
        ]
    )


def delete_with_composition(owner: str, composition_id: str, token: str | None) -> None:
    """Delete the composition's record and, in the same transaction, its link (if it has one);
    ``StaleWrite`` if the record is gone or its link changed in the meantime."""
    condition = "attribute_exists(#id) AND " + ("#token = :token" if token else "attribute_not_exists(#token)")
    request: Item = {
        "Key": {OWNER_KEY: owner, ID_KEY: composition_id},
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#id": ID_KEY, "#token": TOKEN_ATTRIBUTE},
    }
    if token:
        request["ExpressionAttributeValues"] = {":token": token}
    actions: list[tuple[str, TableSpec, Item]] = [("Delete", COMPOSITIONS, request)]
    if token:
        actions.append(("Delete", COMPOSITIONS, {"Key": ShareKeys.key(token)}))
    dynamo.transact(actions)
