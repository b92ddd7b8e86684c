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


def delete(owner: str, melody_id: str) -> None:
    dynamo.delete(MELODIES, owner, melody_id)
