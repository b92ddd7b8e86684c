"""The melodies table: one item per uploaded melody (the MIDI itself lives in the bucket)."""

from __future__ import annotations

from shared.resources import MELODIES
from shared.store import dynamo
from shared.store.dynamo import Item


def create(item: Item) -> None:
    dynamo.create(MELODIES, item)


def get(owner: str, melody_id: str) -> Item | None:
    return dynamo.get(MELODIES, owner, melody_id)


def page(owner: str, limit: int, start_key: Item | None = None) -> tuple[list[Item], Item | None]:
    return dynamo.query_owner(MELODIES, owner, limit, start_key)


def update(owner: str, melody_id: str, fields: Item, *, version: int | None = None) -> Item:
    """Set ``fields`` on an existing melody; with ``version``, only if the stored version is still that
    one (``StaleWrite`` otherwise), so two concurrent edits cannot both win."""
    if version is None:
        return dynamo.update(MELODIES, owner, melody_id, fields)
    return dynamo.update(
        MELODIES,
        owner,
        melody_id,
        fields,
        condition="(attribute_not_exists(#version) AND :v = :one) OR #version = :v",
        names={"#version": "version"},
        values={":v": version, ":one": 1},
    )


def delete(owner: str, melody_id: str) -> None:
    dynamo.delete(MELODIES, owner, melody_id)
